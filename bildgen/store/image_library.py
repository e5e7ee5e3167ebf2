"""One facade over a generated image's file, thumbnail and row: they are saved, named and found together.

The file is complete on disk (temporary file, fsync, rename) before the row that points at it
exists, so a crash never leaves a row pointing at half a file. A commit that fails takes its file
away again (or hands the image to the spool, when the database is what failed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlmodel import select

from bildgen.boards import core as boards
from bildgen.filenames import download_filename
from bildgen.images.decoding import DecodedImage
from bildgen.provenance.marking import Marker
from bildgen.provenance.signing import Ingredient
from bildgen.store import metadata, unrecorded
from bildgen.store.db import is_storage_failure, session
from bildgen.store.files import ImageFiles
from bildgen.store.models import Generation, Image
from bildgen.store.spool import Spool
from bildgen.store.thumbnails import make_thumbnail

logger = logging.getLogger(__name__)

PAUSE_ENV = "BILDGEN_TEST_PAUSE_BEFORE_IMAGE_ROW"


@dataclasses.dataclass(frozen=True)
class SavedImage:
    id: str
    variant: int
    seed: int | None  # as sent (shown_seed): None where the request carried no seed
    width: int
    height: int
    filename: str


class ImageLibrary:
    def __init__(
        self, engine: sqlalchemy.Engine, files: ImageFiles, thumbnails: ImageFiles, marker: Marker | None = None
    ) -> None:
        self.engine = engine
        self.files = files
        self.thumbnails = thumbnails
        # Marks every saved image as AI-made and signs it (bildgen/provenance); None = the recipe only.
        self.marker = marker
        # Live previews of images still being made (AUTOMATIC1111's), beside the images: small files
        # served by URL, removed when their image ends.
        self.previews = ImageFiles(files.root.parent / "previews", suffix=".preview")
        # Images whose rows the database did not take (bildgen/store/spool.py).
        self.spool = Spool(files.root.parent / "spool")

    def save_generated(
        self,
        generation: Generation,
        *,
        variant: int,
        seed: int,
        decoded: DecodedImage,
        generation_ms: int,
        inputs: Sequence[Ingredient] = (),
        worker: str | None = None,
    ) -> tuple[SavedImage, str, bytes]:
        """Blocking (Pillow, disk, database): call it in the image pool. The image, its hash and PNG.

        When the database does not take the row (down, read-only, full), the image goes to the spool
        and is recorded when the database is back; only when the spool cannot take it either does
        this raise, leaving no file behind.

        `worker`: the job's worker, which must still hold it (the attempt it claimed): its file is
        noted before it is written and the row committed only while it holds the job, else
        JobTakenBack and nothing is kept (store/unrecorded.py)."""
        # The server's PNG keeps its pixel data; the recipe goes in as text chunks, then it is signed
        # (`inputs`: the references and mask of an edit, named in the credentials as ingredients).
        recipe = stored_recipe(generation, seed)
        if self.marker is None:
            png = metadata.embed(decoded.png, recipe)
        else:
            received = Ingredient("generated.png", decoded.received or decoded.png, decoded.received_type)
            png = self.marker.mark(decoded.png, recipe, generation, ingredients=inputs, received=received)
        sha256 = hashlib.sha256(png).hexdigest()
        with contextlib.ExitStack() as held:
            if worker is not None:
                try:
                    held.enter_context(unrecorded.writing(self.engine, generation, variant, sha256, worker=worker))
                except Exception as error:
                    if not is_storage_failure(error):
                        raise
                    # The database is away: the image goes to the spool without a file in the library.
                    row = self._row(generation, variant, seed, decoded, sha256, generation_ms)
                    if not self._spool(row, png):
                        raise
                    return saved_image(row, generation), sha256, png
            sha256, created = self.files.add(png)
        _pause_for_tests()
        row = self._row(generation, variant, seed, decoded, sha256, generation_ms)
        try:
            with session(self.engine) as db:
                if worker is not None:
                    unrecorded.hold(db, generation, worker)
                db.add(row)
                db.flush()
                boards.file_new_image(db, row, generation)
                if worker is not None:
                    db.exec(unrecorded.cleared(generation.id, variant, sha256))
                db.commit()
        except unrecorded.JobTakenBack:
            self._release(generation.id, variant, sha256)
            raise
        except Exception as error:
            spooled = is_storage_failure(error) and self._spool(row, png)
            # No file without a row: the spool keeps its own copy, and recording puts the file back.
            # A file that was there before is another row's (or another writer's): never removed.
            if created and (spooled or not self._referenced(sha256)):
                self.files.delete(sha256)
            if not spooled:
                raise
        return saved_image(row, generation), sha256, png

    @staticmethod
    def _row(
        generation: Generation, variant: int, seed: int, decoded: DecodedImage, sha256: str, generation_ms: int
    ) -> Image:
        return Image(
            owner_id=generation.owner_id,
            generation_id=generation.id,
            variant=variant,
            seed=seed,
            width=decoded.width,
            height=decoded.height,
            sha256=sha256,
            generation_ms=generation_ms,
        )

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

    def remove_unrecorded(self) -> int:
        """Remove the files that attempts now over wrote without their rows (a worker killed between
        file and row, or one that lost its job): called after every take-back. How many went."""
        removed = unrecorded.release_over(self.engine, self.files, self.thumbnails, self.spool)
        if removed:
            logger.warning("removed %d image files their stopped workers wrote without rows", removed)
        return removed

    def _release(self, generation_id: str, variant: int, sha256: str) -> None:
        try:
            unrecorded.release(self.engine, self.files, self.thumbnails, self.spool, generation_id, variant, sha256)
        except Exception:
            # The next take-back's remove_unrecorded (or the start-up sweep) tries again.
            logger.exception("image %s of job %s: removing its file failed", sha256, generation_id)

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


def _pause_for_tests() -> None:
    """Tests stop a worker here, between an image's file and its row (tests/unit/jobs/
    test_worker_faults.py): PAUSE_ENV names a path the first worker to get here creates (its pid and
    nothing else), then waits until `<path>.go` exists. Unset in every deployment."""
    path = os.environ.get(PAUSE_ENV)
    if not path:
        return
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as stream:
        stream.write(f"{os.getpid()}\n")
    while not os.path.exists(f"{path}.go"):
        time.sleep(0.05)


def stored_recipe(generation: Generation, seed: int) -> metadata.StoredRecipe:
    """The recipe as the service received it: settings the adapter did not send (GPT-Image takes no
    seed, steps or guidance) are left out, not filled with the form's placeholders."""
    sent = sent_settings(generation)

    def was_sent(setting: str) -> bool:
        return sent is None or setting in sent  # generations from before this was recorded: as they were

    guidance_sent = was_sent("guidance")
    return metadata.StoredRecipe(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt if was_sent("negative_prompt") else None,
        steps=generation.steps if was_sent("steps") else None,
        guidance=generation.guidance if guidance_sent else None,
        guidance_field=generation.guidance_field if guidance_sent else None,
        seed=seed if seed_sent(generation) else None,  # the rule shown_seed applies
        width=generation.width,
        height=generation.height,
        model=generation.served_model,
        model_profile=generation.model_profile,
        mode=generation.mode,
        reference_count=generation.reference_count,
        masked=generation.mask_id is not None,
        options=_options(generation) or None,
    )


def sent_settings(generation: Generation) -> frozenset[str] | None:
    """The recipe settings the job's requests carried (jobs/queue.record_sent_settings); None for
    generations from before they were recorded."""
    try:
        sent = json.loads(generation.spec or "{}").get("sent")
    except (ValueError, AttributeError):
        return None
    return frozenset(map(str, sent)) if isinstance(sent, list) else None


def seed_sent(generation: Generation) -> bool:
    sent = sent_settings(generation)
    return sent is None or "seed" in sent


def shown_seed(image: Image, generation: Generation) -> int | None:
    """The image's seed where its request carried one, None where none was sent (GPT-Image takes no
    seed). The one rule for every place that shows, names or exports a seed: never one not sent."""
    return image.seed if seed_sent(generation) else None


def reference_name(image: Image, generation: Generation, *, suffix: str = "") -> str:
    """How a generated image is listed once it becomes a reference (named by its seed where one was sent)."""
    seed = shown_seed(image, generation)
    return ("generated image" if seed is None else f"generated image, seed {seed}") + suffix


def _options(generation: Generation) -> dict[str, Any]:
    # The job's spec (jobs/queue.JobSpec) keeps the provider options the image was made with.
    try:
        options = json.loads(generation.spec or "{}").get("options")
    except (ValueError, AttributeError):
        return {}
    return options if isinstance(options, dict) else {}


def saved_image(image: Image, generation: Generation) -> SavedImage:
    created: datetime = image.created_at
    seed = shown_seed(image, generation)
    return SavedImage(
        id=image.id,
        variant=image.variant,
        seed=seed,
        width=image.width,
        height=image.height,
        filename=download_filename(
            created=created, prompt=generation.prompt, seed=seed, model_id=generation.model_name
        ),
    )
