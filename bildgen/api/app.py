"""The HTTP side of the API: FastAPI routes under /v1, mounted beside bildgen's other routes.

Every request names its user with `Authorization: Bearer <token>` (auth/api_tokens.py) and spends one
of that token's request bucket (auth/throttle.py). Generating queues a job like the studio's Generate:
it runs whether or not the client waits, survives a restart and lands in the gallery. A synchronous
call waits for it (at most the model's deadline); `"async": true` answers 202 with a task at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, BinaryIO
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, File, Form, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bildgen.api import idempotency, masks, tasks
from bildgen.api.errors import DO_NOT_RETRY, MODERATION_TYPE, ApiError, api_error, error_response
from bildgen.api.plan import Plan, plan
from bildgen.api.schemas import (
    EditForm,
    ErrorEnvelope,
    GenerationFields,
    GenerationRequest,
    ImagesResponse,
    Model,
    ModelList,
    Task,
    UpscaleRequest,
)
from bildgen.auth import api_tokens, audit, throttle
from bildgen.boards import core as boards
from bildgen.clients import client_address
from bildgen.cpu import in_image_pool
from bildgen.generation.submit import cancel, check_model_allowed, submit
from bildgen.generation.uploads import add_mask, add_reference
from bildgen.generation.upscale import submit_upscale
from bildgen.groups import governance
from bildgen.inference.profiles import Catalog
from bildgen.jobs import views, waiting
from bildgen.jobs.refusals import QuotaReached
from bildgen.refusal import Refusal
from bildgen.services import Services, get_services
from bildgen.store.db import STORAGE_ERRORS, StorageUnavailable, is_storage_failure
from bildgen.store.masks import MaskRejected
from bildgen.store.models import ReferenceImage, utc_now
from bildgen.store.references import MAX_BYTES, ReferenceRejected

logger = logging.getLogger(__name__)

# Per token: 60 requests, then one more a second (polling a task once a second never runs dry).
API_REQUESTS = throttle.Bucket("api", capacity=60, refill_every_s=1)
JSON_LIMIT_BYTES = 1024 * 1024
_TASK_ID = re.compile(r"[0-9a-f]{32}")
_FAILURES = (*STORAGE_ERRORS, StorageUnavailable)
UNEXPECTED = "Something went wrong in bildgen; nothing was lost. Try again, or tell your administrator."
NO_KEY = "No API key: send `Authorization: Bearer <token>` with a token from your bildgen account page."
BAD_KEY = "Incorrect API key: it is unknown, revoked or expired. Make a new one on your bildgen account page."

_ERRORS = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "A field is wrong; `param` names it. Code moderation_blocked: the service's moderation declined it.",
        401: "No token, or one that is unknown, revoked or expired.",
        403: "The account may not generate.",
        404: "No such model or task (another user's is not found either).",
        413: "An upload or body is too large.",
        422: "An uploaded image cannot be used, or the Idempotency-Key was used with another request.",
        429: "Too many requests with this token, or the quota is used up (see Retry-After).",
        502: "The image server failed for every image (its words in the message).",
        503: "Generation is switched off, or bildgen cannot store anything right now.",
        504: "The images were not ready within the model's deadline; the task goes on.",
    }.items()
}

# What POST /v1/images/* answer besides: the task (async) and the conflicts of an Idempotency-Key.
_GENERATE_RESPONSES = {
    **_ERRORS,
    202: {"model": Task, "description": 'With "async": true: the task, to poll.'},
    409: {
        "model": ErrorEnvelope,
        "description": "The generation was cancelled, or a request with this Idempotency-Key is still being queued.",
    },
}

bearer_scheme = HTTPBearer(auto_error=False, description="An API token from the bildgen account page.")


# ---- who is asking ---------------------------------------------------------------------------------


async def caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> api_tokens.Bearer:
    """The token's user, or 401 (403 for a disabled account); then one request from the token's bucket, or 429."""
    if credentials is None:
        raise ApiError(401, NO_KEY, code="missing_api_key")
    services = await asyncio.to_thread(get_services)
    try:
        bearer = await asyncio.to_thread(api_tokens.authenticate, services.engine, credentials.credentials)
        wait = await asyncio.to_thread(throttle.take, services.engine, API_REQUESTS, bearer.token_id) if bearer else 0
    except api_tokens.AccountDisabled as disabled:
        raise ApiError(403, str(disabled), code="account_disabled") from None
    except _FAILURES as error:
        raise _storage_unavailable(error) from None
    if bearer is None:
        raise ApiError(401, BAD_KEY, code="invalid_api_key")
    if wait:
        raise ApiError(
            429,
            f"Too many requests with this token: try again in {wait} s.",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(wait)},
        )
    return bearer


Caller = Annotated[api_tokens.Bearer, Depends(caller)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Any unique string (a UUID): sent again within 24 hours with the same request, it gets "
        "the task the first one queued instead of a second generation.",
    ),
]


def _digest(file: BinaryIO) -> str:
    """An upload's SHA-256, read in pieces; the file is left at its start for whoever reads it next."""
    digest = hashlib.sha256()
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _storage_unavailable(error: BaseException) -> ApiError:
    logger.error("API: the database or disk failed: %s", getattr(error, "orig", None) or error)
    message = error.user_message if isinstance(error, StorageUnavailable) else StorageUnavailable().user_message
    return ApiError(503, message, code="storage_unavailable", headers={"Retry-After": "30"})


def public_origin(request: Request, services: Services) -> str:
    """Where clients reach bildgen, for the links in answers: the configured origin (BILDGEN_ORIGINS) the
    request came through, else the first configured one. Never the request's own Host: any client can
    forge it, and the links would send the next reader to their server."""
    host = request.headers.get("host", "")
    origins = services.settings.allowed_origins
    return next((origin for origin in origins if urlsplit(origin).netloc == host), origins[0])


def _catalog(services: Services) -> Catalog:
    """The models API users may use: the profiles the studio offers."""
    return services.catalog


# ---- queueing and answering --------------------------------------------------------------------------


def _refusal(refused: Refusal) -> ApiError:
    if isinstance(refused, StorageUnavailable):
        return _storage_unavailable(refused)
    if isinstance(refused, QuotaReached):
        wait = max(1, math.ceil((refused.refills_at - utc_now()).total_seconds()))
        return api_error(refused, headers={"Retry-After": str(wait)})
    return api_error(refused, param="model" if refused.kind == "unavailable" or refused.field == "model" else None)


# What an edit stores before it queues its job: its references' ids and its mask's id.
Inputs = tuple[tuple[str, ...], str | None]


async def _generate(
    request: Request,
    services: Services,
    bearer: api_tokens.Bearer,
    fields: GenerationFields,
    planned: Plan,
    *,
    idempotency_key: str | None,
    fingerprint: str,
    store_inputs: Callable[[], Awaitable[Inputs]] | None = None,
):
    """Queue the job (or, for a key seen before, find the one queued then) and answer for it."""
    job_id = await _claim(services, bearer, idempotency_key, fingerprint) if idempotency_key else None
    if job_id is None:
        try:
            if store_inputs:  # a model the caller's groups do not allow is refused before uploads are kept
                await _model_allowed(services, bearer, planned)
            reference_ids, mask_id = await store_inputs() if store_inputs else ((), None)
            job_id = await _queue(services, bearer, fields, planned, reference_ids, mask_id)
        except Exception:
            # Refused or failed before a job was queued: the key may be used again. (Not when the request
            # is cancelled: its job may be queued all the same, and the key then waits ABANDONED_AFTER.)
            if idempotency_key:
                await _release(services, bearer, idempotency_key)
            raise
        if idempotency_key:
            try:
                await asyncio.to_thread(
                    idempotency.attach, services.engine, token_id=bearer.token_id, key=idempotency_key, job_id=job_id
                )
            except StorageUnavailable:
                # The job runs; a retry with this key after ABANDONED_AFTER could queue a second one.
                logger.warning("API task %s: could not record its Idempotency-Key", job_id)
    try:
        return await _answer(request, services, bearer, job_id, fields, planned)
    except Exception as error:
        # The job is queued: asking again would queue (and pay for) another one; the task goes on.
        raise _do_not_retry(error) from None


async def _model_allowed(services: Services, bearer: api_tokens.Bearer, planned: Plan) -> None:
    try:
        await asyncio.to_thread(check_model_allowed, services.engine, bearer.user.id, planned.profile_id)
    except Refusal as refused:
        raise _refusal(refused) from None
    except _FAILURES as error:
        raise _storage_unavailable(error) from None


async def _claim(services: Services, bearer: api_tokens.Bearer, key: str, fingerprint: str) -> str | None:
    try:
        return await asyncio.to_thread(
            idempotency.claim, services.engine, token_id=bearer.token_id, key=key, fingerprint=fingerprint
        )
    except idempotency.KeyReused:
        raise ApiError(
            422,
            "This Idempotency-Key was used with other fields or files in the last 24 hours: use a new key for a new request.",
            param="Idempotency-Key",
            code="idempotency_key_reused",
        ) from None
    except idempotency.KeyInUse:
        raise ApiError(
            409,
            "A request with this Idempotency-Key is still being queued: send it again in a moment.",
            param="Idempotency-Key",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1", "x-should-retry": "true"},
        ) from None
    except _FAILURES as error:
        raise _storage_unavailable(error) from None


async def _release(services: Services, bearer: api_tokens.Bearer, key: str) -> None:
    try:
        await asyncio.to_thread(idempotency.release, services.engine, token_id=bearer.token_id, key=key)
    except StorageUnavailable:
        # The key stays claimed without a job; it is taken over after ABANDONED_AFTER.
        logger.warning("API: could not release an Idempotency-Key after a refused request")


async def _queue(
    services: Services,
    bearer: api_tokens.Bearer,
    fields: GenerationFields,
    planned: Plan,
    reference_ids: tuple[str, ...],
    mask_id: str | None,
) -> str:
    board_id = None
    if fields.board:
        try:
            board_id = await asyncio.to_thread(boards.own_board_named, services.engine, bearer.user.id, fields.board)
        except _FAILURES as error:
            raise _storage_unavailable(error) from None
        if board_id is None:  # someone else's board is not found either
            raise ApiError(404, "You have no board with that name or id.", param="board", code="board_not_found")

    def record(job_id: str) -> None:
        try:
            tasks.record(services.engine, job_id, fields.response_format, bearer.token_id)
        except StorageUnavailable:
            # The job is queued and runs; only the wish for links is lost (the answer carries base64).
            logger.warning("API task %s: could not record how its images are wanted", job_id)

    try:
        return await submit(services, bearer.user.id, planned, reference_ids, mask_id, board_id=board_id, then=record)
    except Refusal as refused:
        raise _refusal(refused) from None
    except _FAILURES as error:
        raise _storage_unavailable(error) from None


@dataclasses.dataclass(frozen=True)
class _Deadline:
    """What _answer reads of a Plan: how long a waiting client waits."""

    deadline_s: float


def _submit_upscale(services: Services, catalog: Catalog, bearer: api_tokens.Bearer, body: UpscaleRequest) -> str:
    """The studio's use case (bildgen.generation.upscale), then how the images are wanted."""
    job_id = submit_upscale(
        services.engine,
        services.files,
        services.references,
        catalog,
        owner_id=bearer.user.id,
        image_id=body.image,
        factor=body.scale,
    )
    try:
        tasks.record(services.engine, job_id, body.response_format, bearer.token_id)
    except StorageUnavailable:
        logger.warning("API task %s: could not record how its images are wanted", job_id)
    return job_id


def _do_not_retry(error: Exception) -> ApiError:
    if isinstance(error, ApiError):
        answer = error
    elif isinstance(error, StorageUnavailable) or is_storage_failure(error):
        answer = _storage_unavailable(error)
    else:
        logger.exception("API: unexpected error", exc_info=error)
        answer = ApiError(500, UNEXPECTED)
    answer.headers.update(DO_NOT_RETRY)
    return answer


async def _answer(
    request: Request,
    services: Services,
    bearer: api_tokens.Bearer,
    job_id: str,
    fields: GenerationFields,
    planned: Plan,
):
    """The task at once (async), or the images once the job has ended (at most the model's deadline)."""
    origin = public_origin(request, services)
    owner_id = bearer.user.id
    if fields.run_async:
        job = await asyncio.to_thread(views.view, services.engine, job_id, owner_id=owner_id)
        if job is None:
            raise ApiError(404, "The generation was deleted.", code="not_found")
        task = await tasks.task(services.engine, services.files, services.secret, job, owner_id=owner_id, origin=origin)
        return JSONResponse(
            task.model_dump(mode="json"),
            status_code=202,
            headers={"Location": task.status_url, "Cache-Control": "no-store"},
        )
    # The client waits; if it hangs up, only this wait ends: the job runs on and lands in the gallery.
    job = await waiting.until_final(services.engine, job_id, owner_id=owner_id, timeout=planned.deadline_s)
    if job is None:
        raise ApiError(404, "The generation was deleted before it finished.", code="not_found")
    if job.active:
        raise ApiError(
            504,
            f"The images are not ready after {planned.deadline_s:g} s. They will be in your gallery; follow them "
            f"at {tasks.task_url(origin, job_id)} (task {job_id}).",
            code="timeout",
        )
    if not job.images:
        status, error = tasks.status_of(job)
        message = error.message if error else "No image could be made."
        if error and error.code == "moderation_blocked":
            # As OpenAI answers a prompt its moderation declined: the client's to change, not a fault.
            raise ApiError(400, message, code=error.code, kind=MODERATION_TYPE)
        raise ApiError(
            409 if status == "cancelled" else 502, message, code=error.code if error else "generation_failed"
        )
    return await tasks.images(
        services.engine,
        services.files,
        services.secret,
        job,
        owner_id=owner_id,
        response_format=fields.response_format,
        origin=origin,
    )


async def _store_uploads(services: Services, owner_id: str, uploads: list[UploadFile]) -> list[ReferenceImage]:
    """Each image checked, cleaned and stored like the studio's references, in order."""
    references = []
    for number, upload in enumerate(uploads, start=1):
        name = upload.filename or f"image {number}"
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ApiError(
                413, f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.", param="image", code="too_large"
            )
        try:
            reference = await add_reference(services, owner_id, data, name=name, stored_as=f"API upload: {name}")
        except ReferenceRejected as rejected:
            raise ApiError(422, rejected.message, param="image", code="invalid_image") from None
        except _FAILURES as error:
            raise _storage_unavailable(error) from None
        references.append(reference)
    return references


async def _mask_as_painted(upload: UploadFile) -> bytes:
    """The mask in the studio's convention (white = change), or 413/422 saying what is wrong with it."""
    data = await upload.read(masks.MAX_MASK_BYTES + 1)
    if len(data) > masks.MAX_MASK_BYTES:
        raise ApiError(413, f"The mask is larger than {masks.MAX_MASK_BYTES // (1024 * 1024)} MB.", param="mask")
    try:
        return await in_image_pool(masks.white_is_change, data)
    except masks.MaskUnusable as unusable:
        raise ApiError(422, str(unusable), param="mask", code="invalid_image") from None


async def _store_mask(services: Services, owner_id: str, reference: ReferenceImage, painted: bytes) -> str:
    """The mask checked against the first reference and stored like one the studio's painter sends
    (http/masks.py): its id, or 422 naming `mask`."""
    try:
        stored = await add_mask(services, owner_id, reference.id, painted)
    except MaskRejected as rejected:
        raise ApiError(422, rejected.message, param="mask", code="invalid_image") from None
    except _FAILURES as error:
        raise _storage_unavailable(error) from None
    return stored.id


# ---- the app -------------------------------------------------------------------------------------


class _JsonBodyLimit:
    """Bodies other than the edits' uploads (which http/limits.py follows as they stream) are read
    whole: refuse one over JSON_LIMIT_BYTES, whatever its content type claims."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["path"].rstrip("/").endswith("/images/edits"):  # streamed and limited by http/limits.py
            await self.app(scope, receive, send)
            return
        too_large = error_response(413, f"The request body may be at most {JSON_LIMIT_BYTES // 1024} KiB.")
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > JSON_LIMIT_BYTES:
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > JSON_LIMIT_BYTES:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class _Unexpected:
    """Whatever escapes a route ends as the envelope: 503 when the database or disk failed, else 500;
    never a stack trace, and the connection stays sound (Starlette's own 500 handler re-raises)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if scope["type"] != "http" or started:
                raise
            if isinstance(error, StorageUnavailable) or is_storage_failure(error):
                answer = _storage_unavailable(error).response()
            else:
                logger.exception("API: unexpected error")
                answer = error_response(500, UNEXPECTED)
            await answer(scope, receive, send)


def _validation_error(error: RequestValidationError) -> JSONResponse:
    problem = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path", "header")]
    param = ".".join(location) or None
    kind = problem.get("type", "")
    if kind == "json_invalid":
        return error_response(400, "The request body is not valid JSON.", code="invalid_json")
    if kind == "extra_forbidden":
        return error_response(
            400, f"Unrecognized request argument supplied: {param}", param=param, code="unknown_parameter"
        )
    if kind == "missing" and param is None:
        return error_response(400, "The request needs a JSON body with at least a prompt.", code="missing_body")
    message = problem.get("msg", "Invalid value")
    return error_response(400, f"{param}: {message}" if param else message, param=param, code="invalid_value")


def create_api_app() -> FastAPI:
    app = FastAPI(
        title="bildgen image API",
        version="1",
        summary="OpenAI-compatible image generation and editing; every image lands in the user's gallery.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(_JsonBodyLimit)
    app.add_middleware(_Unexpected)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _validation_error(error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = {404: "No such route: see /v1/openapi.json.", 405: "This route does not take that method."}.get(
            error.status_code, str(error.detail)
        )
        return error_response(error.status_code, message, code="not_found" if error.status_code == 404 else None)

    @app.get("/models", response_model=ModelList, responses=_ERRORS, summary="The models you may use")
    async def list_models(bearer: Caller) -> ModelList:
        services = await asyncio.to_thread(get_services)
        catalog = _catalog(services)
        try:
            allowed = await asyncio.to_thread(
                governance.allowed_profiles, services.engine, bearer.user.id, catalog.models
            )
        except _FAILURES as error:
            raise _storage_unavailable(error) from None
        return ModelList(
            data=[
                Model(id=key, label=profile.label, max_references=catalog.max_references(key))
                # Those an administrator offers (plan() refuses the others by name) and the caller's
                # groups allow (generation.submit refuses the others by name).
                for key, profile in catalog.models.items()
                if profile.enabled and not profile.is_upscaler and governance.may_use(allowed, key)
            ]
        )

    @app.post(
        "/images/generations",
        response_model=ImagesResponse,
        responses=_GENERATE_RESPONSES,
        summary="Generate images from a prompt",
    )
    async def create_images(
        request: Request, body: GenerationRequest, bearer: Caller, idempotency_key: IdempotencyKey = None
    ):
        services = await asyncio.to_thread(get_services)
        planned = plan(_catalog(services), body, reference_count=0)
        fingerprint = idempotency.fingerprint("generations", body.model_dump(mode="json", by_alias=True))
        return await _generate(
            request, services, bearer, body, planned, idempotency_key=idempotency_key, fingerprint=fingerprint
        )

    @app.post(
        "/images/edits",
        response_model=ImagesResponse,
        responses=_GENERATE_RESPONSES,
        summary="Generate images from reference images and a prompt",
    )
    async def edit_images(
        request: Request,
        bearer: Caller,
        fields: Annotated[EditForm, Form()],
        image: Annotated[list[UploadFile] | None, File(description="One reference image (or repeat it).")] = None,
        image_list: Annotated[list[UploadFile] | None, File(alias="image[]", description="Reference images.")] = None,
        mask: Annotated[UploadFile | None, File(description="Edit mask: white (or transparent) = change.")] = None,
        idempotency_key: IdempotencyKey = None,
    ):
        uploads = [*(image or []), *(image_list or [])]
        if not uploads:
            raise ApiError(400, "Send at least one image (`image` or `image[]`).", param="image", code="missing_image")
        services = await asyncio.to_thread(get_services)
        planned = plan(_catalog(services), fields, reference_count=len(uploads))
        serving = _catalog(services).get(planned.profile_id)
        if mask is not None and not serving.capabilities().masks:
            raise ApiError(
                400,
                f"{serving.label} cannot apply an edit mask: send the edit without `mask`, or use another model.",
                param="mask",
                code="unsupported_parameter",
            )
        painted = await _mask_as_painted(mask) if mask is not None else None
        fingerprint = ""
        if idempotency_key:
            digests = [await asyncio.to_thread(_digest, upload.file) for upload in uploads]
            painted_digest = hashlib.sha256(painted).hexdigest() if painted else None
            fingerprint = idempotency.fingerprint(
                "edits", {**fields.model_dump(mode="json", by_alias=True), "mask": painted_digest}, digests
            )

        async def store_inputs() -> Inputs:
            # After the key is claimed: a repeated request stores no second copy of its uploads.
            references = await _store_uploads(services, bearer.user.id, uploads)
            mask_id = await _store_mask(services, bearer.user.id, references[0], painted) if painted else None
            return tuple(reference.id for reference in references), mask_id

        return await _generate(
            request,
            services,
            bearer,
            fields,
            planned,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            store_inputs=store_inputs,
        )

    @app.post(
        "/images/upscale",
        response_model=ImagesResponse,
        responses=_GENERATE_RESPONSES,
        summary="Upscale one of your images ×2 or ×4 (bildgen's extension)",
    )
    async def upscale_image(request: Request, body: UpscaleRequest, bearer: Caller):
        services = await asyncio.to_thread(get_services)
        catalog = _catalog(services)
        try:
            job_id = await asyncio.to_thread(_submit_upscale, services, catalog, bearer, body)
        except Refusal as refused:
            raise _refusal(refused) from None
        except _FAILURES as error:
            raise _storage_unavailable(error) from None
        services.runner.wake()
        upscaler = catalog.upscaler
        deadline = _Deadline(upscaler.deadline_s if upscaler else 600.0)
        try:
            return await _answer(request, services, bearer, job_id, body, deadline)  # type: ignore[arg-type]
        except Exception as error:
            raise _do_not_retry(error) from None

    async def _own_job(request: Request, bearer: api_tokens.Bearer, task_id: str) -> tuple[Services, views.JobView]:
        services = await asyncio.to_thread(get_services)
        job = None
        if _TASK_ID.fullmatch(task_id):
            try:
                job = await asyncio.to_thread(views.view, services.engine, task_id, owner_id=bearer.user.id)
                if job is None:  # into the audit log if it is someone else's
                    await asyncio.to_thread(
                        audit.record_refused_access,
                        services.engine,
                        user_id=bearer.user.id,
                        kind="task",
                        object_id=task_id,
                        address=client_address(request),
                    )
            except _FAILURES as error:
                raise _storage_unavailable(error) from None
        if job is None:  # someone else's task gets the very same answer
            raise ApiError(404, f"No task {task_id!r}.", param="task_id", code="not_found")
        return services, job

    @app.get("/tasks/{task_id}", response_model=Task, responses=_ERRORS, summary="A task's status and result")
    async def get_task(request: Request, task_id: str, bearer: Caller) -> Task:
        services, job = await _own_job(request, bearer, task_id)
        origin = public_origin(request, services)
        return await tasks.task(
            services.engine, services.files, services.secret, job, owner_id=bearer.user.id, origin=origin
        )

    @app.delete(
        "/tasks/{task_id}",
        response_model=Task,
        responses={**_ERRORS, 409: {"model": ErrorEnvelope, "description": "The task has already ended."}},
        summary="Cancel a task",
    )
    async def cancel_task(request: Request, task_id: str, bearer: Caller) -> Task:
        services, job = await _own_job(request, bearer, task_id)
        if not job.active:
            raise ApiError(409, f"The task has already ended ({tasks.status_of(job)[0]}).", code="task_ended")
        try:
            await cancel(services, job.id, owner_id=bearer.user.id)
            job = await asyncio.to_thread(views.view, services.engine, job.id, owner_id=bearer.user.id)
        except _FAILURES as error:
            raise _storage_unavailable(error) from None
        origin = public_origin(request, services)
        return await tasks.task(
            services.engine, services.files, services.secret, job, owner_id=bearer.user.id, origin=origin
        )

    return app
