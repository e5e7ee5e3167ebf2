"""Start-up clean-up: what a crash or a kill can leave behind, removed before anyone looks.

- temporary files of interrupted writes;
- image, thumbnail, reference and mask files no row points at (a crash between file and row).

Generations are not touched here: other workers may be running them. A job whose worker died is
taken back from its dead worker (bildgen.jobs.queue.take_back).

Files younger than a grace period are left alone, in case another worker is between writing a
file and inserting its row.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import sqlalchemy
from sqlmodel import select

from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.models import EditMask, Image, ReferenceImage

GRACE = timedelta(minutes=10)


@dataclasses.dataclass(frozen=True)
class SweepReport:
    temporaries: int
    orphans: int


def sweep(
    engine: sqlalchemy.Engine,
    *,
    images: ImageFiles,
    thumbnails: ImageFiles,
    references: ImageFiles,
    grace: timedelta = GRACE,
) -> SweepReport:
    cutoff = time.time() - grace.total_seconds()
    removed_temporaries = 0
    for files in (images, thumbnails, references):
        for path in files.temporaries():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed_temporaries += 1
    with session(engine) as db:
        image_hashes = set(db.exec(select(Image.sha256)).all())
        # Masks are stored beside the references.
        reference_hashes = set(db.exec(select(ReferenceImage.sha256)).all()) | set(
            db.exec(select(EditMask.sha256)).all()
        )
    orphans = 0
    for files, known in ((images, image_hashes), (thumbnails, image_hashes), (references, reference_hashes)):
        for key, path in list(files.stored()):
            if key not in known and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                orphans += 1
    return SweepReport(temporaries=removed_temporaries, orphans=orphans)
