"""Edit masks painted in the browser: uploaded as a PNG body to the reference they were painted on,
and served back to their owner. The mask never travels through the websocket; the studio only
learns its id. Owner from the session cookie; posts only from bildgen's own origins."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bildgen import i18n
from bildgen.generation import uploads
from bildgen.http.auth import allowed_origin, request_user
from bildgen.http.images import ID_PATTERN, file_response, not_found, refused
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.store import library
from bildgen.store.db import StorageUnavailable
from bildgen.store.masks import MAX_MASK_BYTES, MaskRejected, too_large


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


async def upload_mask(request: Request) -> Response:
    user = await request_user(request)
    # Messages in the language the user chose, else the one their browser prefers.
    chosen = i18n.supported(user.language) if user is not None else None
    i18n.current_language.set(chosen or i18n.negotiate(request.headers.get("accept-language")))
    if allowed_origin(request) is None:
        return _refusal(403, _("Masks are only taken from bildgen's own pages."))
    if user is None:
        return _refusal(401, _("Your session has ended. Sign in again to save the mask."))
    reference_id = request.path_params["reference_id"]
    if not ID_PATTERN.fullmatch(reference_id):
        return not_found()
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return _refusal(411, _("The mask upload must state its length."))
    if int(length) > MAX_MASK_BYTES:
        return _refusal(413, too_large())
    services = get_services()
    reference = await asyncio.to_thread(library.find_reference, services.engine, reference_id, user.id)
    if reference is None:
        return await refused(request, user, "reference", reference_id)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_MASK_BYTES:
            return _refusal(413, too_large())
    try:
        mask = await uploads.add_mask(services, user.id, reference.id, bytes(data))
    except MaskRejected as rejected:
        return _refusal(422, rejected.message)
    except StorageUnavailable as unavailable:
        return _refusal(503, unavailable.message)
    return JSONResponse({"id": mask.id}, headers={"Cache-Control": "no-store"})


async def serve_mask(request: Request) -> Response:
    mask_id = request.path_params["mask_id"]
    user = await request_user(request)
    if user is None or not ID_PATTERN.fullmatch(mask_id):
        return not_found()
    services = get_services()
    mask = await asyncio.to_thread(library.find_mask, services.engine, mask_id, user.id)
    if mask is None:
        return await refused(request, user, "mask", mask_id)
    return file_response(services.references.path_for(mask.sha256), "image/png")
