"""The queue's read model: what a tab (the studio's feed, a run's cards), the /v1 API and the admin
page see of jobs. Reads only; every change goes through jobs/queue.py (the write side), which the
fronts never call (tests/unit/test_layers.py).

A job whose worker's lease ran out is shown as it will go on: waiting where another worker may go on
with it (the rule `queue.take_back` uses), interrupted otherwise.
"""

from __future__ import annotations

import collections
import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, col, select

from bildgen.jobs import queue, tasks
from bildgen.store.db import session
from bildgen.store.gallery import Cursor
from bildgen.store.image_library import SavedImage, saved_image, seed_sent
from bildgen.store.models import Generation, GenerationReference, GenerationStatus, Image, User, utc_now


@dataclasses.dataclass(frozen=True)
class JobView:
    id: str
    status: str
    error: str | None
    variant_count: int
    seeds: list[int]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    images: dict[int, SavedImage]
    variant_errors: dict[int, str]
    # Jobs that start before this one (queued jobs only).
    ahead: int | None
    cancel_requested: bool
    prompt: str = ""
    negative_prompt: str | None = None
    model_profile: str = ""
    # Each variant's status at the image service ("Queued at the image service", "Declined by the
    # service's moderation"…) and, where the service reports it, its progress and ETA.
    variants: dict[int, tasks.VariantState] = dataclasses.field(default_factory=dict)
    # A worker that stopped put it back in the queue, and another goes on with it.
    resumed: bool = False
    # Whether the service was sent the seeds (GPT-Image, Gemini take none): only then are they shown.
    seed_sent: bool = True

    @property
    def active(self) -> bool:
        return self.status in GenerationStatus.ACTIVE


def view(engine: sqlalchemy.Engine, job_id: str, *, owner_id: str) -> JobView | None:
    """One of the owner's jobs as it stands; None for a foreign or missing id."""
    with session(engine) as db:
        generation = db.exec(select(Generation).where(Generation.id == job_id, Generation.owner_id == owner_id)).first()
        if generation is None:
            return None
        return _view(db, generation)


def latest(engine: sqlalchemy.Engine, *, owner_id: str) -> JobView | None:
    """The user's most recent job, finished or not."""
    with session(engine) as db:
        generation = db.exec(
            select(Generation)
            .where(Generation.owner_id == owner_id)
            .order_by(col(Generation.created_at).desc(), col(Generation.id).desc())
            .limit(1)
        ).first()
        return _view(db, generation) if generation else None


RUNS_PAGE = 8


@dataclasses.dataclass(frozen=True)
class Run:
    """One of the studio's runs: the job as it stands, and its recipe."""

    view: JobView
    generation: Generation
    # The reference images it was made from, in order (its card shows them, and the mask).
    reference_ids: tuple[str, ...] = ()


def _references_of(db: Session, generations: list[Generation]) -> dict[str, tuple[str, ...]]:
    """Each generation's reference ids in order, for all of them in one query."""
    wanted = [generation.id for generation in generations if generation.reference_count]
    found: dict[str, list[str]] = {}
    if wanted:
        links = db.exec(
            select(GenerationReference)
            .where(col(GenerationReference.generation_id).in_(wanted))
            .order_by(col(GenerationReference.generation_id), col(GenerationReference.position))
        ).all()
        for link in links:
            found.setdefault(link.generation_id, []).append(link.reference_id)
    return {generation_id: tuple(ids) for generation_id, ids in found.items()}


@dataclasses.dataclass(frozen=True)
class RunsPage:
    runs: list[Run]
    # Where the next (older) page starts; None when this was the oldest.
    next_cursor: Cursor | None


def runs(engine: sqlalchemy.Engine, *, owner_id: str, before: Cursor | None = None, limit: int = RUNS_PAGE) -> RunsPage:
    """The owner's studio runs, newest first, paged by key (created_at, id), never by OFFSET.
    Batches' generations are left out: they have their own page."""
    query = select(Generation).where(Generation.owner_id == owner_id, col(Generation.batch_id).is_(None))
    if before is not None:
        query = query.where(
            sqlalchemy.tuple_(Generation.created_at, Generation.id)
            < sqlalchemy.tuple_(before.created_at, before.image_id)
        )
    query = query.order_by(col(Generation.created_at).desc(), col(Generation.id).desc()).limit(limit + 1)
    with session(engine) as db:
        rows = list(db.exec(query).all())
        more, rows = len(rows) > limit, rows[:limit]
        references = _references_of(db, rows)
        found = [Run(_view(db, generation), generation, references.get(generation.id, ())) for generation in rows]
    last = rows[-1] if rows else None
    return RunsPage(found, Cursor(last.created_at, last.id) if more and last else None)


def run(engine: sqlalchemy.Engine, job_id: str, *, owner_id: str) -> Run | None:
    """One of the owner's runs; None for a foreign or missing id."""
    with session(engine) as db:
        generation = db.exec(select(Generation).where(Generation.id == job_id, Generation.owner_id == owner_id)).first()
        if generation is None:
            return None
        return Run(_view(db, generation), generation, _references_of(db, [generation]).get(generation.id, ()))


def _view(db: Session, generation: Generation) -> JobView:
    images = db.exec(select(Image).where(Image.generation_id == generation.id)).all()
    errors = json.loads(generation.variant_errors or "{}")
    status, error = generation.status, generation.error
    lease = generation.lease_expires_at
    if status == GenerationStatus.RUNNING and lease is not None and lease < utc_now():
        if queue.what_is_left(db, generation, retry=False)[0]:
            # Images never sent, or tasks still at the service: the next worker to look goes on with them.
            status = GenerationStatus.QUEUED
        else:
            # Nobody renews it: say so now, whether or not a worker could write that down yet.
            status, error = GenerationStatus.INTERRUPTED, queue.STALLED
    if not images:
        error = queue.NOTHING_SAVED.get(error, error)
    return JobView(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        model_profile=generation.model_profile,
        id=generation.id,
        status=status,
        error=error,
        variant_count=generation.variant_count,
        seeds=queue.JobSpec.of(generation).seeds,
        seed_sent=seed_sent(generation),
        created_at=generation.created_at,
        started_at=generation.started_at,
        finished_at=generation.finished_at,
        images={image.variant: saved_image(image, generation) for image in images},
        variant_errors={int(key): str(value) for key, value in errors.items()},
        ahead=_ahead(db, generation) if generation.status == GenerationStatus.QUEUED else None,
        cancel_requested=generation.cancel_requested,
        variants=tasks.states(db, generation.id, active=status in GenerationStatus.ACTIVE),
        resumed=generation.requeues > 0,
    )


def _ahead(db: Session, job: Generation) -> int:
    """Jobs on the same server that start before this one, if the round-robin goes as now."""
    return _places_ahead(_waiting_per_owner(db, job.model_profile), job.owner_id, job.created_at)


def _waiting_per_owner(db: Session, profile: str) -> dict[str | None, list[datetime]]:
    """When each user's waiting jobs on one profile were queued, oldest first."""
    waiting = db.exec(
        select(Generation.owner_id, Generation.created_at)
        .where(Generation.status == GenerationStatus.QUEUED, Generation.model_profile == profile)
        .order_by(col(Generation.created_at), col(Generation.id))
    ).all()
    per_owner: dict[str | None, list[datetime]] = collections.defaultdict(list)
    for owner, created in waiting:
        per_owner[owner].append(created)
    return per_owner


def _places_ahead(per_owner: Mapping[str | None, list[datetime]], owner_id: str | None, created_at: datetime) -> int:
    mine = per_owner.get(owner_id, [])
    # Round r serves every user's r-th job; this job is in round `rank`.
    rank = sum(1 for created in mine if created < created_at)
    ahead = rank
    for owner, created in per_owner.items():
        if owner == owner_id:
            continue
        # Earlier rounds, and this round too when that user has waited longer.
        ahead += min(len(created), rank + (1 if created[0] < created_at else 0))
    return ahead


@dataclasses.dataclass(frozen=True)
class ActiveJob:
    id: str
    owner_id: str | None
    username: str  # "" when the owner's account is gone
    prompt: str
    model_profile: str
    status: str
    variant_count: int
    created_at: datetime
    started_at: datetime | None
    worker: str | None
    cancel_requested: bool
    # Jobs that start before this one (waiting jobs only), as the owner's studio shows it.
    ahead: int | None


def active_jobs(engine: sqlalchemy.Engine, *, owner_id: str | None = None) -> list[ActiveJob]:
    """Waiting and running jobs, oldest first: one user's, or everyone's (owner_id None, administrators)."""
    query = (
        select(Generation, User.username)
        .join(User, col(Generation.owner_id) == User.id, isouter=True)
        .where(col(Generation.status).in_(GenerationStatus.ACTIVE))
    )
    if owner_id is not None:
        query = query.where(Generation.owner_id == owner_id)
    with session(engine) as db:
        rows = db.exec(query.order_by(col(Generation.created_at), col(Generation.id))).all()
        # Places count everyone's waiting jobs, so they are read per profile, not from `rows`.
        waiting = {
            profile: _waiting_per_owner(db, profile)
            for profile in {row.model_profile for row, _ in rows if row.status == GenerationStatus.QUEUED}
        }
    return [
        ActiveJob(
            id=row.id,
            owner_id=row.owner_id,
            username=username or "",
            prompt=row.prompt,
            model_profile=row.model_profile,
            status=row.status,
            variant_count=row.variant_count,
            created_at=row.created_at,
            started_at=row.started_at,
            worker=row.worker,
            cancel_requested=row.cancel_requested,
            ahead=(
                _places_ahead(waiting[row.model_profile], row.owner_id, row.created_at)
                if row.status == GenerationStatus.QUEUED
                else None
            ),
        )
        for row, username in rows
    ]
