"""The gallery page: one user's images, newest first, paged by key, with filters and details.

Every query runs off the event loop (asyncio.to_thread) and never inside `async with self`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time

import reflex as rx

from bildgen import routes
from bildgen.batches import runs
from bildgen.inference import providers
from bildgen.inference.errors import InferenceError
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.outages import note_failure
from bildgen.state.session import SessionState, user_for_token
from bildgen.store import gallery
from bildgen.store.image_library import shown_seed
from bildgen.store.models import Generation, Image, User
from bildgen.waits import Backoff

ALL_MODELS = "__all__"
# Every change resends the whole list to the browser: keep a window of pages, not all of them.
MAX_CARDS = 3 * gallery.PAGE_SIZE
PROMPT_SHOWN = 80
# Longer prompts are clamped to a few lines in the details, with "Show more".
PROMPT_CLAMPED = 240
WATCH_EVERY_S = 2.0
WATCH_AT_MOST_S = 3600.0
BOARD_ID = re.compile(r"[0-9a-f]{32}")


@dataclasses.dataclass
class GalleryCard:
    id: str
    prompt: str  # shortened: it only names the tile
    seed: int
    # False when the service was sent no seed (GPT-Image): the tile's names give none.
    seed_sent: bool
    favourite: bool


@dataclasses.dataclass
class JobCard:
    prompt: str
    done: int
    total: int


def gallery_card(image: Image, generation: Generation) -> GalleryCard:
    prompt = generation.prompt
    shown = prompt if len(prompt) <= PROMPT_SHOWN else prompt[: PROMPT_SHOWN - 1] + "…"
    seed = shown_seed(image, generation)
    return GalleryCard(id=image.id, prompt=shown, seed=seed or 0, seed_sent=seed is not None, favourite=image.favourite)


def _job_cards(owner_id: str) -> list[JobCard]:
    return [
        JobCard(prompt=job.generation.prompt, done=job.images_done, total=job.generation.variant_count)
        for job in gallery.running_jobs(get_services().engine, owner_id)
    ]


@dataclasses.dataclass(frozen=True)
class _FirstPage:
    cards: list[GalleryCard]
    next_cursor: str
    models_used: list[str]
    jobs: list[JobCard]


def _load_first_page(owner_id: str, filters: gallery.Filters) -> _FirstPage:
    engine = get_services().engine
    result = gallery.page(engine, owner_id, filters=filters)
    return _FirstPage(
        cards=[gallery_card(image, generation) for image, generation in result.items],
        next_cursor=result.next_cursor.encode() if result.next_cursor else "",
        models_used=gallery.models_used(engine, owner_id),
        jobs=_job_cards(owner_id),
    )


def _batch_named(owner_id: str, batch_id: str) -> tuple[str, str]:
    """The batch to filter by and its name; nothing for a foreign or missing batch."""
    summary = runs.summary(get_services().engine, batch_id, owner_id=owner_id) if batch_id else None
    return (summary.id, summary.name) if summary else ("", "")


class GalleryState(SessionState):
    cards: list[GalleryCard] = []
    next_cursor: str = ""
    # Newer pages were dropped from the window while scrolling far down.
    newer_hidden: bool = False
    models_used: list[str] = []
    model_filter: str = ALL_MODELS
    favourites_only: bool = False
    search: str = ""
    # ?batch=<id>: only that batch's images (bildgen.batches), named above the grid.
    batch_filter: str = ""
    batch_name: str = ""
    # ?board=<id>: only that board's images (bildgen.boards; a shared board's too). Access is checked
    # in the query itself: a board not shared with the user shows nothing.
    board_filter: str = ""
    jobs: list[JobCard] = []
    watching: bool = False
    message: str = ""
    # The default model is the demo renderer: the page says so, as the studio does.
    demo_in_use: bool = False

    def _filters(self) -> gallery.Filters:
        model = "" if self.model_filter == ALL_MODELS else self.model_filter
        return gallery.Filters(
            model=model,
            favourites_only=self.favourites_only,
            text=self.search,
            batch_id=self.batch_filter,
            board_id=self.board_filter,
        )

    def _show_first_page(self, page: _FirstPage) -> None:
        self.cards, self.next_cursor, self.newer_hidden = page.cards, page.next_cursor, False
        self.models_used, self.jobs = page.models_used, page.jobs

    @rx.event
    @signed_in
    async def open_gallery(self, user: User):
        self.message = ""
        query = self.router.url.query_parameters
        self.batch_filter, self.batch_name = await asyncio.to_thread(_batch_named, user.id, query.get("batch", ""))
        board = str(query.get("board", ""))
        self.board_filter = board if BOARD_ID.fullmatch(board) else ""
        self._show_first_page(await asyncio.to_thread(_load_first_page, user.id, self._filters()))
        follow_ups = [GalleryState.check_demo]
        if self.jobs and not self.watching:
            follow_ups.append(GalleryState.watch_jobs)
        return follow_ups

    @rx.event(background=True)
    @public
    async def check_demo(self):
        services = await asyncio.to_thread(get_services)
        default = services.catalog.default
        is_demo = services.runs_embedded_demo(default)
        if not is_demo:
            with contextlib.suppress(InferenceError):
                async with providers.adapter_for(default) as adapter:
                    is_demo = (await adapter.served_model()).is_demo
        async with self:
            self.demo_in_use = is_demo

    @rx.event
    @signed_in
    async def load_more(self, user: User):
        cursor = gallery.Cursor.decode(self.next_cursor)
        if cursor is None:
            return
        result = await asyncio.to_thread(
            gallery.page, get_services().engine, user.id, filters=self._filters(), after=cursor
        )
        cards = [*self.cards, *[gallery_card(image, generation) for image, generation in result.items]]
        if len(cards) > MAX_CARDS:
            cards, self.newer_hidden = cards[-MAX_CARDS:], True
        self.cards = cards
        self.next_cursor = result.next_cursor.encode() if result.next_cursor else ""

    @rx.var
    def filtering(self) -> bool:
        """Some filter hides images: an empty grid then means "nothing matched", not "no images"."""
        return bool(
            self.search
            or self.favourites_only
            or self.model_filter != ALL_MODELS
            or self.batch_filter
            or self.board_filter
        )

    @rx.event
    @public
    def clear_filters(self):
        self.search, self.model_filter, self.favourites_only = "", ALL_MODELS, False
        if self.batch_filter or self.board_filter:  # these come from the address: leave it
            return rx.redirect(routes.GALLERY)
        return GalleryState.open_gallery

    @rx.event
    @public
    def set_search(self, value: str):
        self.search = str(value).strip()[:200]
        return GalleryState.open_gallery

    @rx.event
    @public
    def set_model_filter(self, value: str):
        self.model_filter = str(value)
        return GalleryState.open_gallery

    @rx.event
    @public
    def set_favourites_only(self, value: bool):
        self.favourites_only = bool(value)
        return GalleryState.open_gallery

    @rx.event(background=True)
    @checks_inside
    async def watch_jobs(self):
        """While generations wait or run (from this tab or any other), refresh until they are done."""
        async with self:
            if self.watching:
                return
            self.watching = True
            token = self._session_token()
        started, backoff = time.monotonic(), Backoff()
        try:
            while time.monotonic() - started < WATCH_AT_MOST_S:
                await asyncio.sleep(WATCH_EVERY_S)
                try:
                    user = await user_for_token(token)
                    if user is None:
                        return
                    jobs = await asyncio.to_thread(_job_cards, user.id)
                    async with self:
                        changed, filters = jobs != self.jobs, self._filters()
                    # New images have landed: show them, at the top. Otherwise the pages the user
                    # scrolled to stay as they are.
                    page = await asyncio.to_thread(_load_first_page, user.id, filters) if changed else None
                    async with self:
                        if page is not None:
                            self._show_first_page(page)
                        self.jobs = jobs
                except Exception as error:  # the database or Redis is away: try again, catch up later
                    note_failure("watching the gallery's jobs", error, first=not backoff.failures)
                    await backoff.pause()
                    continue
                backoff.succeeded()
                if not jobs:
                    return
        finally:
            with contextlib.suppress(Exception):
                async with self:
                    self.watching = False

    # ---- what the lightbox (state/lightbox.py) changed ---------------------------------------------

    @rx.var
    def card_ids(self) -> list[str]:
        """The loaded images in order: the lightbox's ←/→ walks through them."""
        return [card.id for card in self.cards]

    def _mark_favourite(self, image_id: str, favourite: bool) -> None:
        self.cards = [dataclasses.replace(c, favourite=favourite) if c.id == image_id else c for c in self.cards]

    def _forget(self, image_id: str, message: str) -> None:
        self.cards = [card for card in self.cards if card.id != image_id]
        self.message = message
