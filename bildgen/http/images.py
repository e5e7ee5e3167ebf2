"""Serve saved images by id; `?download=1` adds the descriptive filename as an attachment."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from bildgen.jobs import saved_image
from bildgen.services import get_services

_IMAGE_ID = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HEADERS = {"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404)


async def serve_image(request: Request) -> Response:
    image_id = request.path_params["image_id"]
    if not _IMAGE_ID.fullmatch(image_id):
        return _not_found()
    services = await asyncio.to_thread(get_services)
    found = await asyncio.to_thread(services.generator.find_image, image_id)
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


async def serve_reference(request: Request) -> Response:
    """A cleaned reference image, by the hash of its cleaned bytes."""
    sha256 = request.path_params["sha256"]
    if not _SHA256.fullmatch(sha256):
        return _not_found()
    services = await asyncio.to_thread(get_services)
    path = services.references.path_for(sha256)
    if not path.is_file():
        return _not_found()
    return FileResponse(path, media_type="image/png", headers=_HEADERS)
