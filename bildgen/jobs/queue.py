"""The job queue: every generation waits here until a worker claims it, fairly.

- A job is a Generation row: queued → running → done / partial / failed / cancelled / interrupted.
  The database is the truth; tabs, the gallery and workers only read and change rows.
- Each model profile has a concurrency limit (`max_concurrent`, its server's, shared by all
  workers). A job takes one slot per variant (at most the limit); a job that does not fit waits.
- Users are served round-robin per profile: the next job goes to the user with the fewest running
  jobs, among equals to the one served longest ago, so one user's 40 queued images never starve
  another's single one (InvokeAI's multi-user queue does the same).
- A worker that stops hands its jobs back: one that drains on SIGTERM itself; one that died is
  noticed within seconds by any other (its liveness lock is free: jobs/liveness.py), or when the
  lease it renews runs out. The job goes back to the queue and the next worker goes on with it:
  saved variants stay, saved tasks are resumed, and a request that may have reached the service is
  sent again only where the profile says that costs nothing (`retry_interrupted`). Otherwise the job
  ends interrupted; and a job whose worker died `MAX_WORKER_DEATHS` times ends for good.
  docs/queue.md tells the whole story.
- Claims are serialised: a transaction-scoped advisory lock on PostgreSQL; on SQLite (one process
  by design) a process lock. The claiming UPDATE also checks the status, so a job is never run twice.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy
from sqlmodel import Session, col, func, select, update

from bildgen.i18n import N_
from bildgen.jobs import admission, liveness, tasks
from bildgen.params import EffectiveParameters
from bildgen.store.db import session, storage_errors
from bildgen.store.gallery import Cursor
from bildgen.store.image_library import SavedImage, saved_image, seed_sent
from bildgen.store.models import (
    Generation,
    GenerationReference,
    GenerationStatus,
    Image,
    User,
    VariantTask,
    utc_now,
)

LEASE = timedelta(seconds=30)
CLAIM_LOCK_KEY = 0x6B696C64  # any constant shared by every worker
# Waiting jobs read per claim: far more than the slots any set of servers has.
CLAIM_SCAN = 2000
# Stored with a job in English; shown in the reader's language (inference.errors.in_language).
CANCELLED = N_("Cancelled.")
INTERRUPTED = N_("Interrupted: the bildgen worker running this stopped. The images it saved are kept.")
# What a tab shows while a job's lease has run out but no worker could record that yet.
WORKER_DIED_TOO_OFTEN = N_(
    "Stopped: the bildgen worker running this stopped three times while making it, so it is not tried"
    " again (it may be what makes the worker fail). The images it saved are kept."
)
# A job whose worker died this often ends (WORKER_DIED_TOO_OFTEN says "three").
MAX_WORKER_DEATHS = 3
STALLED = N_(
    "Interrupted: the worker running this stopped reporting (bildgen stopped, or its storage is full). "
    "The images it saved are kept."
)
# The same for a job that had saved no image yet: nothing to keep, nothing promised.
NOTHING_SAVED = {
    INTERRUPTED: N_("Interrupted: the bildgen worker running this stopped before any image was saved."),
    STALLED: N_(
        "Interrupted: the worker running this stopped reporting (bildgen stopped, or its storage is full) "
        "before any image was saved."
    ),
    WORKER_DIED_TOO_OFTEN: N_(
        "Stopped: the bildgen worker running this stopped three times before any image was saved, so it is"
        " not tried again (it may be what makes the worker fail)."
    ),
}
_process_claims = threading.Lock()
_process_submissions = threading.Lock()
# The first half of the two-part advisory lock key of a user's submissions (the second: the user).
SUBMIT_LOCK_SPACE = 0x6B696C73


@dataclasses.dataclass(frozen=True)
class Submission:
    owner_id: str
    prompt: str
    profile_id: str
    parameters: EffectiveParameters
    seeds: list[int]
    # The user's ReferenceImage ids, in order; none means text to image.
    reference_ids: tuple[str, ...] = ()
    # The user's EditMask painted on the first reference: only that area may change.
    mask_id: str | None = None
    # The serving profile's label: the model's one human name in the gallery and download names.
    model_label: str | None = None
    # Provider options the profile's Capabilities offer (quality, aspect_ratio, denoising_strength,
    # prompt_upsampling, safety_tolerance…): kept in the job's spec, sent by the adapter.
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The batch item it runs (bildgen.batches); the pair is unique, so an item is never queued twice.
    batch_id: str | None = None
    batch_position: int | None = None
    # The recipe beyond the columns (the prompt before it was improved, context elements), as JSON.
    recipe_extras: str | None = None
    # The board its images go to (an API request's `board`: one of the owner's, bildgen.boards).
    board_id: str | None = None
    # What the job does to its reference where that is not plain image to image ("upscale",
    # "creative-upscale", "expand": bildgen.generation), kept as the generation's mode.
    kind: str | None = None

    @property
    def mode(self) -> str:
        if self.kind:
            return self.kind
        return "image-to-image" if self.reference_ids else "text-to-image"


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """What the runner needs beyond the generation's columns."""

    seeds: list[int]
    fixed_fields: list[tuple[str, Any]]
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps({"seeds": self.seeds, "fixed_fields": self.fixed_fields, "options": self.options})

    @classmethod
    def of(cls, generation: Generation) -> JobSpec:
        raw = json.loads(generation.spec or "{}")
        options = raw.get("options")
        return cls(
            seeds=[int(seed) for seed in raw.get("seeds", [])],
            fixed_fields=[(str(key), value) for key, value in raw.get("fixed_fields", [])],
            options=dict(options) if isinstance(options, dict) else {},
        )


def parameters_of(generation: Generation, spec: JobSpec) -> EffectiveParameters:
    return EffectiveParameters(
        width=generation.width,
        height=generation.height,
        steps=generation.steps,
        guidance=generation.guidance,
        guidance_field=generation.guidance_field,
        negative_prompt=generation.negative_prompt,
        fixed_fields=tuple(spec.fixed_fields),
    )


# ---- submitting and cancelling -------------------------------------------------------------------


def submit(engine: sqlalchemy.Engine, submission: Submission) -> str:
    """Queue a generation; its id. Raises a SubmissionRefused (jobs/refusals.py) when the admission
    check says no (generation switched off, profile unavailable, quota used up), StorageUnavailable
    when the row cannot be written."""
    parameters = submission.parameters
    generation = Generation(
        owner_id=submission.owner_id,
        prompt=submission.prompt,
        negative_prompt=parameters.negative_prompt,
        mode=submission.mode,
        reference_count=len(submission.reference_ids),
        model_profile=submission.profile_id,
        # Until a worker asks the server, the profile names the model (gallery, filenames).
        served_model=submission.profile_id,
        width=parameters.width,
        height=parameters.height,
        steps=parameters.steps,
        guidance=parameters.guidance,
        guidance_field=parameters.guidance_field,
        variant_count=len(submission.seeds),
        status=GenerationStatus.QUEUED,
        spec=JobSpec(
            seeds=list(submission.seeds), fixed_fields=list(parameters.fixed_fields), options=dict(submission.options)
        ).encode(),
        batch_id=submission.batch_id,
        batch_position=submission.batch_position,
        recipe_extras=submission.recipe_extras,
        mask_id=submission.mask_id if submission.reference_ids else None,
        model_label=submission.model_label,
        board_id=submission.board_id,
    )
    links = [
        GenerationReference(generation_id=generation.id, position=position, reference_id=reference_id)
        for position, reference_id in enumerate(submission.reference_ids)
    ]
    with storage_errors(), session(engine) as db, _one_submission_at_a_time(db, submission.owner_id):
        # Checked and written while no other submission of this user can be: simultaneous requests
        # (an API client's, say) cannot all pass a quota before any of them is counted.
        admission.check(
            engine,
            owner_id=submission.owner_id,
            profile_id=submission.profile_id,
            images=len(submission.seeds),
        )
        db.add(generation)
        db.flush()  # the generation first: the links point at it
        db.add_all(links)
        db.commit()
    return generation.id


@contextlib.contextmanager
def _one_submission_at_a_time(db: Session, owner_id: str) -> Iterator[None]:
    """Serialise one user's submissions: a transaction-scoped advisory lock per user on PostgreSQL
    (held until the caller commits), a process lock on SQLite (one process by design)."""
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(owner_id.encode()).digest()[:4], "big", signed=True)
        db.exec(
            sqlalchemy.text("SELECT pg_advisory_xact_lock(:space, :key)").bindparams(space=SUBMIT_LOCK_SPACE, key=key)
        )
        yield
    else:
        with _process_submissions:
            yield


def request_cancel(engine: sqlalchemy.Engine, job_id: str, *, owner_id: str | None) -> bool:
    """Cancel a waiting job at once, or ask its worker to stop a running one. owner_id None: any owner
    (administrators). False when there is no such job of that owner or it has already ended."""
    return _request_cancel(engine, Generation.id == job_id, owner_id=owner_id) > 0


def request_cancel_batch(engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str) -> int:
    """Cancel every waiting or running job of one of the owner's batches; how many were still active."""
    return _request_cancel(engine, Generation.batch_id == batch_id, owner_id=owner_id)


def _request_cancel(engine: sqlalchemy.Engine, which: Any, *, owner_id: str | None) -> int:
    owned = [which] + ([Generation.owner_id == owner_id] if owner_id is not None else [])
    with storage_errors(), session(engine) as db:
        waiting = db.exec(
            update(Generation)
            .where(*owned, Generation.status == GenerationStatus.QUEUED)
            .values(status=GenerationStatus.CANCELLED, error=CANCELLED, finished_at=utc_now())
        )
        running = db.exec(
            update(Generation)
            .where(*owned, Generation.status == GenerationStatus.RUNNING)
            .values(cancel_requested=True)
        )
        db.commit()
        return waiting.rowcount + running.rowcount


# ---- claiming, fairly ----------------------------------------------------------------------------


@contextlib.contextmanager
def _serialised(db: Session) -> Iterator[None]:
    if db.get_bind().dialect.name == "postgresql":
        db.exec(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=CLAIM_LOCK_KEY))
        yield
    else:
        with _process_claims:
            yield


def slots(variant_count: int, limit: int) -> int:
    # A job never needs more than the whole server, so it can always run once the server is free.
    return max(1, min(variant_count, limit))


def claim(
    engine: sqlalchemy.Engine,
    *,
    worker: str,
    limits: Mapping[str, int],
    capacity: int,
    worker_lock: int | None = None,
    now: datetime | None = None,
) -> list[Generation]:
    """Claim up to `capacity` waiting jobs for this worker, fairly, within every server's limit.
    A profile missing from `limits` (no longer configured) gets one slot: its job runs and fails plainly.
    `worker_lock`: the key of this worker's liveness lock (jobs/liveness.py), written into each job."""
    if capacity <= 0:
        return []
    now = now or utc_now()
    claimed: list[Generation] = []
    with session(engine) as db, _serialised(db):
        running = db.exec(
            select(Generation.owner_id, Generation.model_profile, Generation.variant_count).where(
                Generation.status == GenerationStatus.RUNNING
            )
        ).all()
        waiting = list(
            db.exec(
                select(Generation)
                .where(Generation.status == GenerationStatus.QUEUED)
                .order_by(col(Generation.created_at), col(Generation.id))
                .limit(CLAIM_SCAN)
            ).all()
        )
        if not waiting:
            return []
        served_last: dict[str | None, datetime | None] = dict(
            db.exec(
                select(Generation.owner_id, func.max(Generation.started_at))
                .where(col(Generation.started_at).is_not(None))
                .group_by(Generation.owner_id)
            ).all()
        )
        used: collections.Counter[str] = collections.Counter()
        running_jobs: collections.Counter[str | None] = collections.Counter()
        for owner, profile, count in running:
            used[profile] += slots(count, limits.get(profile, 1))
            running_jobs[owner] += 1
        while len(claimed) < capacity:
            job = _next_fair(waiting, used, running_jobs, served_last, limits)
            if job is None:
                break
            taken = db.exec(
                update(Generation)
                .where(Generation.id == job.id, Generation.status == GenerationStatus.QUEUED)
                .values(
                    status=GenerationStatus.RUNNING,
                    worker=worker,
                    worker_lock=worker_lock,
                    started_at=now,
                    lease_expires_at=now + LEASE,
                )
            )
            waiting.remove(job)
            if not taken.rowcount:
                continue
            job.status, job.worker, job.worker_lock, job.started_at, job.lease_expires_at = (
                GenerationStatus.RUNNING,
                worker,
                worker_lock,
                now,
                now + LEASE,
            )
            used[job.model_profile] += slots(job.variant_count, limits.get(job.model_profile, 1))
            running_jobs[job.owner_id] += 1
            served_last[job.owner_id] = now
            claimed.append(job)
        db.commit()
    return claimed


def _next_fair(
    waiting: list[Generation],
    used: Mapping[str, int],
    running_jobs: Mapping[str | None, int],
    served_last: Mapping[str | None, datetime | None],
    limits: Mapping[str, int],
) -> Generation | None:
    """The job to start next: per profile with room, the oldest job of the user whose turn it is."""
    oldest_per_user: dict[tuple[str, str | None], Generation] = {}
    for job in waiting:  # oldest first
        oldest_per_user.setdefault((job.model_profile, job.owner_id), job)
    by_profile: dict[str, list[Generation]] = collections.defaultdict(list)
    for (profile, _), job in oldest_per_user.items():
        by_profile[profile].append(job)
    never = datetime.min.replace(tzinfo=UTC)
    for profile, candidates in by_profile.items():
        limit = limits.get(profile, 1)
        turn = min(
            candidates,
            key=lambda job: (
                running_jobs.get(job.owner_id, 0),
                served_last.get(job.owner_id) or never,
                job.created_at,
            ),
        )
        # When it is this user's turn but their job does not fit yet, the profile waits for room
        # rather than letting smaller jobs of others overtake it for ever.
        if used.get(profile, 0) + slots(turn.variant_count, limit) <= limit:
            return turn
    return None


# ---- leases --------------------------------------------------------------------------------------


def renew_leases(
    engine: sqlalchemy.Engine, *, worker: str, job_ids: list[str], now: datetime | None = None
) -> set[str]:
    """Extend this worker's leases; the ids among `job_ids` it no longer holds (another worker
    declared them interrupted) so that it can stop them."""
    if not job_ids:
        return set()
    now = now or utc_now()
    with session(engine) as db:
        db.exec(
            update(Generation)
            .where(
                col(Generation.id).in_(job_ids),
                Generation.worker == worker,
                Generation.status == GenerationStatus.RUNNING,
            )
            .values(lease_expires_at=now + LEASE)
        )
        held = set(
            db.exec(
                select(Generation.id).where(
                    col(Generation.id).in_(job_ids),
                    Generation.worker == worker,
                    Generation.status == GenerationStatus.RUNNING,
                )
            ).all()
        )
        db.commit()
    return set(job_ids) - held


def cancel_requests(engine: sqlalchemy.Engine, *, worker: str) -> set[str]:
    with session(engine) as db:
        return set(
            db.exec(
                select(Generation.id).where(
                    Generation.worker == worker,
                    Generation.status == GenerationStatus.RUNNING,
                    col(Generation.cancel_requested).is_(True),
                )
            ).all()
        )


@dataclasses.dataclass(frozen=True)
class TakenBack:
    """What became of the jobs taken back from workers that stopped."""

    requeued: list[str] = dataclasses.field(default_factory=list)
    ended: list[str] = dataclasses.field(default_factory=list)


def take_back(
    engine: sqlalchemy.Engine,
    *,
    retries: Mapping[str, bool],
    judge_liveness: bool = False,
    all_running: bool = False,
    now: datetime | None = None,
) -> TakenBack:
    """Take back the running jobs of workers that died: those whose lease ran out; with
    `judge_liveness` (PostgreSQL) those whose worker's liveness lock is free; with `all_running` every
    running job (SQLite at start: no other process exists). Each goes back to the queue, or ends where
    nothing is left that may be done without paying twice (`retries`: per profile, whether a request
    that may have reached the service is sent again)."""
    now = now or utc_now()
    dead: list[Any] = [col(Generation.lease_expires_at).is_(None), col(Generation.lease_expires_at) < now]
    taken = TakenBack()
    with session(engine) as db:
        if all_running:
            dead = [sqlalchemy.true()]
        elif judge_liveness:
            held = liveness.held_keys(db.connection())
            lock = col(Generation.worker_lock)
            dead.append(lock.is_not(None) & lock.not_in(held) if held else lock.is_not(None))
        jobs = db.exec(
            select(Generation).where(Generation.status == GenerationStatus.RUNNING, sqlalchemy.or_(*dead))
        ).all()
        for job in jobs:
            requeued = _put_back(db, job, retry=retries.get(job.model_profile, False), died=True, now=now)
            if requeued is not None:
                (taken.requeued if requeued else taken.ended).append(job.id)
        db.commit()
    return taken


def hand_back(engine: sqlalchemy.Engine, job_id: str, *, worker: str, retry: bool) -> bool | None:
    """A draining worker gives a job it holds back to the queue (True), or ends it where nothing is
    left to do without paying twice (False). None when this worker no longer holds it."""
    with session(engine) as db:
        job = db.exec(
            select(Generation).where(
                Generation.id == job_id, Generation.worker == worker, Generation.status == GenerationStatus.RUNNING
            )
        ).first()
        if job is None:
            return None
        requeued = _put_back(db, job, retry=retry, died=False, now=utc_now())
        db.commit()
        return requeued


def _put_back(db: Session, job: Generation, *, retry: bool, died: bool, now: datetime) -> bool | None:
    """Requeue (True) or end (False) a job its worker left; None when that worker (or another look)
    changed it meanwhile. The caller commits."""
    deaths = job.worker_deaths + (1 if died else 0)
    going_on, paid_in_flight = _what_is_left(db, job, retry=retry)
    held = (Generation.id == job.id, Generation.status == GenerationStatus.RUNNING, Generation.worker == job.worker)
    if going_on and deaths < MAX_WORKER_DEATHS:
        values: dict[str, Any] = dict(status=GenerationStatus.QUEUED, requeues=job.requeues + 1)
    else:
        saved = bool(db.exec(select(Image.id).where(Image.generation_id == job.id).limit(1)).first())
        errors = json.loads(job.variant_errors or "{}")
        if going_on:
            status, error = (GenerationStatus.PARTIAL if saved else GenerationStatus.FAILED), WORKER_DIED_TOO_OFTEN
        elif paid_in_flight:
            status, error = GenerationStatus.INTERRUPTED, INTERRUPTED
        elif not errors:
            status, error = GenerationStatus.DONE, None  # it stopped after its last image was saved
        else:
            status, error = (
                (GenerationStatus.PARTIAL if saved else GenerationStatus.FAILED),
                next(iter(errors.values())),
            )
        values = dict(status=status, error=error, finished_at=now)
    result = db.exec(
        update(Generation)
        .where(*held)
        .values(worker=None, worker_lock=None, lease_expires_at=None, worker_deaths=deaths, **values)
    )
    if not result.rowcount:
        return None
    return values["status"] == GenerationStatus.QUEUED


def _what_is_left(db: Session, job: Generation, *, retry: bool) -> tuple[bool, bool]:
    """Whether another worker may go on with the job without paying twice (a variant never sent, a
    saved task to resume, or one to ask again where that is free), and whether a variant was sent
    and may not be asked again."""
    rows = {row.variant: row for row in db.exec(select(VariantTask).where(VariantTask.generation_id == job.id))}
    saved = set(db.exec(select(Image.variant).where(Image.generation_id == job.id)).all())
    going_on = paid_in_flight = False
    for variant in range(job.variant_count):
        row = rows.get(variant)
        if variant in saved or (row is not None and row.status not in tasks.IN_PROGRESS):
            continue  # saved, or ended with its own message
        if row is None or row.task_id or retry:
            going_on = True
        else:
            paid_in_flight = True
    return going_on, paid_in_flight


# ---- a worker's progress -------------------------------------------------------------------------


def record_served_model(engine: sqlalchemy.Engine, job_id: str, served_model: str) -> None:
    with session(engine) as db:
        db.exec(update(Generation).where(Generation.id == job_id).values(served_model=served_model[:300]))
        db.commit()


def record_sent_settings(engine: sqlalchemy.Engine, job_id: str, sent: frozenset[str]) -> None:
    """Which recipe settings the adapter sends for this job (providers.RECIPE_SETTINGS): the recipe
    records only those (store/image_library.stored_recipe). Written before anything is sent."""
    with session(engine) as db:
        row = db.get(Generation, job_id)
        if row is None:
            return
        spec = json.loads(row.spec or "{}")
        spec["sent"] = sorted(sent)
        row.spec = json.dumps(spec)
        db.add(row)
        db.commit()


def record_variant_error(engine: sqlalchemy.Engine, job_id: str, variant: int, message: str) -> None:
    with session(engine) as db:
        row = db.get(Generation, job_id)
        if row is None:
            return
        errors = json.loads(row.variant_errors or "{}")
        errors[str(variant)] = message
        row.variant_errors = json.dumps(errors)
        db.add(row)
        db.commit()


def finish(engine: sqlalchemy.Engine, job_id: str, *, worker: str, status: str, error: str | None) -> bool:
    """Record how a job ended, if this worker still holds it."""
    with session(engine) as db:
        result = db.exec(
            update(Generation)
            .where(Generation.id == job_id, Generation.worker == worker, Generation.status == GenerationStatus.RUNNING)
            .values(status=status, error=error, finished_at=utc_now(), lease_expires_at=None)
        )
        db.commit()
        return bool(result.rowcount)


# ---- what a tab shows ----------------------------------------------------------------------------


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
        if _what_is_left(db, generation, retry=False)[0]:
            # Images never sent, or tasks still at the service: the next worker to look goes on with them.
            status = GenerationStatus.QUEUED
        else:
            # Nobody renews it: say so now, whether or not a worker could write that down yet.
            status, error = GenerationStatus.INTERRUPTED, STALLED
    if not images:
        error = NOTHING_SAVED.get(error, error)
    return JobView(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        model_profile=generation.model_profile,
        id=generation.id,
        status=status,
        error=error,
        variant_count=generation.variant_count,
        seeds=JobSpec.of(generation).seeds,
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
