"""Serve a signed-in user's own images and references; anything else is the same 404."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from bildgen.http.auth import request_user
from bildgen.services import get_services
from bildgen.store import library
from bildgen.store.image_library import saved_image

_ID = re.compile(r"[0-9a-f]{32}")
# private: never in a shared cache; no-store would defeat the browser cache of immutable images.
_HEADERS = {"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})


async def _owned_image(request: Request):  # -> (services, Image, Generation) | None
    image_id = request.path_params["image_id"]
    user = await request_user(request)
    if user is None or not _ID.fullmatch(image_id):
        return None
    services = get_services()
    found = await asyncio.to_thread(library.find_image, services.engine, image_id, user.id)
    return (services, *found) if found else None


def _file(path, media_type: str, filename: str | None = None) -> Response:
    if not path.is_file():
        return _not_found()
    return FileResponse(path, media_type=media_type, headers=_HEADERS, filename=filename)


async def serve_image(request: Request) -> Response:
    owned = await _owned_image(request)
    if owned is None:
        return _not_found()
    services, image, generation = owned
    filename = saved_image(image, generation).filename if request.query_params.get("download") else None
    return _file(services.files.path_for(image.sha256), "image/png", filename)


async def serve_thumbnail(request: Request) -> Response:
    owned = await _owned_image(request)
    if owned is None:
        return _not_found()
    services, image, _ = owned
    path = services.thumbnails.path_for(image.sha256)
    if not path.is_file() and services.files.path_for(image.sha256).is_file():
        # Made right after saving; a crash in between leaves it to be made here, once.
        await asyncio.to_thread(services.images.make_thumbnail, image.sha256)
    return _file(path, "image/webp")


async def serve_reference(request: Request) -> Response:
    reference_id = request.path_params["reference_id"]
    user = await request_user(request)
    if user is None or not _ID.fullmatch(reference_id):
        return _not_found()
    services = get_services()
    reference = await asyncio.to_thread(library.find_reference, services.engine, reference_id, user.id)
    if reference is None:
        return _not_found()
    return _file(services.references.path_for(reference.sha256), "image/png")
