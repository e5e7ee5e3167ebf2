"""The comparison grid of a batch's series: rows = prompts, columns = runs (models), same seeds.
A thin state over bildgen.batches.comparison; refreshed by the page while a run is still going."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen import i18n, routes
from bildgen.batches import comparison, runs
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.batch_page import STATUS_COLORS, ItemThumb
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.session import SessionState
from bildgen.store.models import User

ROWS_PER_PAGE = comparison.ROWS_PER_PAGE


@dataclasses.dataclass
class ColumnCard:
    label: str
    link: str


@dataclasses.dataclass
class CellCard:
    present: bool
    status_label: str
    color: str
    thumbs: list[ItemThumb]


@dataclasses.dataclass
class RowCard:
    number: int
    prompt: str
    seed: int
    cells: list[CellCard]


def _cell(cell: comparison.Cell | None, prompt: str, column: str) -> CellCard:
    if cell is None:
        return CellCard(present=False, status_label="", color="gray", thumbs=[])
    return CellCard(
        present=True,
        status_label=runs.status_label(cell.status),
        color=STATUS_COLORS.get(cell.status, "gray"),
        thumbs=[
            ItemThumb(
                image_id=image_id,
                thumbnail_path=routes.thumbnail_upload_path(image_id),
                alt=_("{column}: {prompt}, image {image}", column=column, prompt=prompt[:80], image=index + 1),
            )
            for index, image_id in enumerate(cell.image_ids)
        ],
    )


class ComparisonState(SessionState):
    shown_id: str = ""
    found: bool = True
    columns: list[ColumnCard] = []
    rows: list[RowCard] = []
    total_rows: int = 0
    page: int = 0
    active: bool = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total_rows // ROWS_PER_PAGE))

    @rx.var
    def batch_link(self) -> str:
        return routes.batch_page(self.shown_id)

    @rx.event
    @signed_in
    async def open_comparison(self, user: User):
        parts = [part for part in self.router.url.path.split("/") if part]
        batch_id = parts[1] if len(parts) >= 3 else ""
        if batch_id != self.shown_id:
            self.shown_id, self.page = batch_id, 0
        await self._show(user.id)

    async def _show(self, owner_id: str) -> None:
        services = await asyncio.to_thread(get_services)
        shown = await asyncio.to_thread(
            comparison.grid,
            services.engine,
            self.shown_id,
            owner_id=owner_id,
            start=self.page * ROWS_PER_PAGE,
            limit=ROWS_PER_PAGE,
        )
        if shown is None:
            self.found, self.columns, self.rows, self.total_rows, self.active = False, [], [], 0, False
            return
        labels = {key: profile.label for key, profile in services.catalog.models.items()}
        names = [
            " · ".join(
                (
                    labels.get(column.model_profile, column.model_profile or _("batch model")),
                    i18n.format_datetime(column.created_at, self.lang, format="short"),
                )
            )
            for column in shown.columns
        ]
        self.found, self.total_rows, self.active = True, shown.total_rows, shown.active
        self.columns = [
            ColumnCard(label=name, link=routes.batch_page(column.batch_id))
            for name, column in zip(names, shown.columns, strict=True)
        ]
        self.rows = [
            RowCard(
                number=self.page * ROWS_PER_PAGE + index + 1,
                prompt=row.prompt,
                seed=row.seed,
                cells=[_cell(cell, row.prompt, name) for cell, name in zip(row.cells, names, strict=True)],
            )
            for index, row in enumerate(shown.rows)
        ]

    @rx.event
    @checks_inside
    async def refresh(self):
        user = await self._user()
        if user is None or not self.shown_id:
            return
        await self._show(user.id)

    @rx.event
    @public
    async def show_rows(self, page: int):
        if isinstance(page, int):
            self.page = max(0, min(page, self.page_count - 1))
            return ComparisonState.refresh
