"""Images that arrived while the database was away, kept on disk until their rows can be written.

A generated image is paid for (time on a GPU, or money): when its row cannot be committed because
the database is down, read-only or full, the PNG and the row's fields are written here (temporary
file, fsync, rename; the metadata last, so an entry without it is an interrupted write) and
recorded once the database answers again: by the job's worker before it records how the job ended,
and by every start-up (bildgen/services.py), which finds what a stopped or killed worker left.

Recording is idempotent (the row's id is chosen before spooling): two processes recording the same
entry, or a commit that did reach the database before its answer was lost, insert one row.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy
from sqlmodel import select

from bildgen.boards import core as boards
from bildgen.store import unrecorded
from bildgen.store.db import is_storage_failure, session
from bildgen.store.files import TEMPORARY_SUFFIX, ImageFiles, write_atomically
from bildgen.store.models import Generation, Image

logger = logging.getLogger(__name__)

# A spool file without its metadata this old is what an interrupted write left.
INTERRUPTED_AFTER_S = 600.0
# The Image columns an entry keeps; the rest are the row's defaults.
_FIELDS = ("id", "owner_id", "generation_id", "variant", "seed", "width", "height", "sha256", "generation_ms")


@dataclasses.dataclass(frozen=True)
class SpoolEntry:
    image_id: str
    generation_id: str
    metadata: Path
    png: Path


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, row: Image, png: bytes) -> None:
        """Keep the image and its row's fields durably; raises OSError when the disk refuses."""
        fields = {name: getattr(row, name) for name in _FIELDS}
        fields["created_at"] = row.created_at.isoformat() if row.created_at else None
        png_path, metadata_path = self._paths(row.id)
        try:
            self._write(png_path, png)
            self._write(metadata_path, json.dumps(fields).encode())
        except BaseException:
            png_path.unlink(missing_ok=True)
            metadata_path.unlink(missing_ok=True)
            raise
        logger.warning("image %s of job %s spooled: the database did not take its row", row.id, row.generation_id)

    def entries(self, generation_id: str | None = None) -> list[SpoolEntry]:
        found = []
        for metadata in sorted(self.root.glob("*.json")) if self.root.exists() else []:
            try:
                fields = json.loads(metadata.read_text())
            except (OSError, ValueError):
                logger.error("spool entry %s is unreadable; left for an administrator", metadata)
                continue
            if generation_id is None or fields.get("generation_id") == generation_id:
                found.append(SpoolEntry(fields["id"], fields["generation_id"], metadata, metadata.with_suffix(".png")))
        return found

    def holds(self, sha256: str) -> bool:
        """Whether a spooled image (its row not recorded yet) is these bytes."""
        for entry in self.entries():
            with contextlib.suppress(OSError, ValueError):
                if json.loads(entry.metadata.read_text()).get("sha256") == sha256:
                    return True
        return False

    def count(self, generation_id: str | None = None) -> int:
        return len(self.entries(generation_id))

    def record(self, engine: sqlalchemy.Engine, files: ImageFiles, *, generation_id: str | None = None) -> int:
        """Write the rows of the spooled images (of one job, or all); returns how many were recorded.

        Raises the storage failure when the database is still away (the entries stay for next time)."""
        recorded = 0
        for entry in self.entries(generation_id):
            try:
                fields = json.loads(entry.metadata.read_text())
                png = entry.png.read_bytes()
            except FileNotFoundError:
                continue  # another process recorded it just now
            if hashlib.sha256(png).hexdigest() != fields["sha256"]:
                logger.error("spooled image %s does not match its hash; left for an administrator", entry.image_id)
                continue
            # The file before the row, as for every image; taken away again if the row is not
            # written (the database still away): no file without a row, the spool keeps its copy.
            existed = files.path_for(fields["sha256"]).exists()
            files.save_as(fields["sha256"], png)
            created = fields.pop("created_at")
            row = Image(**fields, **({"created_at": datetime.fromisoformat(created)} if created else {}))
            try:
                with session(engine) as db:
                    if db.exec(select(Image.id).where(Image.id == row.id)).first() is None:
                        db.add(row)
                        db.flush()
                        generation = db.get(Generation, row.generation_id)
                        if generation is not None:
                            boards.file_new_image(db, row, generation)
                        # The worker's note of the file (store/unrecorded.py): it has its row now.
                        db.exec(unrecorded.cleared(row.generation_id, row.variant, row.sha256))
                        db.commit()
            except sqlalchemy.exc.IntegrityError:
                # Recorded by another process meanwhile, or its job is gone (deleted by hand): either
                # way nothing more can be done with it than keep it for an administrator.
                with session(engine) as db:
                    if db.exec(select(Image.id).where(Image.id == row.id)).first() is None:
                        logger.error("spooled image %s cannot be recorded (its job is gone); kept", row.id)
                        continue
            except Exception as error:
                if not existed and is_storage_failure(error):
                    files.delete(fields["sha256"])
                raise
            entry.metadata.unlink(missing_ok=True)
            entry.png.unlink(missing_ok=True)
            recorded += 1
            logger.info("spooled image %s of job %s recorded", row.id, row.generation_id)
        return recorded

    def record_at_start(self, engine: sqlalchemy.Engine, files: ImageFiles) -> int:
        """What a stopped worker left: recorded now, or (database away) left for its job's end or the next start."""
        self._remove_interrupted_writes()
        try:
            return self.record(engine, files)
        except Exception as error:
            if not is_storage_failure(error):
                raise
            logger.warning("spooled images could not be recorded yet (%s)", type(error).__name__)
            return 0

    def _remove_interrupted_writes(self) -> None:
        """Temporaries, and images whose metadata was never written (or was recorded just before a
        crash); younger ones may be another process's writes in progress."""
        if not self.root.exists():
            return
        cutoff = time.time() - INTERRUPTED_AFTER_S
        for path in [*self.root.glob(f"*{TEMPORARY_SUFFIX}"), *self.root.glob("*.png")]:
            if path.suffix == ".png" and path.with_suffix(".json").exists():
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    def _paths(self, image_id: str) -> tuple[Path, Path]:
        if not image_id.replace("-", "").isalnum():
            raise ValueError("not an image id")
        return self.root / f"{image_id}.png", self.root / f"{image_id}.json"

    def _write(self, final: Path, data: bytes) -> None:
        write_atomically(final, data, temporary_dir=self.root)
