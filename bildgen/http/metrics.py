"""/metrics for Prometheus: only with BILDGEN_METRICS_TOKEN set, and only for a request bearing it."""

from __future__ import annotations

import asyncio
import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bildgen.ops.metrics import exposition
from bildgen.services import get_services

_NO_STORE = {"Cache-Control": "no-store"}


async def metrics(request: Request) -> Response:
    services = await asyncio.to_thread(get_services)
    token = services.settings.metrics_token
    if token is None:  # off: indistinguishable from a route that does not exist
        return PlainTextResponse("Not found", status_code=404, headers=_NO_STORE)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return PlainTextResponse(
            "Send `Authorization: Bearer <BILDGEN_METRICS_TOKEN>`.",
            status_code=401,
            headers={**_NO_STORE, "WWW-Authenticate": "Bearer"},
        )
    body = await asyncio.to_thread(exposition, services.engine)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)
