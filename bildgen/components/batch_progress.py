"""One batch's page: progress, Cancel, Run again on another model, the items and their images.
Rendering only (state: BatchPageState)."""

import reflex as rx

from bildgen import routes
from bildgen.components.i18n import t
from bildgen.state.batch_page import BatchPageState, ItemCard, ItemThumb


def gallery_thumb(thumb: ItemThumb, *, side: str) -> rx.Component:
    """An item's image as a thumbnail that opens it large in the gallery (also in the comparison grid)."""
    return rx.link(
        rx.image(
            src=rx.get_upload_url(thumb.thumbnail_path),
            alt=thumb.alt,
            width=side,
            height=side,
            object_fit="cover",
            border_radius="var(--radius-2)",
            loading="lazy",
        ),
        href=f"{routes.GALLERY}?image={thumb.image_id}",
    )


def prompt_pager(page, page_count, show) -> rx.Component:
    """Previous / page N of M / Next through a batch's prompts, when they fill more than one page
    (`show(page)` loads a page); also under the comparison grid."""
    return rx.cond(
        page_count > 1,
        rx.hstack(
            rx.button(t("Previous prompts"), size="1", variant="soft", disabled=page == 0, on_click=show(page - 1)),
            rx.text(t("page {page} of {pages}", page=page + 1, pages=page_count), size="1"),
            rx.button(
                t("Next prompts"),
                size="1",
                variant="soft",
                disabled=page >= page_count - 1,
                on_click=show(page + 1),
            ),
            spacing="2",
            align="center",
        ),
    )


WRAP_ANYWHERE = {"overflowWrap": "anywhere", "wordBreak": "break-word"}


def _item(item: ItemCard) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(item.number, size="1")),
        # A long unbroken prompt wraps anywhere rather than pushing the other columns off the page.
        rx.table.cell(rx.text(item.prompt, size="2", style=WRAP_ANYWHERE), max_width="420px"),
        rx.table.cell(rx.text(item.model, size="1")),
        rx.table.cell(rx.text(item.seed, size="1")),
        rx.table.cell(
            rx.vstack(
                rx.badge(item.status_label, color_scheme=item.color, variant="soft", high_contrast=True),
                rx.cond(item.message != "", rx.text(item.message, size="1", color_scheme="gray")),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.foreach(item.thumbs, lambda thumb: gallery_thumb(thumb, side="56px")), spacing="1", wrap="wrap"
            )
        ),
    )


def progress_panel() -> rx.Component:
    return rx.vstack(
        rx.progress(value=BatchPageState.percent, max=100, aria_label=t("Batch progress"), width="100%"),
        rx.text(BatchPageState.progress_text, size="2", role="status", aria_live="polite", id="batch-progress"),
        rx.cond(
            BatchPageState.active,
            # assets/batches.js presses this every 2 s while the page is open and visible.
            rx.el.button(
                t("Refresh"),
                on_click=BatchPageState.refresh,
                custom_attrs={"data-refresh-tick": "true"},
                aria_hidden="true",
                tab_index=-1,
                style={"display": "none"},
            ),
        ),
        spacing="2",
        width="100%",
    )


def batch_actions() -> rx.Component:
    return rx.flex(
        rx.cond(
            BatchPageState.active & ~BatchPageState.cancelled,
            rx.button(
                rx.icon("square", size=14),
                t("Cancel batch"),
                color_scheme="red",
                variant="soft",
                on_click=BatchPageState.cancel_batch,
            ),
        ),
        rx.link(
            rx.button(rx.icon("images", size=14), t("Show in gallery"), variant="soft"),
            href=BatchPageState.gallery_link,
        ),
        rx.link(
            rx.button(
                rx.icon("columns-3", size=14),
                rx.cond(
                    BatchPageState.series_runs > 1,
                    t("Compare {count} runs", count=BatchPageState.series_runs),
                    t("Comparison grid"),
                ),
                variant="soft",
            ),
            href=BatchPageState.compare_link,
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label=t("Model for another run"), min_width="180px"),
                rx.select.content(
                    rx.foreach(BatchPageState.models, lambda choice: rx.select.item(choice.label, value=choice.id))
                ),
                value=BatchPageState.rerun_model,
                on_change=BatchPageState.set_rerun_model,
            ),
            rx.button(rx.icon("repeat", size=14), t("Run again on this model"), on_click=BatchPageState.run_again),
            spacing="2",
            align="center",
        ),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
    )


def items_list() -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("#"),
                        rx.table.column_header_cell(t("Prompt")),
                        rx.table.column_header_cell(t("Model")),
                        rx.table.column_header_cell(t("Seed")),
                        rx.table.column_header_cell(t("State")),
                        rx.table.column_header_cell(t("Images")),
                    )
                ),
                rx.table.body(rx.foreach(BatchPageState.items, _item)),
                size="1",
                aria_label=t("Prompts of this batch"),
            ),
            overflow_x="auto",
            width="100%",
        ),
        prompt_pager(BatchPageState.page, BatchPageState.page_count, BatchPageState.show_items),
        spacing="2",
        width="100%",
    )


def save_as_pack() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(t("Pack name"), html_for="pack-name", class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
                rx.input(
                    id="pack-name", name="pack_name", default_value=BatchPageState.name, key=BatchPageState.shown_id
                ),
                spacing="1",
                min_width="220px",
            ),
            rx.el.label(
                rx.el.input(type="checkbox", name="pack_shared", value="yes"),
                " ",
                t("Share with everyone"),
                class_name="rt-Text rt-r-size-2",
                style={"display": "flex", "gap": "6px", "alignItems": "center"},
            ),
            rx.button(rx.icon("package-plus", size=14), t("Save as pack"), type="submit", variant="soft"),
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        on_submit=BatchPageState.save_as_pack,
        reset_on_submit=False,
        width="100%",
    )
