"""Serve a signed-in user's own images and references (and images on boards shared with them);
anything else is the same 404."""

from __future__ import annotations

import asyncio
import logging
import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from bildgen.auth import audit, image_links
from bildgen.boards import sharing
from bildgen.clients import client_address
from bildgen.cpu import in_image_pool
from bildgen.http.auth import request_user
from bildgen.images.decoding import sniff_format
from bildgen.jobs import tasks
from bildgen.provenance import settings as provenance_settings
from bildgen.provenance.marking import without_metadata
from bildgen.services import get_services
from bildgen.store import library
from bildgen.store.db import STORAGE_ERRORS
from bildgen.store.image_library import saved_image
from bildgen.store.models import User

logger = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
# private: never in a shared cache; no-store would defeat the browser cache of immutable images.
_HEADERS = {"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})


async def refused(request: Request, user: User, kind: str, object_id: str) -> Response:
    """The 404 for an id that is not the user's; recorded in the audit log when it is someone else's."""
    try:
        await asyncio.to_thread(
            audit.record_refused_access,
            get_services().engine,
            user_id=user.id,
            kind=kind,
            object_id=object_id,
            address=client_address(request),
        )
    except STORAGE_ERRORS as error:
        # Not being able to record it must not change the answer.
        logger.error("Could not record a refused %s access: %s", kind, getattr(error, "orig", None) or error)
    return not_found()


async def _owned_image(request: Request, *, audit_foreign: bool = False):  # -> (services, Image, Generation) | Response
    """The user's own image, or one on a board shared with them (bildgen.boards.sharing)."""
    image_id = request.path_params["image_id"]
    if not ID_PATTERN.fullmatch(image_id):
        return not_found()
    if image_links.SIGNATURE in request.query_params:
        return await _signed_image(request, image_id)
    user = await request_user(request)
    if user is None:
        return not_found()
    services = get_services()
    found = await asyncio.to_thread(sharing.viewable_image, services.engine, user.id, image_id)
    if found is None:
        return await refused(request, user, "image", image_id)
    if audit_foreign and found[0].owner_id != user.id:
        await asyncio.to_thread(
            sharing.record_foreign_view, services.engine, user.id, found[0], client_address(request)
        )
    return (services, *found)


async def _signed_image(request: Request, image_id: str):  # -> (services, Image, Generation) | Response
    """An image fetched with a signed link (an API answer): valid for its owner's image until it expires."""
    services = await asyncio.to_thread(get_services)
    owner_id = await asyncio.to_thread(library.owner_of_image, services.engine, image_id)
    query = request.query_params
    if owner_id is None or not image_links.is_valid(
        services.secret, image_id, owner_id, query.get(image_links.EXPIRES, ""), query.get(image_links.SIGNATURE, "")
    ):
        return not_found()
    found = await asyncio.to_thread(library.find_image, services.engine, image_id, owner_id)
    return (services, *found) if found else not_found()


def file_response(path, media_type: str, filename: str | None = None) -> Response:
    if not path.is_file():
        return not_found()
    return FileResponse(path, media_type=media_type, headers=_HEADERS, filename=filename)


async def serve_image(request: Request) -> Response:
    # The full image of someone else's is audited; its thumbnails (a whole grid of them) are not.
    owned = await _owned_image(request, audit_foreign=True)
    if isinstance(owned, Response):
        return owned
    services, image, generation = owned
    download = request.query_params.get("download")
    filename = saved_image(image, generation).filename if download else None
    if download == PLAIN:
        return await _plain_download(request, services, image, filename)
    return file_response(services.files.path_for(image.sha256), "image/png", filename)


PLAIN = "plain"


async def _plain_download(request: Request, services, image, filename: str | None) -> Response:
    """The image without its metadata and Content Credentials: only where the administrator allows
    it, only for its signed-in owner, and recorded in the audit log."""
    user = await request_user(request)
    try:
        allowed = (await asyncio.to_thread(provenance_settings.read, services.engine)).allow_plain_download
        if user is None or user.id != image.owner_id or not allowed:
            return PlainTextResponse("Not allowed", status_code=403, headers={"Cache-Control": "no-store"})
        await asyncio.to_thread(
            audit.record,
            services.engine,
            action=audit.PLAIN_DOWNLOAD,
            actor_id=user.id,
            target=image.id,
            address=client_address(request),
        )
    except STORAGE_ERRORS:
        # Not recorded, not served: the audit log must not miss one.
        return PlainTextResponse("Try again later", status_code=503, headers={"Cache-Control": "no-store"})
    path = services.files.path_for(image.sha256)
    if not path.is_file():
        return not_found()
    plain = await in_image_pool(without_metadata, await asyncio.to_thread(path.read_bytes))
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(plain, media_type="image/png", headers=headers)


async def serve_thumbnail(request: Request) -> Response:
    owned = await _owned_image(request)
    if isinstance(owned, Response):
        return owned
    services, image, _ = owned
    path = services.thumbnails.path_for(image.sha256)
    if not path.is_file() and services.files.path_for(image.sha256).is_file():
        # Made right after saving; a crash in between leaves it to be made here, once.
        await asyncio.to_thread(services.images.make_thumbnail, image.sha256)
    return file_response(path, "image/webp")


async def serve_reference(request: Request) -> Response:
    reference_id = request.path_params["reference_id"]
    user = await request_user(request)
    if user is None or not ID_PATTERN.fullmatch(reference_id):
        return not_found()
    services = get_services()
    reference = await asyncio.to_thread(library.find_reference, services.engine, reference_id, user.id)
    if reference is None:
        return await refused(request, user, "reference", reference_id)
    return file_response(services.references.path_for(reference.sha256), "image/png")


async def serve_preview(request: Request) -> Response:
    """The live preview of one of the user's variants still being made; changes, so never cached."""
    job_id, variant = request.path_params["job_id"], request.path_params["variant"]
    user = await request_user(request)
    if user is None or not ID_PATTERN.fullmatch(job_id) or not variant.isdigit() or len(variant) > 2:
        return not_found()
    services = get_services()
    sha256 = await asyncio.to_thread(tasks.preview_of, services.engine, job_id, int(variant), owner_id=user.id)
    path = services.images.previews.path_for(sha256) if sha256 else None
    data = await asyncio.to_thread(path.read_bytes) if path is not None and path.is_file() else None
    image_format = sniff_format(data) if data else None
    if data is None or image_format is None:
        return not_found()
    return Response(
        data,
        media_type=f"image/{image_format.lower()}",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
