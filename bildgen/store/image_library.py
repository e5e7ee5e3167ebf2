"""One facade over a generated image's file, thumbnail and row: they are saved, named and found together.

The file is complete on disk (temporary file, fsync, rename) before the row that points at it
exists, so a crash never leaves a row pointing at half a file. A commit that fails takes its file
away again (or hands the image to the spool, when the database is what failed).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlmodel import select

from bildgen.boards import core as boards
from bildgen.filenames import download_filename
from bildgen.inference.decoding import DecodedImage
from bildgen.store import metadata
from bildgen.store.db import is_storage_failure, session
from bildgen.store.files import ImageFiles
from bildgen.store.models import Generation, Image
from bildgen.store.spool import Spool
from bildgen.store.thumbnails import make_thumbnail

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SavedImage:
    id: str
    variant: int
    seed: int
    width: int
    height: int
    filename: str


class ImageLibrary:
    def __init__(self, engine: sqlalchemy.Engine, files: ImageFiles, thumbnails: ImageFiles) -> None:
        self.engine = engine
        self.files = files
        self.thumbnails = thumbnails
        # Live previews of images still being made (AUTOMATIC1111's), beside the images: small files
        # served by URL, removed when their image ends.
        self.previews = ImageFiles(files.root.parent / "previews", suffix=".preview")
        # Images whose rows the database did not take (bildgen/store/spool.py).
        self.spool = Spool(files.root.parent / "spool")

    def save_generated(
        self, generation: Generation, *, variant: int, seed: int, decoded: DecodedImage, generation_ms: int
    ) -> tuple[SavedImage, str, bytes]:
        """Blocking (Pillow, disk, database): call it in the image pool. The image, its hash and PNG.

        When the database does not take the row (down, read-only, full), the image goes to the spool
        and is recorded when the database is back; only when the spool cannot take it either does
        this raise, leaving no file behind."""
        # The server's PNG keeps its pixel data; the recipe goes in as text chunks.
        png = metadata.embed(decoded.png, stored_recipe(generation, seed))
        sha256, created = self.files.add(png)
        row = Image(
            owner_id=generation.owner_id,
            generation_id=generation.id,
            variant=variant,
            seed=seed,
            width=decoded.width,
            height=decoded.height,
            sha256=sha256,
            generation_ms=generation_ms,
        )
        try:
            with session(self.engine) as db:
                db.add(row)
                db.flush()
                boards.file_new_image(db, row, generation)
                db.commit()
        except Exception as error:
            spooled = is_storage_failure(error) and self._spool(row, png)
            # No file without a row: the spool keeps its own copy, and recording puts the file back.
            # A file that was there before is another row's (or another writer's): never removed.
            if created and (spooled or not self._referenced(sha256)):
                self.files.delete(sha256)
            if not spooled:
                raise
        return saved_image(row, generation), sha256, png

    def _spool(self, row: Image, png: bytes) -> bool:
        try:
            self.spool.put(row, png)
        except OSError:
            logger.exception("image %s could not be spooled either", row.id)
            return False
        return True

    def _referenced(self, sha256: str) -> bool:
        """Whether a row points at the file after all (a commit whose answer was lost may have
        reached the database). False when the database cannot say: then the commit never got there."""
        try:
            with session(self.engine) as db:
                return db.exec(select(Image.id).where(Image.sha256 == sha256).limit(1)).first() is not None
        except Exception:
            return False

    def record_spooled(self, generation_id: str | None = None) -> int:
        """Record the spooled images (of one job, or all); raises the storage failure while the database is away."""
        return self.spool.record(self.engine, self.files, generation_id=generation_id)

    def spooled(self, generation_id: str) -> int:
        return self.spool.count(generation_id)

    def make_thumbnail(self, sha256: str, png: bytes | None = None) -> None:
        """Make the image's thumbnail (again, if a crash lost it); errors only cost the thumbnail."""
        try:
            self.thumbnails.save_as(sha256, make_thumbnail(png or self.files.path_for(sha256).read_bytes()))
        except Exception:
            logger.exception("making the thumbnail of %s failed", sha256)


def stored_recipe(generation: Generation, seed: int) -> metadata.StoredRecipe:
    return metadata.StoredRecipe(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        steps=generation.steps,
        guidance=generation.guidance,
        guidance_field=generation.guidance_field,
        seed=seed,
        width=generation.width,
        height=generation.height,
        model=generation.served_model,
        model_profile=generation.model_profile,
        mode=generation.mode,
        reference_count=generation.reference_count,
        masked=generation.mask_id is not None,
        options=_options(generation) or None,
    )


def _options(generation: Generation) -> dict[str, Any]:
    # The job's spec (jobs/queue.JobSpec) keeps the provider options the image was made with.
    try:
        options = json.loads(generation.spec or "{}").get("options")
    except (ValueError, AttributeError):
        return {}
    return options if isinstance(options, dict) else {}


def saved_image(image: Image, generation: Generation) -> SavedImage:
    created: datetime = image.created_at
    return SavedImage(
        id=image.id,
        variant=image.variant,
        seed=image.seed,
        width=image.width,
        height=image.height,
        filename=download_filename(
            created=created, prompt=generation.prompt, seed=image.seed, model_id=generation.model_name
        ),
    )
