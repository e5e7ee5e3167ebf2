"""Usage per group and profile as a CSV download, for administrators only (asked of the database on
every request, like the Admin area's events). ?from=YYYY-MM-DD&to=YYYY-MM-DD, both days included (UTC)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from bildgen import i18n
from bildgen.groups import report
from bildgen.http.auth import request_user
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.store.db import STORAGE_ERRORS, StorageUnavailable


def _plain(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})


async def export_usage(request: Request) -> Response:
    user = await request_user(request)
    if user is None:
        return _plain(404, "Not found")
    # Answered in the administrator's language, else the browser's.
    i18n.current_language.set(user.language or i18n.negotiate(request.headers.get("accept-language")))
    if not user.is_admin:
        return _plain(403, _("Only administrators can use the Admin area."))
    query = request.query_params
    try:
        start, end = report.date_range(query.get("from", ""), query.get("to", ""))
    except ValueError:
        return _plain(400, _("Choose a first and a last day, at most {count} days apart.", count=report.MAX_DAYS))
    services = await asyncio.to_thread(get_services)
    try:
        live = await asyncio.to_thread(services.config.refresh)
        lines = await asyncio.to_thread(
            report.report, services.engine, start=start, end=end, profiles=live.catalog.models
        )
    except (*STORAGE_ERRORS, StorageUnavailable):
        return _plain(
            503, _("The Admin area cannot be shown right now: the database is not answering. Try again in a moment.")
        )
    rows = report.csv_lines(lines, currency=live.general.currency, no_group=_("(no group)"))
    name = f"bildgen-usage-{start.date().isoformat()}-{(end - timedelta(days=1)).date().isoformat()}.csv"
    # A sync iterator: Starlette writes it a line at a time from its thread pool.
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
