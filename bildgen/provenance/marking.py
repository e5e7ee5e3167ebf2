"""Marking every image bildgen saves: the recipe and the XMP go into the PNG, then it is signed.

The administrator's settings and the signing identity are read from the database now and then and
kept: an image saved while the database is away (it goes to the spool) is marked with the last
settings known, never left unmarked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import c2pa
import sqlalchemy

from bildgen.admin.keys import KeyBox
from bildgen.provenance import settings as provenance_settings
from bildgen.provenance.credentials import SigningIdentity, test_identity
from bildgen.provenance.signing import Facts, Ingredient, generator_label, sign_png
from bildgen.provenance.xmp import packet
from bildgen.store import metadata
from bildgen.store.db import session
from bildgen.store.models import Generation, User

logger = logging.getLogger(__name__)
REFRESH_S = 10.0


class Marker:
    def __init__(self, engine: sqlalchemy.Engine, folder: Path, keys: KeyBox) -> None:
        self.engine = engine
        self.keys = keys
        self._test_identity = test_identity(folder, keys)
        self._lock = threading.Lock()
        self._settings = provenance_settings.ProvenanceSettings()
        self._identity: SigningIdentity | None = None
        self._read_at = -REFRESH_S

    def current(self, fresh: bool = False) -> tuple[provenance_settings.ProvenanceSettings, SigningIdentity]:
        """The settings and signing identity in force (re-read every few seconds, or now)."""
        with self._lock:
            if fresh or time.monotonic() - self._read_at >= REFRESH_S:
                try:
                    self._settings = provenance_settings.read(self.engine)
                    self._identity = provenance_settings.organisation_identity(self.engine, self.keys)
                    self._read_at = time.monotonic()
                except Exception:
                    logger.warning("provenance settings unreadable; marking with the last ones known", exc_info=True)
            return self._settings, self._identity or self._test_identity

    def _username(self, owner_id: str | None) -> str | None:
        if owner_id is None:
            return None
        try:
            with session(self.engine) as db:
                user = db.get(User, owner_id)
                return user.username if user else None
        except Exception:
            return None  # the database is away: the person goes unnamed rather than the image unsaved

    def mark(
        self,
        png: bytes,
        recipe: metadata.StoredRecipe,
        generation: Generation,
        *,
        ingredients: Sequence[Ingredient] = (),
        received: Ingredient | None = None,
    ) -> bytes:
        """The PNG with recipe, XMP and Content Credentials. Blocking: call it in the image pool."""
        settings, identity = self.current()
        edit = generation.reference_count > 0
        organisation = settings.organisation or None
        xmp = packet(
            source_type=Facts(model=None, service=None, edit=edit).source_type,
            model=recipe.model,
            generator=generator_label(),
            organisation=organisation,
        )
        marked = metadata.embed(png, recipe, xmp=xmp)
        shown_recipe = recipe.to_dict()
        if not settings.include_prompts:
            shown_recipe.pop("prompt", None)
            shown_recipe.pop("negative_prompt", None)
        facts = Facts(
            model=recipe.model,
            service=generation.model_profile,
            edit=edit,
            organisation=organisation,
            person=self._username(generation.owner_id) if settings.person == "username" else None,
            recipe=shown_recipe,
        )
        try:
            return sign_png(marked, facts, identity, ingredients=ingredients, received=received)
        except c2pa.C2paError:
            # A PNG the C2PA library cannot sign (or a certificate it refuses) must not cost the image:
            # it is saved with its recipe and XMP, and the lightbox will say its credentials are missing.
            logger.exception("signing image of job %s failed; saved without Content Credentials", generation.id)
            return marked


# Ancillary chunks that carry metadata rather than how the pixels look: the recipe, XMP, EXIF, and
# C2PA's manifest store.
METADATA_CHUNKS = frozenset({b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"caBX", b"tIME"})


def without_metadata(png: bytes) -> bytes:
    """The same PNG without recipe, XMP, EXIF or Content Credentials (pixels and colour chunks kept)."""
    return metadata.PNG_SIGNATURE + b"".join(
        png[start:end] for kind, start, end in metadata.chunk_spans(png) if kind not in METADATA_CHUNKS
    )
