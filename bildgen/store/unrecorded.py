"""Image files a job's worker wrote before their rows, so that a worker killed in between leaves none.

A generated image's file is written before its row (store/image_library.py). A worker killed with
`kill -9` between the two would leave a file no row points at, and its job's re-run makes another
one (signed images differ byte for byte). So the worker notes the file first, on the variant's
VariantTask row with the job's attempt (Generation.requeues, raised by every take-back), while it
holds the job; then writes the file, holding the job; then commits the row and clears the note
together, again only while it holds the job. Whoever takes a job back (jobs/queue.take_back, hand_back) then removes the
files of notes whose attempt is over: the attempt's worker can no longer commit their rows, so no
living worker is about to use them, however slow it is (`release`).

Several jobs can make identical bytes (one content-addressed file): a file is removed only while no
row, no other note and no spooled image names it, checked under a lock per file that noting takes too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import sqlalchemy
from sqlmodel import Session, col, select, update

from bildgen.store.files import ImageFiles
from bildgen.store.models import Generation, GenerationStatus, Image, VariantTask

if TYPE_CHECKING:
    from bildgen.store.spool import Spool

# The first half of the two-part advisory lock key of one image file (the second: from its hash).
FILE_LOCK_SPACE = 0x6B696C66
_process_file_lock = threading.Lock()


class JobTakenBack(Exception):
    """The job was taken back from this worker (its lease ran out): the image is not its to keep."""


@contextlib.contextmanager
def file_lock(db: Session, sha256: str) -> Iterator[None]:
    """Held until the caller's transaction ends: a transaction-scoped advisory lock on PostgreSQL,
    a process lock on SQLite (one process by design)."""
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(sha256[:8]), "big", signed=True)
        db.exec(
            sqlalchemy.text("SELECT pg_advisory_xact_lock(:space, :key)").bindparams(space=FILE_LOCK_SPACE, key=key)
        )
        yield
    else:
        with _process_file_lock:
            yield


def hold(db: Session, generation: Generation, worker: str) -> None:
    """Lock the job's row while this worker's attempt holds it (a take-back waits for the caller's
    commit); JobTakenBack when it no longer does."""
    held = db.exec(
        select(Generation.id)
        .where(
            Generation.id == generation.id,
            Generation.status == GenerationStatus.RUNNING,
            Generation.worker == worker,
            Generation.requeues == generation.requeues,
        )
        .with_for_update()
    ).first()
    if held is None:
        raise JobTakenBack(generation.id)


@contextlib.contextmanager
def writing(
    engine: sqlalchemy.Engine, generation: Generation, variant: int, sha256: str, *, worker: str
) -> Iterator[None]:
    """Around writing the file: the note committed first, then the job and the file held while the
    caller writes (a take-back, and removing the file, wait). JobTakenBack, before anything is
    written, when this worker's attempt no longer holds the job."""
    with Session(engine) as db:
        with file_lock(db, sha256):
            hold(db, generation, worker)
            row = db.get(VariantTask, (generation.id, variant))
            row = row or VariantTask(generation_id=generation.id, variant=variant)
            row.unrecorded_sha256, row.unrecorded_attempt = sha256, generation.requeues
            db.add(row)
            db.commit()
        # Held again for the write: an attempt taken back in between never writes, and one that
        # writes cannot be taken back (and its note cleared) before the file is whole.
        with file_lock(db, sha256):
            hold(db, generation, worker)
            yield


def cleared(generation_id: str, variant: int, sha256: str):
    """The statement that clears a note once the row is committed (in the row's transaction)."""
    return (
        update(VariantTask)
        .where(
            VariantTask.generation_id == generation_id,
            VariantTask.variant == variant,
            VariantTask.unrecorded_sha256 == sha256,
        )
        .values(unrecorded_sha256=None, unrecorded_attempt=None)
    )


def _over(attempt):
    """The notes whose attempt (a column) no longer holds its job."""
    return sqlalchemy.or_(Generation.status != GenerationStatus.RUNNING, Generation.requeues != attempt)


def release_over(engine: sqlalchemy.Engine, files: ImageFiles, thumbnails: ImageFiles, spool: Spool) -> int:
    """Remove the files of every note whose attempt is over and clear the notes; how many files went."""
    with Session(engine) as db:
        notes = db.exec(
            select(VariantTask.generation_id, VariantTask.variant, VariantTask.unrecorded_sha256)
            .join(Generation, col(Generation.id) == VariantTask.generation_id)
            .where(col(VariantTask.unrecorded_sha256).is_not(None), _over(VariantTask.unrecorded_attempt))
        ).all()
    return sum(release(engine, files, thumbnails, spool, *found) for found in notes)


def release(
    engine: sqlalchemy.Engine,
    files: ImageFiles,
    thumbnails: ImageFiles,
    spool: Spool,
    generation_id: str,
    variant: int,
    sha256: str | None,
) -> bool:
    """One note, if its attempt is over: its file removed unless something else names it, then the
    note cleared. True when the file was removed. Idempotent (a crash midway is done again)."""
    if sha256 is None:
        return False
    removed = False
    with Session(engine) as db, file_lock(db, sha256):
        found = db.exec(
            select(VariantTask.unrecorded_attempt)
            .join(Generation, col(Generation.id) == VariantTask.generation_id)
            .where(
                VariantTask.generation_id == generation_id,
                VariantTask.variant == variant,
                VariantTask.unrecorded_sha256 == sha256,
                _over(VariantTask.unrecorded_attempt),
            )
        ).first()
        if found is None:
            return False  # cleared meanwhile, or its attempt still holds the job
        other_notes = db.exec(
            select(VariantTask.generation_id).where(
                VariantTask.unrecorded_sha256 == sha256,
                sqlalchemy.or_(VariantTask.generation_id != generation_id, VariantTask.variant != variant),
            )
        ).first()
        # The spool before the rows: a spooled image's entry goes only after its row is committed.
        if other_notes is None and not spool.holds(sha256):
            if db.exec(select(Image.id).where(Image.sha256 == sha256).limit(1)).first() is None:
                removed = files.path_for(sha256).exists()
                files.delete(sha256)
                thumbnails.delete(sha256)
        db.exec(cleared(generation_id, variant, sha256))
        db.commit()
    return removed
