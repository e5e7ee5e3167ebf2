import reflex as rx

from bildgen.components.download import download_link
from bildgen.components.i18n import t
from bildgen.state.gallery import GalleryState, LineageCard

DETAIL = GalleryState.detail


def _row(label: str, value) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value))


def _lineage_strip(title: str, cards) -> rx.Component:
    def tile(card: LineageCard) -> rx.Component:
        return rx.el.button(
            rx.image(
                src=rx.get_upload_url(card.thumbnail_path),
                alt="",
                width="56px",
                height="56px",
                object_fit="cover",
                border_radius="var(--radius-2)",
            ),
            type="button",
            on_click=GalleryState.show(card.id),
            aria_label=f"{title}: {card.label}",
            style={"padding": "0", "border": "none", "background": "none", "cursor": "pointer"},
        )

    return rx.cond(
        cards.length() > 0,
        rx.vstack(
            rx.text(title, weight="bold", size="2"),
            rx.hstack(rx.foreach(cards, tile), wrap="wrap", spacing="2"),
            spacing="1",
        ),
    )


def _delete_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("trash-2", size=14), "Delete", color_scheme="red", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this image?"),
            rx.alert_dialog.description(
                "The image and its file are removed for good. Its recipe stays in any PNG you downloaded."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Delete image", color_scheme="red", on_click=GalleryState.delete(DETAIL.id))
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
    )


def image_detail() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Image details"),
            rx.flex(
                rx.image(
                    src=rx.get_upload_url(DETAIL.image_path),
                    alt=f"Image, seed {DETAIL.seed}: {DETAIL.prompt}",
                    max_width="100%",
                    max_height="60vh",
                    border_radius="var(--radius-3)",
                ),
                rx.vstack(
                    rx.table.root(
                        rx.table.body(
                            _row("Prompt", DETAIL.prompt),
                            rx.cond(DETAIL.negative_prompt != "", _row("Negative prompt", DETAIL.negative_prompt)),
                            _row("Model", DETAIL.model),
                            rx.cond(DETAIL.served_as != "", _row(t("Served as"), DETAIL.served_as)),
                            rx.cond(DETAIL.options != "", _row(t("Options"), DETAIL.options)),
                            _row("Mode", DETAIL.mode),
                            rx.cond(
                                DETAIL.mask_path != "",
                                _row(
                                    t("Mask"),
                                    rx.hstack(
                                        rx.image(
                                            src=rx.get_upload_url(DETAIL.mask_path),
                                            alt=t("Mask: the area of the first reference that was to change"),
                                            width="56px",
                                            border="1px solid var(--gray-7)",
                                            border_radius="var(--radius-1)",
                                        ),
                                        rx.text(t("white: the area that was to change"), size="1", color_scheme="gray"),
                                        align="center",
                                        spacing="2",
                                    ),
                                ),
                            ),
                            _row("Size", DETAIL.size),
                            _row("Steps", DETAIL.steps),
                            _row("Guidance", DETAIL.guidance),
                            _row("Seed", DETAIL.seed),
                            _row("Created", DETAIL.created),
                            rx.cond(DETAIL.took != "", _row("Took", DETAIL.took)),
                        ),
                        size="1",
                        variant="surface",
                    ),
                    # Prompt help's part of the recipe: the prompt before Improve, context elements.
                    rx.foreach(DETAIL.recipe_notes, lambda note: rx.text(note, size="1", color_scheme="gray")),
                    rx.cond(
                        DETAIL.batch_id != "",
                        rx.link("Made in a batch: open it", href="/batches/" + DETAIL.batch_id, size="1"),
                    ),
                    _lineage_strip("Made from", DETAIL.made_from),
                    _lineage_strip("Made into", DETAIL.made_into),
                    rx.hstack(
                        download_link(DETAIL.image_path, DETAIL.filename, size="2"),
                        rx.button(
                            rx.icon("image-plus", size=14),
                            "Use as reference",
                            variant="soft",
                            on_click=GalleryState.use_as_reference(DETAIL.id),
                        ),
                        rx.button(
                            rx.icon("rotate-ccw", size=14),
                            "Reproduce",
                            variant="soft",
                            on_click=GalleryState.reproduce(DETAIL.id),
                        ),
                        rx.button(
                            rx.icon("star", size=14, fill=rx.cond(DETAIL.favourite, "currentColor", "none")),
                            "Favourite",
                            variant=rx.cond(DETAIL.favourite, "solid", "soft"),
                            color_scheme="amber",
                            aria_pressed=DETAIL.favourite,
                            on_click=GalleryState.toggle_favourite(DETAIL.id),
                        ),
                        _delete_button(),
                        wrap="wrap",
                        spacing="2",
                    ),
                    spacing="3",
                    min_width="260px",
                    flex="1",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="4",
            ),
            rx.dialog.close(rx.button("Close", variant="ghost", margin_top="12px")),
            max_width="1100px",
        ),
        open=GalleryState.detail_open,
        on_open_change=GalleryState.set_detail_open,
    )
