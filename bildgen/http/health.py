"""/healthz: the process answers. /readyz: it can serve users (database, migrations, Redis, data folder).

Both are public and say nothing secret: a proxy, compose or systemd polls them without credentials.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from bildgen.ops.health import OK, readiness
from bildgen.services import get_services

_NO_STORE = {"Cache-Control": "no-store"}


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


async def readyz(_request: Request) -> JSONResponse:
    services = await asyncio.to_thread(get_services)
    settings = services.settings
    checks = await readiness(services.engine, settings.data_dir, settings.redis_url)
    failed = sorted(name for name, state in checks.items() if state != OK)
    return JSONResponse(
        {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks},
        status_code=503 if failed else 200,
        headers=_NO_STORE,
    )
