"""A pack's JSON for download: the owner's packs and shared ones, anything else the same 404."""

from __future__ import annotations

import asyncio
import json
import re

from slugify import slugify
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bildgen.batches import packs
from bildgen.http.auth import request_user
from bildgen.services import get_services

_ID = re.compile(r"[0-9a-f]{32}")


async def export_pack(request: Request) -> Response:
    pack_id = request.path_params["pack_id"]
    user = await request_user(request)
    document = None
    if user is not None and _ID.fullmatch(pack_id):
        document = await asyncio.to_thread(packs.export, get_services().engine, pack_id, owner_id=user.id)
    if document is None:
        return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})
    filename = f"{slugify(document.get('name') or 'pack', max_length=60) or 'pack'}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
