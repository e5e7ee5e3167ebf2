"""The job runner: each bildgen worker process runs one, whether or not any tab is open.

It claims waiting jobs from the queue, runs each (one request per variant, concurrently up to the
profile's `max_concurrent`; each image saved whole the moment it arrives), renews its leases, stops
jobs whose cancel was asked for, and takes back the jobs of workers that died (jobs/liveness.py).
On the way out it drains: no new jobs, running ones get `drain_s` to finish, the rest go back to
the queue. Tabs in the same process are woken the moment a job changes; tabs in other processes
read the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable

import sqlalchemy

from bildgen.cpu import in_image_pool
from bildgen.i18n import N_
from bildgen.images.decoding import sniff_format
from bildgen.inference import providers
from bildgen.inference.errors import InferenceError
from bildgen.inference.profiles import Catalog
from bildgen.inference.providers import Adapter, ProviderRequest, TaskHandle, TaskProgress
from bildgen.jobs import liveness, queue, tasks
from bildgen.provenance.signing import Ingredient
from bildgen.store import library, unrecorded
from bildgen.store.db import StorageUnavailable, is_storage_failure
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary, SavedImage, sent_settings
from bildgen.store.models import Generation, GenerationStatus
from bildgen.waits import Backoff, event_within

logger = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong while generating this image. Nothing was kept; try again."
SAVE_FAILED = N_("The image arrived but could not be saved (the disk may be full). Nothing was kept; try again.")
DATABASE_AWAY = N_("The database was unavailable, so this image was not requested. Nothing was sent; try again.")
# How long a job waits for its database to come back, to note a variant as sent or record how it
# ended (with any images spooled meanwhile), before it gives up on that.
OUTAGE_WAIT_S = 300.0
PROFILE_GONE = "This model is no longer offered here. Nothing was sent."
REFERENCE_GONE = "A reference image is no longer available. Nothing was sent."
HOUSEKEEPING_S = 5.0
# How often a worker makes sure it holds its liveness lock and looks for workers that died.
LIVENESS_S = 1.0
# Progress is written at most this often per variant (a new status is written at once).
PROGRESS_WRITE_S = 1.0
# A live preview larger than this is not kept (the WebUI's are a few dozen KB).
MAX_PREVIEW_BYTES = 2 * 1024 * 1024
CANCEL_WAIT_S = 3.0
# On the way out (after the drain), how long this worker's jobs get to record how they ended before
# it goes on without them (their lease then runs out and another worker looks at them).
STOP_WAIT_S = 30.0
POLL_S = 1.0
DEFAULT_CAPACITY = 32

# One per waiting tab and job: set when the job changes in this process.
_watchers: dict[str, set[asyncio.Event]] = {}


@contextlib.contextmanager
def watching(job_id: str):
    """An event set whenever this process changes the job: take it before reading, then wait on it."""
    event = asyncio.Event()
    _watchers.setdefault(job_id, set()).add(event)
    try:
        yield event
    finally:
        events = _watchers.get(job_id)
        if events is not None:
            events.discard(event)
            if not events:
                _watchers.pop(job_id, None)


def _notify(job_id: str) -> None:
    for event in _watchers.get(job_id, ()):
        event.set()


@dataclasses.dataclass(frozen=True)
class VariantOutcome:
    variant: int
    seed: int
    image: SavedImage | None = None
    error: str | None = None
    # Declined by the service's moderation: a refusal, not a failure.
    moderated: bool = False
    # Saved by an earlier worker, before this one resumed the job.
    saved_before: bool = False

    @property
    def saved(self) -> bool:
        return self.image is not None or self.saved_before


class _VariantEvents:
    """What an adapter reports about one variant, written down for every process and tab to see:
    the task the moment the service names it, then its status and progress (at most once a second
    unless the status changes)."""

    def __init__(self, engine: sqlalchemy.Engine, previews: ImageFiles, job_id: str, variant: int) -> None:
        self.engine = engine
        self.previews = previews
        self.job_id = job_id
        self.variant = variant
        self.handle: TaskHandle | None = None
        self.preview: str | None = None  # the sha256 of the live preview shown now
        self._last: tuple[str, float] | None = None

    async def started(self, handle: TaskHandle) -> None:
        self.handle = handle
        try:
            await asyncio.to_thread(
                tasks.record,
                self.engine,
                self.job_id,
                self.variant,
                task_id=handle.task_id[:300],
                polling_url=handle.polling_url,
                submitted_at=handle.submitted_at,
                status=tasks.SUBMITTED,
            )
        except Exception as error:
            # The image is on its way and will be kept (spooled if need be); only resuming the task
            # after a crash needs this row.
            if not is_storage_failure(error):
                raise
            logger.warning("job %s: noting variant %s's task failed (%s)", self.job_id, self.variant, error)
        _notify(self.job_id)

    async def progress(self, report: TaskProgress) -> None:
        now = time.monotonic()
        if self._last is not None and self._last[0] == report.status and now - self._last[1] < PROGRESS_WRITE_S:
            return
        self._last = (str(report.status), now)
        fields: dict[str, object] = {"status": str(report.status), "progress": report.fraction, "eta_s": report.eta_s}
        try:
            new_preview = None
            if report.preview and len(report.preview) <= MAX_PREVIEW_BYTES and sniff_format(report.preview):
                new_preview = fields["preview_sha256"] = await asyncio.to_thread(self.previews.save, report.preview)
            await asyncio.to_thread(tasks.record, self.engine, self.job_id, self.variant, **fields)
            if new_preview:
                shown, self.preview = self.preview, new_preview
                if shown and shown != new_preview:
                    await asyncio.to_thread(self.previews.delete, shown)
        except Exception as error:  # progress is a nicety: a full disk must not end the image
            if not is_storage_failure(error):
                raise
        _notify(self.job_id)

    async def ended(self, status: str) -> None:
        """The variant's final status; its live preview is no longer needed."""
        await asyncio.to_thread(
            tasks.record,
            self.engine,
            self.job_id,
            self.variant,
            status=status,
            progress=None,
            eta_s=None,
            preview_sha256=None,
        )
        if self.preview:
            await asyncio.to_thread(self.previews.delete, self.preview)
            self.preview = None


async def _while_storage_away(action: Callable[[], object], *, what: str) -> None:
    """Run a blocking database write in a thread; while the database (or disk) is away, try again
    with backoff for up to OUTAGE_WAIT_S, then give up with the last storage failure."""
    backoff, deadline = Backoff(), time.monotonic() + OUTAGE_WAIT_S
    while True:
        try:
            await asyncio.to_thread(action)
            return
        except Exception as error:
            if not is_storage_failure(error) or time.monotonic() + backoff.next > deadline:
                raise
            if not backoff.failures:
                logger.warning("%s: storage unavailable (%s); trying again", what, type(error).__name__)
            await backoff.pause()


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


async def _cancel_and_wait(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks and wait for them, at most STOP_WAIT_S: a stop never hangs on one of them."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_S)
    for task in stuck:
        # Never expected; said with the place it waits, so that such a hang can be found.
        trace = io.StringIO()
        task.print_stack(file=trace)
        logger.error("%s did not stop within %.0f s:\n%s", task.get_name(), STOP_WAIT_S, trace.getvalue())


class JobRunner:
    def __init__(
        self,
        *,
        engine: sqlalchemy.Engine,
        images: ImageLibrary,
        references: ImageFiles,
        catalog: Callable[[], Catalog],
        capacity: int = DEFAULT_CAPACITY,
        worker: str | None = None,
        drain_s: float = 0.0,
    ) -> None:
        self.engine = engine
        self.images = images
        self.references = references
        self._catalog = catalog
        self.capacity = capacity
        self.worker = worker or new_worker_id()
        self._running: dict[str, asyncio.Task[None]] = {}
        # Jobs stopped because their user cancelled them (not because the lease was lost or the
        # worker stops): only their tasks are dropped at the service.
        self._cancelled_by_user: set[str] = set()
        self._wake = asyncio.Event()
        # Draining: no new jobs. Stopping: the drain is over, what still runs goes back to the queue.
        self._draining = False
        self._stopping = False
        # How long running jobs get to finish when the runner stops (BILDGEN_DRAIN_SECONDS).
        self.drain_s = drain_s
        self._lock = liveness.WorkerLock(engine)

    def wake(self) -> None:
        """A job was queued in this process: look now rather than at the next poll."""
        self._wake.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobRunner]:
        """Run the loop for as long as the block lasts; on the way out, drain: claim nothing more,
        give running jobs up to `drain_s` to finish, then hand the rest back to the queue (never
        cancelled: nobody asked for that)."""
        self._draining = self._stopping = False
        loop = asyncio.create_task(self._loop(), name=f"bildgen-job-runner-{self.worker}")
        try:
            yield self
        finally:
            self._draining = True
            if self._running and self.drain_s > 0:
                logger.info("job runner: draining %d jobs for up to %.0f s", len(self._running), self.drain_s)
                await asyncio.wait(list(self._running.values()), timeout=self.drain_s)
            self._stopping = True
            await _cancel_and_wait([loop])
            await _cancel_and_wait(list(self._running.values()))
            # Only now: a job still held here is not taken back by another worker while it is handed back.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._lock.release)

    async def _loop(self) -> None:
        housekeeping_due = liveness_due = 0.0
        while True:
            # Cleared before looking, not after: a job that ends (or is queued) while this claims
            # wakes the next round at once instead of being missed until the next poll.
            self._wake.clear()
            try:
                if time.monotonic() >= liveness_due:
                    liveness_due = time.monotonic() + LIVENESS_S
                    await self._watch_workers()
                if time.monotonic() >= housekeeping_due:
                    housekeeping_due = time.monotonic() + HOUSEKEEPING_S
                    await self._housekeeping()
                await self._stop_cancelled()
                if not self._draining:
                    await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A database that is down or full must not end the runner: it tries again.
                if is_storage_failure(error):
                    logger.warning("job runner: storage unavailable (%s); retrying", type(error).__name__)
                else:
                    logger.exception("job runner: unexpected error; retrying")
            await event_within(self._wake, POLL_S)

    async def _housekeeping(self) -> None:
        lost = await asyncio.to_thread(queue.renew_leases, self.engine, worker=self.worker, job_ids=list(self._running))
        for job_id in lost:
            task = self._running.get(job_id)
            if task is None:
                continue  # it ended while the leases were being renewed
            logger.warning("job %s: this worker lost its lease; stopping it", job_id)
            task.cancel()
        await self._take_back(judge_liveness=False)

    async def _watch_workers(self) -> None:
        """Hold this worker's liveness lock (again, after a database restart), and take back the jobs
        of workers whose lock is free: they died."""
        if not liveness.supported(self.engine):
            return
        await asyncio.to_thread(self._lock.ensure)
        if self._lock.may_judge_others:
            await self._take_back(judge_liveness=True)

    async def _take_back(self, *, judge_liveness: bool) -> None:
        retries = self._catalog().retries_interrupted()
        taken = await asyncio.to_thread(queue.take_back, self.engine, retries=retries, judge_liveness=judge_liveness)
        if taken.requeued or taken.ended:
            # Files the dead workers wrote without rows, before anyone goes on with their jobs.
            await self._remove_unrecorded()
        for job_id in taken.requeued:
            logger.warning("job %s: its worker stopped; back in the queue for another to go on with", job_id)
            _notify(job_id)
        for job_id in taken.ended:
            logger.warning("job %s: its worker stopped, and nothing is left that may be done again", job_id)
            _notify(job_id)
        if taken.requeued:
            self._wake.set()  # this worker may go on with them at once

    async def _remove_unrecorded(self) -> None:
        try:
            await asyncio.to_thread(self.images.remove_unrecorded)
        except Exception as error:
            if not is_storage_failure(error):
                raise
            logger.warning("removing files of stopped workers failed (%s); the next take-back tries again", error)

    async def _stop_cancelled(self) -> None:
        if not self._running:
            return
        for job_id in await asyncio.to_thread(queue.cancel_requests, self.engine, worker=self.worker):
            task = self._running.get(job_id)
            if task is not None:
                self._cancelled_by_user.add(job_id)
                task.cancel()

    async def _claim(self) -> None:
        free = self.capacity - len(self._running)
        if free <= 0:
            return
        if liveness.supported(self.engine) and self._lock.key is None:
            return  # not before this worker's death can be noticed
        limits = self._catalog().concurrency_limits()
        jobs = await asyncio.to_thread(
            queue.claim, self.engine, worker=self.worker, limits=limits, capacity=free, worker_lock=self._lock.key
        )
        for job in jobs:
            task = asyncio.create_task(self._run(job), name=f"bildgen-job-{job.id}")
            self._running[job.id] = task
            task.add_done_callback(lambda _, job_id=job.id: self._done(job_id))
            _notify(job.id)

    def _done(self, job_id: str) -> None:
        self._running.pop(job_id, None)
        self._cancelled_by_user.discard(job_id)
        _notify(job_id)
        # A slot is free: another waiting job may fit now.
        self._wake.set()

    # ---- one job -----------------------------------------------------------------------------

    async def _run(self, job: Generation) -> None:
        outcomes: dict[int, VariantOutcome] = {}
        status, error = GenerationStatus.FAILED, UNEXPECTED
        released = False
        try:
            status, error = await self._generate(job, outcomes)
        except asyncio.CancelledError:
            saved = sum(1 for outcome in outcomes.values() if outcome.saved)
            if self._stopping:
                status, error = GenerationStatus.INTERRUPTED, queue.INTERRUPTED
                # Back to the queue, for the next worker to go on with (or ended, if nothing may be).
                released = await self._hand_back(job)
            else:
                status = GenerationStatus.PARTIAL if saved else GenerationStatus.CANCELLED
                error = queue.CANCELLED
        except InferenceError as failure:
            status, error = GenerationStatus.FAILED, failure.english_message
        except StorageUnavailable as failure:
            status, error = GenerationStatus.FAILED, str(failure)  # stored English, translated where shown
        except Exception:
            logger.exception("job %s failed unexpectedly", job.id)
        finally:
            if not released:
                try:
                    await asyncio.shield(self._record_ending(job, status, error))
                except Exception:
                    # The lease runs out and another look marks it interrupted: the tab is not left spinning.
                    logger.exception("job %s: recording how it ended failed", job.id)

    async def _record_ending(self, job: Generation, status: str, error: str | None) -> None:
        """Images spooled during a database outage first (a job is never "done" without its rows),
        then how the job ended; both again and again while the database is away."""

        def record() -> None:
            if self.images.spooled(job.id):
                self.images.record_spooled(job.id)
            queue.finish(self.engine, job.id, worker=self.worker, status=status, error=error)

        await _while_storage_away(record, what=f"job {job.id}: recording how it ended")

    async def _hand_back(self, job: Generation) -> bool:
        """True when the job's end is recorded: back in the queue, or ended by the rules of take_back."""
        catalog = self._catalog()
        retry = job.model_profile in catalog.models and catalog.get(job.model_profile).retries_interrupted

        def hand_back() -> bool | None:
            # Spooled images first: the next worker must not make them again.
            if self.images.spooled(job.id):
                self.images.record_spooled(job.id)
            return queue.hand_back(self.engine, job.id, worker=self.worker, retry=retry)

        try:
            requeued = await asyncio.shield(asyncio.to_thread(hand_back))
        except Exception:
            logger.exception("job %s: handing it back to the queue failed", job.id)
            return False
        if requeued:
            logger.info("job %s: handed back to the queue for another worker to go on with", job.id)
        with contextlib.suppress(Exception):  # the next take-back or start tries again
            await asyncio.shield(self._remove_unrecorded())
        return True

    async def _generate(self, job: Generation, outcomes: dict[int, VariantOutcome]) -> tuple[str, str | None]:
        catalog = self._catalog()
        if job.model_profile not in catalog.models:
            return GenerationStatus.FAILED, PROFILE_GONE
        profile = catalog.get(job.model_profile)
        spec = queue.JobSpec.of(job)
        saved_tasks, saved_variants = await asyncio.to_thread(tasks.saved, self.engine, job.id)
        earlier_errors = {int(key): str(value) for key, value in json.loads(job.variant_errors or "{}").items()}
        # A variant already saved is kept. One started by an earlier worker without a task to resume
        # is sent again only where the profile says that costs nothing (a service of the organisation's
        # own): elsewhere that request may have been paid for. Variants never sent are sent.
        to_send, to_resume = [], []
        for variant, seed in enumerate(spec.seeds):
            task = saved_tasks.get(variant)
            if variant in saved_variants:
                outcomes[variant] = VariantOutcome(variant, seed, saved_before=True)
            elif task is None:
                to_send.append((variant, seed))
            elif task.resumable:
                to_resume.append((variant, seed, task))
            elif task.status in tasks.IN_PROGRESS and profile.retries_interrupted:
                to_send.append((variant, seed))
            else:
                error = earlier_errors.get(variant, tasks.INTERRUPTED_VARIANT)
                outcomes[variant] = VariantOutcome(variant, seed, error=error)
                if variant not in earlier_errors:
                    await asyncio.to_thread(queue.record_variant_error, self.engine, job.id, variant, error)
                    await asyncio.to_thread(tasks.record, self.engine, job.id, variant, status=tasks.FAILED)
        references: tuple[bytes, ...] = ()
        mask: bytes | None = None
        if to_send:
            try:
                references, mask = await asyncio.to_thread(self._inputs, job)
            except LookupError:
                return GenerationStatus.FAILED, REFERENCE_GONE
        async with providers.adapter_for(profile) as adapter:
            served_id: str | None = job.served_model
            if to_send:
                served = await adapter.served_model()
                served_id = served.id
                if served.id and served.id != job.served_model:
                    job.served_model = served.id
                    # Waits out a database outage (one that began just after the claim) like every write here.
                    await _while_storage_away(
                        lambda: queue.record_served_model(self.engine, job.id, served.id),
                        what=f"job {job.id}: noting the served model",
                    )
            if to_send:
                await self._record_sent(adapter, job, spec)
            thumbnails: list[asyncio.Task[None]] = []
            # max_concurrent counts requests at the service: a job holds as many slots as the queue
            # gave it (queue.slots), and its other variants wait here, unsent (a cancel stops them).
            slots = asyncio.Semaphore(queue.slots(job.variant_count, profile.max_concurrent))
            variants = [
                self._variant(
                    adapter,
                    job,
                    variant,
                    seed,
                    outcomes,
                    thumbnails,
                    slots,
                    request=ProviderRequest(
                        prompt=job.prompt,
                        parameters=queue.parameters_of(job, spec),
                        seed=seed,
                        references=references,
                        mask=mask,
                        options=spec.options,
                    ),
                    model=served_id,
                )
                for variant, seed in to_send
            ] + [
                self._variant(adapter, job, variant, seed, outcomes, thumbnails, slots, resume=task)
                for variant, seed, task in to_resume
            ]
            await asyncio.gather(*variants)
        await asyncio.gather(*thumbnails, return_exceptions=True)
        saved = [outcome for outcome in outcomes.values() if outcome.saved]
        errors = [outcome.error for outcome in outcomes.values() if outcome.error]
        if len(saved) == len(spec.seeds):
            return GenerationStatus.DONE, None
        return (GenerationStatus.PARTIAL if saved else GenerationStatus.FAILED), (errors[0] if errors else None)

    async def _record_sent(self, adapter: Adapter, job: Generation, spec: queue.JobSpec) -> None:
        """Note which recipe settings the adapter sends (before sending): the images' recipes record
        those and no placeholders (GPT-Image takes no seed, steps or guidance)."""
        request = ProviderRequest(
            prompt=job.prompt, parameters=queue.parameters_of(job, spec), seed=0, options=spec.options
        )
        try:
            sent = adapter.sent_fields(request)
        except InferenceError:
            return  # a request the adapter refuses is never sent: nothing to record
        if sent_settings(job) != sent:
            try:
                await _while_storage_away(
                    lambda: queue.record_sent_settings(self.engine, job.id, sent),
                    what=f"job {job.id}: noting what is sent",
                )
            except Exception as error:
                if not is_storage_failure(error):
                    raise
                # Each variant waits for the database itself before sending (and says so if it stays away).
            raw = json.loads(job.spec or "{}")
            job.spec = json.dumps({**raw, "sent": sorted(sent)})

    async def _variant(
        self,
        adapter: Adapter,
        job: Generation,
        variant: int,
        seed: int,
        outcomes: dict[int, VariantOutcome],
        thumbnails: list[asyncio.Task[None]],
        slots: asyncio.Semaphore,
        *,
        request: ProviderRequest | None = None,
        model: str | None = None,
        resume: tasks.SavedTask | None = None,
    ) -> None:
        """Send one variant (or go on polling its saved task), save its image whole, record how it went."""
        events = _VariantEvents(self.engine, self.images.previews, job.id, variant)
        try:
            async with slots:
                started = time.monotonic()
                if resume is not None:
                    handle = TaskHandle(
                        task_id=resume.task_id or "",
                        polling_url=resume.polling_url,
                        submitted_at=resume.submitted_at or time.time(),
                    )
                    events.handle = handle
                    generated = await adapter.resume(handle, events=events)
                else:
                    assert request is not None
                    # Written before sending: a restarted bildgen knows this request may have reached the
                    # service (sent again only where the profile's retry_interrupted allows). Nothing is
                    # sent until it is written (a database that is away is waited for).
                    try:
                        await _while_storage_away(
                            lambda: tasks.record(self.engine, job.id, variant, status=tasks.SUBMITTED),
                            what=f"job {job.id}: noting variant {variant} as sent",
                        )
                    except Exception as error:
                        if not is_storage_failure(error):
                            raise
                        outcomes[variant] = VariantOutcome(variant, seed, error=DATABASE_AWAY)
                        return
                    generated = await adapter.generate(request, model=model, events=events)
            # The seed the service says it used, where it says (it is what reproduces the image).
            used_seed = seed if generated.seed is None else generated.seed
            image, sha256, png = await in_image_pool(
                lambda: self.images.save_generated(
                    job,
                    variant=variant,
                    seed=used_seed,
                    decoded=generated.image,
                    generation_ms=int((time.monotonic() - started) * 1000),
                    inputs=_ingredients(request),
                    worker=self.worker,
                )
            )
        except unrecorded.JobTakenBack:
            # Its lease ran out and another worker has the job now: nothing of this variant is kept,
            # and nothing more written (the job's rows are that worker's).
            logger.warning(
                "job %s: variant %s's image not kept: the job was taken back from this worker", job.id, variant
            )
            return
        except InferenceError as error:
            outcome = VariantOutcome(variant, seed, error=error.english_message, moderated=error.is_refusal)
        except asyncio.CancelledError:
            if job.id in self._cancelled_by_user and events.handle is not None:
                # The user cancelled: ask the service to drop the task, where it can. (A lost lease
                # leaves it alone: the worker that took the job over resumes it.)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(adapter.cancel(events.handle)), timeout=CANCEL_WAIT_S)
            raise
        except Exception as error:
            if not is_storage_failure(error):
                logger.exception("variant %s of job %s failed unexpectedly", variant, job.id)
            outcome = VariantOutcome(variant, seed, error=SAVE_FAILED if is_storage_failure(error) else UNEXPECTED)
        else:
            outcome = VariantOutcome(variant, seed, image=image)
            # The thumbnail is for the gallery: made right after, so the studio shows the image sooner.
            thumbnails.append(asyncio.create_task(in_image_pool(self.images.make_thumbnail, sha256, png)))
        outcomes[variant] = outcome
        final = tasks.DONE if outcome.saved else tasks.MODERATED if outcome.moderated else tasks.FAILED
        with contextlib.suppress(Exception):
            if outcome.error:
                await asyncio.to_thread(queue.record_variant_error, self.engine, job.id, variant, outcome.error)
            await events.ended(final)
        _notify(job.id)

    def _inputs(self, job: Generation) -> tuple[tuple[bytes, ...], bytes | None]:
        """The reference images' bytes and the mask's (stored beside them); LookupError when one is gone."""
        found = library.references_of(self.engine, job.id, job.owner_id or "")
        if len(found) != job.reference_count:
            raise LookupError("reference not found")
        references = tuple(self.references.path_for(reference.sha256).read_bytes() for reference in found)
        if job.mask_id is None:
            return references, None
        mask = library.find_mask(self.engine, job.mask_id, job.owner_id or "")
        if mask is None:
            raise LookupError("mask not found")
        return references, self.references.path_for(mask.sha256).read_bytes()


def _ingredients(request: ProviderRequest | None) -> tuple[Ingredient, ...]:
    """An edit's references and mask, to be named in the image's Content Credentials. (A resumed task
    has no request at hand: its image is signed without them.)"""
    if request is None:
        return ()
    found = [Ingredient(f"reference-{number}.png", data) for number, data in enumerate(request.references, 1)]
    if request.mask is not None:
        found.append(Ingredient("mask.png", request.mask))
    return tuple(found)
