"""One batch's page: its progress, its items page by page with their images, Cancel, and running
the same prompts again on another model. A thin state over bildgen.batches.runs.

The page refreshes itself while it is open and the batch is running (assets/batches.js presses the
hidden refresh button every 2 s): nothing polls for a tab that was closed, and the batch goes on
regardless, its jobs being ordinary jobs in the queue.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen import routes
from bildgen.batches import packs, runs
from bildgen.batches.queueing import queue_batch
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.outages import RECONNECTING, is_outage
from bildgen.state.session import SessionState, user_for_token
from bildgen.state.studio import ModelChoice
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import GenerationStatus, User

ITEMS_PER_PAGE = runs.ITEMS_PAGE
STATUS_COLORS = {
    GenerationStatus.DONE: "green",
    GenerationStatus.RUNNING: "blue",
    GenerationStatus.QUEUED: "gray",
    runs.PENDING: "gray",
    GenerationStatus.PARTIAL: "amber",
    GenerationStatus.FAILED: "red",
    runs.REFUSED: "red",
    GenerationStatus.INTERRUPTED: "amber",
    GenerationStatus.CANCELLED: "gray",
    runs.REMOVED: "gray",
}


@dataclasses.dataclass
class ItemThumb:
    image_id: str
    thumbnail_path: str
    alt: str


@dataclasses.dataclass
class ItemCard:
    number: int
    prompt: str
    model: str
    seed: int
    status: str
    status_label: str
    color: str
    message: str
    thumbs: list[ItemThumb]


def _item_card(item: runs.ItemView, labels: dict[str, str]) -> ItemCard:
    label = runs.status_label(item.status)
    return ItemCard(
        number=item.position + 1,
        prompt=item.prompt,
        model=labels.get(item.model_profile, item.model_profile) or _("batch model"),
        seed=item.seed,
        status=item.status,
        status_label=label,
        color=STATUS_COLORS.get(item.status, "gray"),
        message=item.message,
        thumbs=[
            ItemThumb(
                image_id=image_id,
                thumbnail_path=routes.thumbnail_upload_path(image_id),
                alt=_(
                    "Prompt {number}, image {image}: {prompt}",
                    number=item.position + 1,
                    image=index + 1,
                    prompt=item.prompt[:80],
                ),
            )
            for index, image_id in enumerate(item.image_ids)
        ],
    )


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    summary: runs.BatchSummary | None
    items: list[runs.ItemView]
    series_runs: int


def _read(batch_id: str, owner_id: str, start: int) -> _Snapshot:
    engine = get_services().engine
    summary = runs.summary(engine, batch_id, owner_id=owner_id)
    if summary is None:
        return _Snapshot(None, [], 0)
    items = runs.items_page(engine, batch_id, owner_id=owner_id, start=start, limit=ITEMS_PER_PAGE)
    return _Snapshot(summary, items, runs.series_size(engine, summary.series_id, owner_id=owner_id))


class BatchPageState(SessionState):
    shown_id: str = ""
    found: bool = True
    name: str = ""
    model_label: str = ""  # where every row runs on one model
    progress_text: str = ""
    finished: int = 0
    total: int = 0
    active: bool = False
    cancelled: bool = False
    series_runs: int = 0
    page: int = 0
    items: list[ItemCard] = []
    models: list[ModelChoice] = []
    rerun_model: str = ""
    message: str = ""

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // ITEMS_PER_PAGE))

    @rx.var
    def percent(self) -> int:
        return int(100 * self.finished / self.total) if self.total else 0

    @rx.var
    def gallery_link(self) -> str:
        return routes.gallery_of_batch(self.shown_id)

    @rx.var
    def compare_link(self) -> str:
        return routes.batch_compare_page(self.shown_id)

    def _batch_from_url(self) -> str:
        # /batches/<id>: the id is the last part of the path.
        parts = [part for part in self.router.url.path.split("/") if part]
        return parts[1] if len(parts) >= 2 and parts[0] == routes.BATCHES.strip("/") else ""

    @rx.event
    @signed_in
    async def open_batch(self, user: User):
        batch_id = self._batch_from_url()
        services = await asyncio.to_thread(get_services)
        if batch_id != self.shown_id:
            self.shown_id, self.page, self.message = batch_id, 0, ""
        # The profiles an administrator offers now (bildgen/admin/live.py).
        self.models = [
            ModelChoice(id=key, label=profile.label)
            for key, profile in services.catalog.models.items()
            if profile.enabled
        ]
        if not services.catalog.offers(self.rerun_model):
            self.rerun_model = services.catalog.default_id
        snapshot = await asyncio.to_thread(_read, batch_id, user.id, self.page * ITEMS_PER_PAGE)
        if snapshot.summary is None:
            self.found, self.items, self.name = False, [], ""
            await self._record_refused(user.id, "batch", batch_id)
            return
        self._show(snapshot)
        if snapshot.summary.progress.states.get(runs.PENDING) and not snapshot.summary.progress.cancelled:
            # Items left unqueued (bildgen stopped while queueing them): queue them now.
            return BatchPageState.resume_queueing

    @rx.event(background=True)
    @checks_inside
    async def resume_queueing(self):
        async with self:
            batch_id, token = self.shown_id, self._session_token()
        user = await user_for_token(token)
        if user is not None and batch_id:
            await queue_batch(batch_id, user.id)

    def _show(self, snapshot: _Snapshot) -> None:
        summary = snapshot.summary
        assert summary is not None
        labels = {key: profile.label for key, profile in get_services().catalog.models.items()}
        progress = summary.progress
        self.found = True
        self.name = summary.name
        self.model_label = labels.get(summary.defaults.model, "")
        self.progress_text = progress.describe()
        self.finished, self.total = progress.finished, progress.items
        # A cancelled batch is still followed until its running images have ended.
        self.active, self.cancelled = progress.active, progress.cancelled
        self.series_runs = snapshot.series_runs
        self.items = [_item_card(item, labels) for item in snapshot.items]

    @rx.event
    @checks_inside
    async def refresh(self):
        """Pressed every 2 s by the page while the batch runs (and only while the page is open); while
        the database is away it says so, and the next press catches up."""
        try:
            user = await self._user()
            if user is None or not self.shown_id:
                return
            snapshot = await asyncio.to_thread(_read, self.shown_id, user.id, self.page * ITEMS_PER_PAGE)
        except Exception as error:
            if not is_outage(error):
                raise
            self.message = _(RECONNECTING)
            return
        if self.message == _(RECONNECTING):
            self.message = ""
        if snapshot.summary is not None:
            self._show(snapshot)

    @rx.event
    @public
    async def show_items(self, page: int):
        if not isinstance(page, int):
            return
        self.page = max(0, min(page, self.page_count - 1))
        return BatchPageState.refresh

    @rx.event
    @signed_in
    async def cancel_batch(self, user: User):
        services = await asyncio.to_thread(get_services)
        try:
            found = await asyncio.to_thread(runs.cancel, services.engine, self.shown_id, owner_id=user.id)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        services.runner.wake()
        self.message = _("Cancelled: nothing more of this batch starts; images already saved stay.") if found else ""
        return BatchPageState.refresh

    @rx.event
    @signed_in
    async def save_as_pack(self, user: User, form_data: dict):
        """This batch's prompts, settings and seeds as a named pack, to run again on any model."""
        form_data = form_data if isinstance(form_data, dict) else {}
        name = str(form_data.get("pack_name") or self.name)
        shared = bool(form_data.get("pack_shared"))
        try:
            pack_id = await asyncio.to_thread(
                packs.from_batch, get_services().engine, self.shown_id, owner_id=user.id, name=name, shared=shared
            )
        except (packs.PackRefused, StorageUnavailable) as problem:
            self.message = problem.user_message if isinstance(problem, StorageUnavailable) else str(problem)
            return
        if pack_id is not None:
            name = " ".join(name.split())[:200]
            self.message = (
                _("Saved as the shared pack “{name}”.", name=name)
                if shared
                else _("Saved as the private pack “{name}”.", name=name)
            )

    @rx.event
    @public
    def set_rerun_model(self, value: str) -> None:
        if value in get_services().catalog.models:
            self.rerun_model = value

    @rx.event(background=True)
    @checks_inside
    async def run_again(self):
        """The same prompts with the same seeds on the chosen model: a new batch in the same series."""
        async with self:
            batch_id, model, token = self.shown_id, self.rerun_model, self._session_token()
            self._in_tab_language()
        user = await user_for_token(token)
        if user is None:
            async with self:
                yield self._to_sign_in()
            return
        services = await asyncio.to_thread(get_services)
        try:
            new_id = await asyncio.to_thread(
                runs.rerun, services.engine, batch_id, owner_id=user.id, model=model, catalog=services.catalog
            )
        except (runs.BatchInvalid, StorageUnavailable) as problem:
            async with self:
                self.message = (
                    problem.user_message if isinstance(problem, StorageUnavailable) else problem.plan.summary()
                )
            return
        if new_id is None:
            return
        async with self:
            self.shown_id, self.page, self.message = new_id, 0, ""
            yield rx.redirect(routes.batch_page(new_id))
        await queue_batch(new_id, user.id)
