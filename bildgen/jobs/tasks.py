"""Each variant's state at the image service (the VariantTask table), written by the job's worker.

- Before a variant's request is sent, a row says so ("submitted"): a restarted bildgen then knows the
  request may have been paid for and never sends it again.
- A service that answers with a task (BFL, the gateway's async mode) has its task id and polling
  URL saved the moment it answers: a job whose worker stopped is queued again, and the next worker
  resumes polling those tasks instead of interrupting the job.
- Status ("queued at the service", "generating", "moderated"…), progress and ETA are kept here, so
  every process and tab reads the same.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, col, select

from bildgen.store.db import session
from bildgen.store.models import Generation, Image, VariantTask, utc_now

SUBMITTED, QUEUED, RUNNING = "submitted", "queued", "running"
DONE, MODERATED, FAILED, INTERRUPTED = "done", "moderated", "failed", "interrupted"
# Still at the service: a worker may be waiting for these.
IN_PROGRESS = (SUBMITTED, QUEUED, RUNNING)
LABELS = {
    SUBMITTED: "Sent to the image service",
    QUEUED: "Queued at the image service",
    RUNNING: "Being generated",
    DONE: "Done",
    MODERATED: "Declined by the service's moderation",
    FAILED: "Failed",
    INTERRUPTED: "Interrupted",
}
INTERRUPTED_VARIANT = (
    "Interrupted: bildgen stopped while this image was being made, and this service cannot be asked "
    "again for it without paying twice. The other images are kept."
)


@dataclasses.dataclass(frozen=True)
class VariantState:
    """What a tab shows for one variant while (and after) it is made."""

    status: str
    label: str
    fraction: float | None = None
    eta_s: float | None = None
    updated_at: datetime | None = None
    # Set while the service's live preview can be shown: routes.preview_upload_path(job, variant, this).
    preview_version: str | None = None


@dataclasses.dataclass(frozen=True)
class SavedTask:
    variant: int
    task_id: str | None
    polling_url: str | None
    submitted_at: float | None
    status: str

    @property
    def resumable(self) -> bool:
        return bool(self.task_id) and self.status in IN_PROGRESS


def _row(db: Session, job_id: str, variant: int) -> VariantTask:
    row = db.get(VariantTask, (job_id, variant))
    return row if row is not None else VariantTask(generation_id=job_id, variant=variant)


def record(engine: sqlalchemy.Engine, job_id: str, variant: int, **fields: object) -> None:
    """Create or update one variant's row (status, task, progress…)."""
    with session(engine) as db:
        row = _row(db, job_id, variant)
        for key, value in fields.items():
            setattr(row, key, value)
        row.updated_at = utc_now()
        db.add(row)
        db.commit()


def saved(engine: sqlalchemy.Engine, job_id: str) -> tuple[dict[int, SavedTask], set[int]]:
    """The job's variant rows, and the variants whose image is already saved."""
    with session(engine) as db:
        rows = db.exec(select(VariantTask).where(VariantTask.generation_id == job_id)).all()
        images = set(db.exec(select(Image.variant).where(Image.generation_id == job_id)).all())
    return {
        row.variant: SavedTask(row.variant, row.task_id, row.polling_url, row.submitted_at, row.status) for row in rows
    }, images


def states(db: Session, job_id: str, *, active: bool) -> dict[int, VariantState]:
    """Each variant's state; of a job that has ended, a variant still "at the service" was interrupted."""
    found = {}
    for row in db.exec(select(VariantTask).where(VariantTask.generation_id == job_id)).all():
        status = row.status if active or row.status not in IN_PROGRESS else INTERRUPTED
        going = status in IN_PROGRESS
        found[row.variant] = VariantState(
            status=status,
            label=LABELS.get(status, status),
            fraction=row.progress if going else None,
            eta_s=row.eta_s if going else None,
            updated_at=row.updated_at,
            preview_version=row.preview_sha256[:16] if going and row.preview_sha256 else None,
        )
    return found


def preview_of(engine: sqlalchemy.Engine, job_id: str, variant: int, *, owner_id: str) -> str | None:
    """The sha256 of the live preview of one of the owner's variants still being made; None otherwise."""
    with session(engine) as db:
        return db.exec(
            select(VariantTask.preview_sha256)
            .join(Generation, col(Generation.id) == VariantTask.generation_id)
            .where(
                VariantTask.generation_id == job_id,
                VariantTask.variant == variant,
                Generation.owner_id == owner_id,
                col(VariantTask.status).in_(IN_PROGRESS),
            )
        ).first()
