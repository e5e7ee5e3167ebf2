"""Signing a generated PNG with C2PA Content Credentials (the official c2pa-python bindings).

The PNG gets its recipe chunks and XMP first and is signed last, so the signature covers the final
bytes. What the manifest says:
- a generated image: `c2pa.created` with IPTC's digital source type, bildgen (and its version) as the
  software agent, the model and the service; every reference image and the mask of an edit as an
  `inputTo` ingredient (so lineage can be checked);
- an image that arrived signed (OpenAI's GPT-Image signs its output): the service's credentials are
  kept as the `parentOf` ingredient, with `c2pa.opened` and `c2pa.edited.metadata` (the recipe added);
  the service's own manifest says how it was made.
- `org.bildgen.generation`: model, service, organisation, the person (where the administrator allows)
  and the recipe (prompts only where the administrator allows).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import c2pa
from PIL import Image

import bildgen
from bildgen.provenance.credentials import SigningIdentity
from bildgen.provenance.xmp import COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, TRAINED_ALGORITHMIC_MEDIA

GENERATION_ASSERTION = "org.bildgen.generation"
GENERATOR = "bildgen"
# No thumbnail (the image is its own preview; it would add ~60 KB). No verifying of our own manifest
# after signing (it doubled the signing time): the tests verify every kind of manifest bildgen makes.
_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}, "verify": {"verify_after_sign": False}}


@dataclasses.dataclass(frozen=True)
class Ingredient:
    title: str  # e.g. "reference-1.png", "mask.png"
    data: bytes
    mime_type: str = "image/png"


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the credentials say about one image."""

    model: str | None
    service: str | None
    edit: bool = False  # made from an uploaded image
    organisation: str | None = None
    person: str | None = None
    recipe: dict[str, Any] | None = None

    @property
    def source_type(self) -> str:
        return COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA if self.edit else TRAINED_ALGORITHMIC_MEDIA


def generator_label() -> str:
    return f"{GENERATOR} {bildgen.__version__}"


def carries_credentials(data: bytes, mime_type: str) -> bool:
    """Whether the bytes hold a C2PA manifest store (valid or not)."""
    try:
        reader = c2pa.Reader.try_create(mime_type, io.BytesIO(data))
    except c2pa.C2paError:
        return True  # there is a manifest; it just does not read (kept: the verifier will say so)
    if reader is None:
        return False
    reader.close()
    return True


def _manifest(facts: Facts, *, ingredient_ids: Sequence[str], parent: bool) -> dict[str, Any]:
    agent = {"name": GENERATOR, "version": bildgen.__version__}
    if parent:
        actions = [
            {"action": "c2pa.opened", "softwareAgent": agent, "parameters": {"ingredientIds": ["parent"]}},
            {"action": "c2pa.edited.metadata", "softwareAgent": agent},
        ]
    else:
        parameters: dict[str, Any] = {key: value for key, value in (("model", facts.model),) if value}
        if ingredient_ids:
            parameters["ingredientIds"] = list(ingredient_ids)
        created: dict[str, Any] = {
            "action": "c2pa.created",
            "digitalSourceType": facts.source_type,
            "softwareAgent": agent,
        }
        if parameters:
            created["parameters"] = parameters
        actions = [created]
    generation = {
        key: value
        for key, value in (
            ("model", facts.model),
            ("service", facts.service),
            ("organisation", facts.organisation),
            ("person", facts.person),
            ("recipe", facts.recipe),
        )
        if value
    }
    return {
        "claim_generator_info": [agent],
        "format": "image/png",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": GENERATION_ASSERTION, "data": generation},
        ],
    }


def sign_png(
    png: bytes,
    facts: Facts,
    identity: SigningIdentity,
    *,
    ingredients: Sequence[Ingredient] = (),
    received: Ingredient | None = None,
) -> bytes:
    """The PNG with bildgen's Content Credentials; `received` is the service's answer as it came, kept
    as the parent when it carries credentials of its own. Blocking (CPU): call it in the image pool."""
    parent = received is not None and carries_credentials(received.data, received.mime_type)
    ids = [f"ingredient-{number}" for number in range(1, len(ingredients) + 1)]
    context = c2pa.Context(c2pa.Settings.from_dict(_SETTINGS))
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.algorithm, identity.certificate_chain, identity.private_key, None)
    )
    with context, signer, c2pa.Builder(_manifest(facts, ingredient_ids=ids, parent=parent), context) as builder:
        if parent:
            assert received is not None
            builder.add_ingredient(
                {"title": received.title, "relationship": "parentOf", "label": "parent"},
                received.mime_type,
                io.BytesIO(received.data),
            )
        for label, ingredient in zip(ids, ingredients, strict=True):
            builder.add_ingredient(
                {"title": ingredient.title, "relationship": "inputTo", "label": label},
                ingredient.mime_type,
                io.BytesIO(ingredient.data),
            )
        signed = io.BytesIO()
        builder.sign(signer, "image/png", io.BytesIO(png), signed)
    return signed.getvalue()


def check_identity(identity: SigningIdentity) -> str | None:
    """Why the C2PA library will not sign with this certificate and key, or None when it signs."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    try:
        sign_png(buffer.getvalue(), Facts(model=None, service=None), identity)
    except c2pa.C2paError as error:
        return str(error)
    return None
