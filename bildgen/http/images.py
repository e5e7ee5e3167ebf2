"""Serve a signed-in user's own images and references; anything else is the same 404."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from bildgen.http.auth import request_user
from bildgen.jobs import saved_image
from bildgen.services import get_services
from bildgen.store import library

_ID = re.compile(r"[0-9a-f]{32}")
# private: never in a shared cache; no-store would defeat the browser cache of immutable images.
_HEADERS = {"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})


async def serve_image(request: Request) -> Response:
    image_id = request.path_params["image_id"]
    user = await request_user(request)
    if user is None or not _ID.fullmatch(image_id):
        return _not_found()
    services = get_services()
    found = await asyncio.to_thread(library.find_image, services.engine, image_id, user.id)
    if found is None:
        return _not_found()
    image, generation = found
    path = services.files.path_for(image.sha256)
    if not path.is_file():
        return _not_found()
    if request.query_params.get("download"):
        filename = saved_image(image, generation).filename
        return FileResponse(path, media_type="image/png", headers=_HEADERS, filename=filename)
    return FileResponse(path, media_type="image/png", headers=_HEADERS)


async def serve_thumbnail(request: Request) -> Response:
    image_id = request.path_params["image_id"]
    user = await request_user(request)
    if user is None or not _ID.fullmatch(image_id):
        return _not_found()
    services = get_services()
    found = await asyncio.to_thread(library.find_image, services.engine, image_id, user.id)
    path = services.thumbnails.path_for(found[0].sha256) if found else None
    return FileResponse(path, media_type="image/webp", headers=_HEADERS) if path and path.is_file() else _not_found()


async def serve_reference(request: Request) -> Response:
    reference_id = request.path_params["reference_id"]
    user = await request_user(request)
    if user is None or not _ID.fullmatch(reference_id):
        return _not_found()
    services = get_services()
    reference = await asyncio.to_thread(library.find_reference, services.engine, reference_id, user.id)
    if reference is None:
        return _not_found()
    path = services.references.path_for(reference.sha256)
    return FileResponse(path, media_type="image/png", headers=_HEADERS) if path.is_file() else _not_found()
