"""API tasks are the queue's jobs: what a job looks like to an API client, and how that client asked
for its images (kept beside the job, so the answer is right after a restart too)."""

from __future__ import annotations

import asyncio
import base64
import logging
from urllib.parse import urlencode

import sqlalchemy

from bildgen import routes
from bildgen.api.schemas import ImageData, ImagesResponse, ResponseFormat, Task, TaskError, TaskStatus
from bildgen.auth import image_links
from bildgen.jobs import queue, views
from bildgen.jobs import tasks as variant_tasks
from bildgen.store import library
from bildgen.store.db import session, storage_errors
from bildgen.store.files import ImageFiles
from bildgen.store.models import ApiTask, GenerationStatus

logger = logging.getLogger(__name__)

TASK_ROUTE = routes.API_PREFIX + "/tasks/{task_id}"


def record(engine: sqlalchemy.Engine, job_id: str, response_format: ResponseFormat, token_id: str) -> None:
    with storage_errors(), session(engine) as db:
        db.add(ApiTask(generation_id=job_id, response_format=response_format, token_id=token_id))
        db.commit()


def response_format_of(engine: sqlalchemy.Engine, job_id: str) -> ResponseFormat:
    """What the client asked for; a job queued in the studio answers with b64_json."""
    with session(engine) as db:
        task = db.get(ApiTask, job_id)
    return "url" if task is not None and task.response_format == "url" else "b64_json"


def status_of(job: views.JobView) -> tuple[TaskStatus, TaskError | None]:
    cancelled = job.error == queue.CANCELLED
    if job.status == GenerationStatus.QUEUED:
        return "queued", None
    if job.status == GenerationStatus.RUNNING:
        return "running", None
    if job.status == GenerationStatus.DONE:
        return "done", None
    if job.status == GenerationStatus.PARTIAL and not cancelled:
        # Some images arrived: they are the result; the error says why the others did not.
        return "done", TaskError(message=_first_error(job), code="some_images_failed")
    if job.status == GenerationStatus.CANCELLED or cancelled:
        return "cancelled", TaskError(message=queue.CANCELLED, code="cancelled")
    if job.status == GenerationStatus.INTERRUPTED:
        code = "interrupted"
    else:
        code = "moderation_blocked" if declined_by_moderation(job) else "generation_failed"
    return "failed", TaskError(message=_first_error(job), code=code)


def declined_by_moderation(job: views.JobView) -> bool:
    """No image, and the service's moderation declined every variant (OpenAI's moderation_blocked)."""
    outcomes = [state.status for state in job.variants.values()]
    return not job.images and bool(outcomes) and all(status == variant_tasks.MODERATED for status in outcomes)


def _first_error(job: views.JobView) -> str:
    return job.error or next(iter(job.variant_errors.values()), "") or "No image could be made."


def task_url(origin: str, job_id: str) -> str:
    return origin + TASK_ROUTE.format(task_id=job_id)


def image_url(origin: str, secret: bytes, image_id: str, owner_id: str) -> str:
    query = urlencode(image_links.signed_query(secret, image_id, owner_id))
    return f"{origin}{routes.IMAGE_ROUTE.format(image_id=image_id)}?{query}"


async def images(
    engine: sqlalchemy.Engine,
    files: ImageFiles,
    secret: bytes,
    job: views.JobView,
    *,
    owner_id: str,
    response_format: ResponseFormat,
    origin: str,
) -> ImagesResponse:
    """The job's saved images, in variant order, as the client asked for them."""
    data = []
    for variant in sorted(job.images):
        saved = job.images[variant]
        if response_format == "url":
            data.append(ImageData(url=image_url(origin, secret, saved.id, owner_id), id=saved.id, seed=saved.seed))
            continue
        png = await asyncio.to_thread(_png, engine, files, saved.id, owner_id)
        if png is None:
            continue  # deleted from the gallery meanwhile
        encoded = await asyncio.to_thread(base64.b64encode, png)
        data.append(ImageData(b64_json=encoded.decode("ascii"), id=saved.id, seed=saved.seed))
    created = job.finished_at or job.created_at
    return ImagesResponse(created=int(created.timestamp()), data=data)


def _png(engine: sqlalchemy.Engine, files: ImageFiles, image_id: str, owner_id: str) -> bytes | None:
    found = library.find_image(engine, image_id, owner_id)
    if found is None:
        return None
    path = files.path_for(found[0].sha256)
    return path.read_bytes() if path.is_file() else None


async def task(
    engine: sqlalchemy.Engine,
    files: ImageFiles,
    secret: bytes,
    job: views.JobView,
    *,
    owner_id: str,
    origin: str,
) -> Task:
    status, error = status_of(job)
    result = None
    if job.images and not job.active:
        response_format = await asyncio.to_thread(response_format_of, engine, job.id)
        result = await images(
            engine, files, secret, job, owner_id=owner_id, response_format=response_format, origin=origin
        )
    # Variants with an image or an error of their own; one interrupted is not finished, only stopped.
    ended = [error for error in job.variant_errors.values() if error != variant_tasks.INTERRUPTED_VARIANT]
    finished, n = len(job.images) + len(ended), max(job.variant_count, 1)
    return Task(
        id=job.id,
        status=status,
        created=int(job.created_at.timestamp()),
        model=job.model_profile,
        n=job.variant_count,
        # What ended counts as finished: a job interrupted before any image is at 0, not 1.
        progress=1.0 if job.status == GenerationStatus.DONE else round(min(finished, job.variant_count) / n, 3),
        queue_position=job.ahead if status == "queued" else None,
        status_url=task_url(origin, job.id),
        result=result,
        error=error,
    )
