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
- This module is the write side (submit, cancel, claim, leases, take back, finish); what tabs, the
  API and the admin page read of jobs is jobs/views.py.
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
from bildgen.store.models import (
    Generation,
    GenerationReference,
    GenerationStatus,
    Image,
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
    going_on, paid_in_flight = what_is_left(db, job, retry=retry)
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


def what_is_left(db: Session, job: Generation, *, retry: bool) -> tuple[bool, bool]:
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
