"""Download a selection, a filtered gallery or a whole board as one ZIP, streamed as it is written.

What goes in is checked on the server like every image: the user's own images, and on a board shared
with them that board's images. Anything else is left out; a board not shared with them is a 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from slugify import slugify
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bildgen.auth import audit
from bildgen.boards import sharing, zips
from bildgen.clients import client_address
from bildgen.http.auth import request_user
from bildgen.http.images import ID_PATTERN, not_found, refused
from bildgen.services import Services, get_services
from bildgen.store import gallery
from bildgen.store.image_library import saved_image, stored_recipe

# A selection named by its ids travels in the address; larger ones are sent as their filter.
MAX_IDS = 500
_PAGE = 200


def selection_filters(request: Request) -> gallery.Filters:
    """The gallery's filters as the browser's address names them (bildgen/state/gallery.zip_url)."""
    query = request.query_params
    return gallery.Filters(
        model=query.get("model", "")[:300],
        favourites_only=query.get("favourites") == "1",
        text=query.get("q", "")[:200],
        batch_id=query.get("batch", "")[:32],
        board_id=query.get("board", "")[:32],
    )


def _chosen_ids(request: Request) -> list[str]:
    ids = [item for item in request.query_params.get("ids", "").split(",") if ID_PATTERN.fullmatch(item)]
    return list(dict.fromkeys(ids))[:MAX_IDS]


def _entries(services: Services, user_id: str, filters: gallery.Filters, ids: list[str]) -> Iterator[zips.ZipEntry]:
    """Blocking (database, disk): iterated by the response off the event loop, a page at a time."""

    def entry(image, generation) -> zips.ZipEntry:
        return zips.ZipEntry(
            name=saved_image(image, generation).filename,
            path=services.files.path_for(image.sha256),
            created=image.created_at,
            recipe=stored_recipe(generation, image.seed),
        )

    if ids:
        for image_id in ids:
            found = sharing.viewable_image(services.engine, user_id, image_id)
            if found is not None:
                yield entry(*found)
        return
    cursor = None
    while True:
        page = gallery.page(services.engine, user_id, filters=filters, after=cursor, limit=_PAGE)
        for image, generation in page.items:
            yield entry(image, generation)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def download_zip(request: Request) -> Response:
    user = await request_user(request)
    if user is None:
        return not_found()
    services = await asyncio.to_thread(get_services)
    filters, ids = selection_filters(request), _chosen_ids(request)
    name = "bildgen-images"
    if filters.board_id:
        if not ID_PATTERN.fullmatch(filters.board_id):
            return not_found()
        board = await asyncio.to_thread(sharing.viewable_board, services.engine, user.id, filters.board_id)
        if board is None:
            return await refused(request, user, "board", filters.board_id)
        name = slugify(board.name, max_length=60) or name
        if board.owner_id != user.id:
            await asyncio.to_thread(
                audit.record_repeated,
                services.engine,
                action=audit.SHARED_IMAGE_VIEWED,
                actor_id=user.id,
                target=f"board {board.id}",
                address=client_address(request),
            )
    # A sync iterator: Starlette runs each step in its thread pool, never on the event loop.
    return StreamingResponse(
        zips.stream_zip(_entries(services, user.id, filters, ids)),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.zip"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
