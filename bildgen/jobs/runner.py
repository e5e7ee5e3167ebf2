"""The job runner: each bildgen worker process runs one, whether or not any tab is open.

It claims waiting jobs from the queue, runs each (one request per variant, concurrently; each image
saved whole the moment it arrives), renews its leases, stops jobs whose cancel was asked for, and
interrupts jobs whose worker died. Tabs in the same process are woken the moment a job changes;
tabs in other processes read the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable

import sqlalchemy

from bildgen.cpu import in_image_pool
from bildgen.inference.client import ImageRequest, InferenceClient
from bildgen.inference.errors import InferenceError
from bildgen.inference.profiles import Catalog
from bildgen.jobs import queue
from bildgen.store import library
from bildgen.store.db import StorageUnavailable, is_storage_failure
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary, SavedImage
from bildgen.store.models import Generation, GenerationStatus

logger = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong while generating this image. Nothing was kept; try again."
SAVE_FAILED = "The image arrived but could not be saved (the disk may be full). Nothing was kept; try again."
PROFILE_GONE = "This model is no longer offered here. Nothing was sent."
REFERENCE_GONE = "A reference image is no longer available. Nothing was sent."
HOUSEKEEPING_S = 5.0
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


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


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
    ) -> None:
        self.engine = engine
        self.images = images
        self.references = references
        self._catalog = catalog
        self.capacity = capacity
        self.worker = worker or new_worker_id()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """A job was queued in this process: look now rather than at the next poll."""
        self._wake.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobRunner]:
        """Run the loop for as long as the block lasts; on the way out, stop this worker's jobs
        and mark them interrupted (not cancelled: nobody asked for that)."""
        self._stopping = False
        loop = asyncio.create_task(self._loop(), name=f"bildgen-job-runner-{self.worker}")
        try:
            yield self
        finally:
            self._stopping = True
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
            tasks = list(self._running.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        housekeeping_due = 0.0
        while True:
            # Cleared before looking, not after: a job that ends (or is queued) while this claims
            # wakes the next round at once instead of being missed until the next poll.
            self._wake.clear()
            try:
                if time.monotonic() >= housekeeping_due:
                    housekeeping_due = time.monotonic() + HOUSEKEEPING_S
                    await self._housekeeping()
                await self._stop_cancelled()
                await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A database that is down or full must not end the runner: it tries again.
                if is_storage_failure(error):
                    logger.warning("job runner: storage unavailable (%s); retrying", type(error).__name__)
                else:
                    logger.exception("job runner: unexpected error; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_S)

    async def _housekeeping(self) -> None:
        lost = await asyncio.to_thread(queue.renew_leases, self.engine, worker=self.worker, job_ids=list(self._running))
        for job_id in lost:
            task = self._running.get(job_id)
            if task is None:
                continue  # it ended while the leases were being renewed
            logger.warning("job %s: this worker lost its lease; stopping it", job_id)
            task.cancel()
        for job_id in await asyncio.to_thread(queue.interrupt_expired, self.engine):
            logger.warning("job %s: its worker stopped renewing the lease; interrupted", job_id)
            _notify(job_id)

    async def _stop_cancelled(self) -> None:
        if not self._running:
            return
        for job_id in await asyncio.to_thread(queue.cancel_requests, self.engine, worker=self.worker):
            task = self._running.get(job_id)
            if task is not None:
                task.cancel()

    async def _claim(self) -> None:
        free = self.capacity - len(self._running)
        if free <= 0:
            return
        limits = self._catalog().concurrency_limits()
        jobs = await asyncio.to_thread(queue.claim, self.engine, worker=self.worker, limits=limits, capacity=free)
        for job in jobs:
            task = asyncio.create_task(self._run(job), name=f"bildgen-job-{job.id}")
            self._running[job.id] = task
            task.add_done_callback(lambda _, job_id=job.id: self._done(job_id))
            _notify(job.id)

    def _done(self, job_id: str) -> None:
        self._running.pop(job_id, None)
        _notify(job_id)
        # A slot is free: another waiting job may fit now.
        self._wake.set()

    # ---- one job -----------------------------------------------------------------------------

    async def _run(self, job: Generation) -> None:
        outcomes: dict[int, VariantOutcome] = {}
        status, error = GenerationStatus.FAILED, UNEXPECTED
        try:
            status, error = await self._generate(job, outcomes)
        except asyncio.CancelledError:
            saved = sum(1 for outcome in outcomes.values() if outcome.image)
            if self._stopping:
                status, error = GenerationStatus.INTERRUPTED, queue.INTERRUPTED
            else:
                status = GenerationStatus.PARTIAL if saved else GenerationStatus.CANCELLED
                error = queue.CANCELLED
        except InferenceError as failure:
            status, error = GenerationStatus.FAILED, failure.user_message
        except StorageUnavailable as failure:
            status, error = GenerationStatus.FAILED, failure.user_message
        except Exception:
            logger.exception("job %s failed unexpectedly", job.id)
        finally:
            try:
                await asyncio.shield(
                    asyncio.to_thread(queue.finish, self.engine, job.id, worker=self.worker, status=status, error=error)
                )
            except Exception:
                # The lease runs out and another look marks it interrupted: the tab is not left spinning.
                logger.exception("job %s: recording how it ended failed", job.id)

    async def _generate(self, job: Generation, outcomes: dict[int, VariantOutcome]) -> tuple[str, str | None]:
        catalog = self._catalog()
        if job.model_profile not in catalog.models:
            return GenerationStatus.FAILED, PROFILE_GONE
        profile = catalog.get(job.model_profile)
        spec = queue.JobSpec.of(job)
        try:
            references = await asyncio.to_thread(self._reference_bytes, job)
        except LookupError:
            return GenerationStatus.FAILED, REFERENCE_GONE
        async with InferenceClient(profile.endpoint()) as client:
            served = await client.served_model()
            if served.id and served.id != job.served_model:
                job.served_model = served.id
                await asyncio.to_thread(queue.record_served_model, self.engine, job.id, served.id)
            thumbnails: list[asyncio.Task[None]] = []
            variants = [
                self._variant(client, job, served.id, variant, seed, spec, references, outcomes, thumbnails)
                for variant, seed in enumerate(spec.seeds)
            ]
            await asyncio.gather(*variants)
        await asyncio.gather(*thumbnails, return_exceptions=True)
        saved = [outcome for outcome in outcomes.values() if outcome.image]
        errors = [outcome.error for outcome in outcomes.values() if outcome.error]
        if len(saved) == len(spec.seeds):
            return GenerationStatus.DONE, None
        return (GenerationStatus.PARTIAL if saved else GenerationStatus.FAILED), (errors[0] if errors else None)

    async def _variant(
        self,
        client: InferenceClient,
        job: Generation,
        served_model: str | None,
        variant: int,
        seed: int,
        spec: queue.JobSpec,
        references: tuple[bytes, ...],
        outcomes: dict[int, VariantOutcome],
        thumbnails: list[asyncio.Task[None]],
    ) -> None:
        parameters = queue.parameters_of(job, spec)
        request = ImageRequest(
            prompt=job.prompt,
            width=parameters.width,
            height=parameters.height,
            seed=seed,
            diffusion_fields=parameters.diffusion_fields(),
            references=references,
        )
        started = time.monotonic()
        try:
            decoded = await client.generate(request, model=served_model)
            image, sha256, png = await in_image_pool(
                lambda: self.images.save_generated(
                    job,
                    variant=variant,
                    seed=seed,
                    decoded=decoded,
                    generation_ms=int((time.monotonic() - started) * 1000),
                )
            )
        except InferenceError as error:
            outcome = VariantOutcome(variant, seed, error=error.user_message)
        except asyncio.CancelledError:
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
        if outcome.error:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(queue.record_variant_error, self.engine, job.id, variant, outcome.error)
        _notify(job.id)

    def _reference_bytes(self, job: Generation) -> tuple[bytes, ...]:
        found = library.references_of(self.engine, job.id, job.owner_id or "")
        if len(found) != job.reference_count:
            raise LookupError("reference not found")
        return tuple(self.references.path_for(reference.sha256).read_bytes() for reference in found)
