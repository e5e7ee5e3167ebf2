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


def _prompt() -> rx.Component:
    """The prompt, clamped to a few lines when long (issue 15, bug 5): the actions stay in view."""
    clamped = DETAIL.long_prompt & ~GalleryState.prompt_expanded
    return rx.vstack(
        rx.text(t("Prompt"), weight="bold", size="2"),
        rx.text(
            DETAIL.prompt,
            id="detail-prompt",
            size="2",
            style={
                "display": rx.cond(clamped, "-webkit-box", "block"),
                "WebkitLineClamp": rx.cond(clamped, "4", "none"),
                "WebkitBoxOrient": "vertical",
                "overflow": rx.cond(clamped, "hidden", "visible"),
            },
            white_space="pre-wrap",
            overflow_wrap="anywhere",
        ),
        rx.cond(
            DETAIL.long_prompt,
            rx.button(
                rx.cond(GalleryState.prompt_expanded, t("Show less"), t("Show more")),
                variant="ghost",
                size="1",
                type="button",
                aria_expanded=GalleryState.prompt_expanded,
                aria_controls="detail-prompt",
                on_click=GalleryState.toggle_prompt,
            ),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def _actions() -> rx.Component:
    return rx.hstack(
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
        flex_shrink="0",
    )


def image_detail() -> rx.Component:
    # The dialog never grows past the window: the picture shrinks to fit, the actions sit above the
    # details, and only the details scroll.
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title("Image details", margin="0"),
                rx.spacer(),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x", size=16), variant="ghost", color_scheme="gray", aria_label=t("Close"))
                ),
                align="center",
                width="100%",
                flex_shrink="0",
            ),
            rx.flex(
                rx.center(
                    rx.image(
                        src=rx.get_upload_url(DETAIL.image_path),
                        alt=f"Image, seed {DETAIL.seed}: {DETAIL.prompt}",
                        max_width="100%",
                        max_height=rx.breakpoints(initial="32vh", md="calc(100dvh - 140px)"),
                        object_fit="contain",
                        border_radius="var(--radius-3)",
                    ),
                    flex="1",
                    min_width="0",
                    min_height="0",
                ),
                rx.flex(
                    _actions(),
                    rx.vstack(
                        _prompt(),
                        rx.table.root(
                            rx.table.body(
                                rx.cond(DETAIL.negative_prompt != "", _row("Negative prompt", DETAIL.negative_prompt)),
                                _row("Model", DETAIL.model),
                                _row("Mode", DETAIL.mode),
                                _row("Size", DETAIL.size),
                                _row("Steps", DETAIL.steps),
                                _row("Guidance", DETAIL.guidance),
                                _row("Seed", DETAIL.seed),
                                _row("Created", DETAIL.created),
                                rx.cond(DETAIL.took != "", _row("Took", DETAIL.took)),
                            ),
                            size="1",
                            variant="surface",
                            width="100%",
                        ),
                        _lineage_strip("Made from", DETAIL.made_from),
                        _lineage_strip("Made into", DETAIL.made_into),
                        spacing="3",
                        width="100%",
                        overflow_y="auto",
                        min_height="0",
                        flex="1",
                        padding_right="2px",
                    ),
                    direction="column",
                    gap="3",
                    width=rx.breakpoints(initial="100%", md="360px"),
                    flex_shrink="0",
                    min_height="0",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                gap="4",
                flex="1",
                min_height="0",
            ),
            max_width="1200px",
            width=rx.breakpoints(initial="calc(100vw - 16px)", md="calc(100vw - 64px)"),
            max_height="calc(100dvh - 16px)",
            display="flex",
            flex_direction="column",
            gap="3",
            overflow="hidden",
            padding=rx.breakpoints(initial="3", md="4"),
        ),
        open=GalleryState.detail_open,
        on_open_change=GalleryState.set_detail_open,
    )
