"""The comparison grid: rows = prompts (with their seed), columns = runs. Rendering only."""

import reflex as rx

from bildgen.components.batch_progress import WRAP_ANYWHERE, gallery_thumb, prompt_pager
from bildgen.components.i18n import t
from bildgen.state.comparison import CellCard, ColumnCard, ComparisonState, RowCard


def _cell(cell: CellCard) -> rx.Component:
    return rx.table.cell(
        rx.cond(
            cell.present,
            rx.cond(
                cell.thumbs.length() > 0,
                rx.hstack(
                    rx.foreach(cell.thumbs, lambda thumb: gallery_thumb(thumb, side="160px")), spacing="1", wrap="wrap"
                ),
                rx.badge(cell.status_label, color_scheme=cell.color, variant="soft", high_contrast=True),
            ),
            rx.text("—", color_scheme="gray", aria_label=t("not in this run")),
        ),
        vertical_align="top",
    )


def _row(row: RowCard) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.prompt, size="2", style=WRAP_ANYWHERE),
                rx.text(t("#{number} · seed {seed}", number=row.number, seed=row.seed), size="1", color_scheme="gray"),
                spacing="1",
                max_width="280px",
            ),
            vertical_align="top",
        ),
        rx.foreach(row.cells, _cell),
    )


def _column(column: ColumnCard) -> rx.Component:
    return rx.table.column_header_cell(rx.link(column.label, href=column.link))


def comparison_grid() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ComparisonState.active,
            # assets/batches.js presses this every 2 s while the page is open and visible.
            rx.el.button(
                t("Refresh"),
                on_click=ComparisonState.refresh,
                custom_attrs={"data-refresh-tick": "true"},
                aria_hidden="true",
                tab_index=-1,
                style={"display": "none"},
            ),
        ),
        rx.text(
            t(
                "{prompts} prompts · {runs} runs, every prompt with the same seed in each",
                prompts=ComparisonState.total_rows,
                runs=ComparisonState.columns.length(),
            ),
            size="2",
            role="status",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(rx.table.column_header_cell(t("Prompt")), rx.foreach(ComparisonState.columns, _column))
                ),
                rx.table.body(rx.foreach(ComparisonState.rows, _row)),
                size="1",
            ),
            overflow_x="auto",
            width="100%",
        ),
        prompt_pager(ComparisonState.page, ComparisonState.page_count, ComparisonState.show_rows),
        spacing="3",
        width="100%",
    )
