"""The lightbox: an image large (fit or 1:1), ←/→ through its run or the gallery, its recipe and
every action. It never grows past the window: the picture fits, the actions sit above the details,
and only the details scroll. Keys (assets/studio.js): ←/→ press the arrow buttons, Z the 1:1 switch."""

import reflex as rx

from bildgen.components.download import download_link
from bildgen.components.expand_actions import expand_lightbox_action
from bildgen.components.i18n import t
from bildgen.components.upscale_actions import upscale_lightbox_actions
from bildgen.components.view_links import image_link_dialog
from bildgen.state.boards import BoardCard, BoardsState
from bildgen.state.lightbox import LightboxState, LineageCard

LB = LightboxState
DETAIL = LightboxState.detail


def _row(label, value) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(label), rx.table.cell(value))


def _lineage_strip(title, cards) -> rx.Component:
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
            on_click=LB.open_image(card.id, [card.id]),
            aria_label=title + ": " + card.label,
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
        rx.alert_dialog.trigger(
            rx.button(rx.icon("trash-2", size=14), t("Delete"), color_scheme="red", variant="soft", type="button")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Delete this image?")),
            rx.alert_dialog.description(
                t("The image and its file are removed for good. Its recipe stays in any PNG you downloaded.")
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Keep it"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("Delete image"), color_scheme="red", on_click=LB.delete)),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
    )


def _prompt() -> rx.Component:
    """The prompt, clamped to four lines when long (issue 15, bug 5)."""
    clamped = DETAIL.long_prompt & ~LB.prompt_expanded
    return rx.vstack(
        rx.text(t("Prompt"), weight="bold", size="2"),
        rx.text(
            DETAIL.prompt,
            id="lightbox-prompt",
            size="2",
            white_space="pre-wrap",
            overflow_wrap="anywhere",
            style={
                "display": rx.cond(clamped, "-webkit-box", "block"),
                "WebkitLineClamp": rx.cond(clamped, "4", "none"),
                "WebkitBoxOrient": "vertical",
                "overflow": rx.cond(clamped, "hidden", "visible"),
            },
        ),
        rx.cond(
            DETAIL.long_prompt,
            rx.button(
                rx.cond(LB.prompt_expanded, t("Show less"), t("Show more")),
                variant="ghost",
                size="1",
                type="button",
                aria_expanded=LB.prompt_expanded,
                aria_controls="lightbox-prompt",
                on_click=LB.toggle_prompt,
            ),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def _actions() -> rx.Component:
    return rx.hstack(
        download_link(DETAIL.image_path, DETAIL.filename, size="2"),
        rx.cond(
            LB.plain_download,
            rx.el.a(
                t("Download without metadata"),
                href=rx.get_upload_url(DETAIL.image_path) + "?download=plain",
                download=DETAIL.filename,
                custom_attrs={"reloadDocument": True},
                class_name="rt-reset rt-BaseButton rt-r-size-2 rt-variant-ghost rt-Button",
            ),
        ),
        rx.button(rx.icon("image-plus", size=14), t("Use as reference"), variant="soft", on_click=LB.use_as_reference),
        rx.cond(
            DETAIL.seed != "",
            rx.button(rx.icon("sprout", size=14), t("Reuse seed"), variant="soft", on_click=LB.reuse_seed),
        ),
        rx.button(rx.icon("rotate-ccw", size=14), t("Reproduce"), variant="soft", on_click=LB.reproduce),
        *upscale_lightbox_actions(),
        expand_lightbox_action(),
        rx.cond(
            LB.in_gallery & (LB.shared_by == ""),
            rx.fragment(
                rx.button(
                    rx.icon("star", size=14, fill=rx.cond(DETAIL.favourite, "currentColor", "none")),
                    t("Favourite"),
                    variant=rx.cond(DETAIL.favourite, "solid", "soft"),
                    color_scheme="amber",
                    aria_pressed=DETAIL.favourite,
                    on_click=LB.toggle_favourite,
                ),
                _delete_button(),
                rx.cond(BoardsState.links_enabled, image_link_dialog()),
            ),
        ),
        wrap="wrap",
        spacing="2",
        flex_shrink="0",
    )


def _image_boards() -> rx.Component:
    """The boards the image shown is in, changed here (the gallery's own images only)."""

    def board(card: BoardCard) -> rx.Component:
        return rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=LB.image_boards.contains(card.id),
                    on_change=lambda checked: LB.toggle_image_board(card.id, checked),
                ),
                rx.text(card.label, size="1"),
                spacing="1",
                align="center",
            )
        )

    return rx.cond(
        LB.in_gallery & (LB.shared_by == "") & (BoardsState.addable_boards.length() > 0),
        rx.el.fieldset(
            rx.el.legend(rx.text(t("Boards"), size="1", weight="bold")),
            rx.hstack(rx.foreach(BoardsState.addable_boards, board), wrap="wrap", spacing="3"),
            style={"border": "none", "padding": "0", "margin": "0"},
        ),
    )


def _details() -> rx.Component:
    return rx.vstack(
        rx.cond(
            LB.shared_by != "",
            rx.callout(
                t(
                    "Shared by {name}: read-only. Reproduce or use it as a reference: a copy goes to your own studio.",
                    name=LB.shared_by,
                ),
                icon="users",
                size="1",
            ),
        ),
        _prompt(),
        _image_boards(),
        rx.table.root(
            rx.table.body(
                rx.cond(DETAIL.negative_prompt != "", _row(t("Negative prompt"), DETAIL.negative_prompt)),
                _row(t("Model"), DETAIL.model),
                rx.cond(DETAIL.served_as != "", _row(t("Served as"), DETAIL.served_as)),
                rx.cond(DETAIL.options != "", _row(t("Options"), DETAIL.options)),
                _row(t("Mode"), DETAIL.mode),
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
                _row(t("Size"), DETAIL.size),
                rx.cond(DETAIL.steps != "", _row(t("Steps"), DETAIL.steps)),
                rx.cond(DETAIL.guidance != "", _row(DETAIL.guidance_label, DETAIL.guidance)),
                rx.cond(DETAIL.seed != "", _row(t("Seed"), DETAIL.seed)),
                _row(t("Created"), DETAIL.created),
                rx.cond(DETAIL.took != "", _row(t("Took"), DETAIL.took)),
                _row(t("Content Credentials"), DETAIL.credentials),
                rx.foreach(DETAIL.reference_credentials, lambda line: _row(t("Reference's Content Credentials"), line)),
            ),
            size="1",
            variant="surface",
            width="100%",
        ),
        # Prompt help's part of the recipe: the prompt before Improve, context elements.
        rx.foreach(DETAIL.recipe_notes, lambda note: rx.text(note, size="1", color_scheme="gray")),
        rx.cond(
            DETAIL.batch_id != "",
            rx.link(t("Made in a batch: open it"), href="/batches/" + DETAIL.batch_id, size="1"),
        ),
        _lineage_strip(t("Made from"), DETAIL.made_from),
        _lineage_strip(t("Made into"), DETAIL.made_into),
        spacing="3",
        width="100%",
        overflow_y="auto",
        min_height="0",
        flex="1",
        padding_right="2px",
        # It scrolls when the recipe is long: a keyboard must be able to scroll it too.
        tab_index=0,
        role="region",
        aria_label=t("Recipe and details"),
    )


def _step_button(delta: int, icon: str, label, enabled, side: str) -> rx.Component:
    return rx.icon_button(
        rx.icon(icon, size=20),
        on_click=LB.step(delta),
        disabled=~enabled,
        aria_label=label,
        title=label,
        variant="soft",
        color_scheme="gray",
        radius="full",
        size="3",
        position="absolute",
        top="50%",
        transform="translateY(-50%)",
        custom_attrs={"data-lightbox-step": str(delta)},
        style={side: "8px", "opacity": rx.cond(enabled, "0.9", "0")},
    )


def _stage() -> rx.Component:
    """The picture: fitted into the space left, or at 1:1 in a box that scrolls."""
    fit = ~LB.actual_size
    picture = rx.image(
        src=rx.get_upload_url(DETAIL.image_path),
        alt=rx.cond(
            DETAIL.seed != "",
            t("Image, seed {seed}: {prompt}", seed=DETAIL.seed, prompt=DETAIL.prompt),
            t("Image: {prompt}", prompt=DETAIL.prompt),
        ),
        style={
            "display": "block",
            "margin": "auto",
            "position": rx.cond(fit, "absolute", "static"),
            "inset": "0",
            "maxWidth": rx.cond(fit, "100%", "none"),
            "maxHeight": rx.cond(fit, "100%", "none"),
            "objectFit": "contain",
        },
    )
    return rx.box(
        rx.box(
            picture,
            position="absolute",
            inset="0",
            overflow=rx.cond(LB.actual_size, "auto", "hidden"),
            display=rx.cond(LB.actual_size, "grid", "block"),
            place_items="safe center",
        ),
        rx.cond(
            LB.sequence.length() > 1, _step_button(-1, "chevron-left", t("Previous image"), LB.has_previous, "left")
        ),
        rx.cond(LB.sequence.length() > 1, _step_button(1, "chevron-right", t("Next image"), LB.has_next, "right")),
        position="relative",
        flex="1",
        min_width="0",
        min_height=rx.breakpoints(initial="38dvh", md="0"),
        background_color=rx.color("gray", 2),
        border_radius="var(--radius-3)",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.dialog.title(t("Image details"), size="4", margin="0"),
        rx.text(LB.position_label, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.icon_button(
            rx.cond(LB.actual_size, rx.icon("shrink", size=16), rx.icon("expand", size=16)),
            on_click=LB.toggle_actual_size,
            aria_label=t("Actual size (1:1)"),
            aria_pressed=LB.actual_size,
            title=t("Fit to window or actual size (Z)"),
            variant=rx.cond(LB.actual_size, "solid", "soft"),
            color_scheme="gray",
            custom_attrs={"data-lightbox-zoom": "true"},
        ),
        rx.dialog.close(
            rx.icon_button(rx.icon("x", size=16), variant="soft", color_scheme="gray", aria_label=t("Close"))
        ),
        align="center",
        width="100%",
        flex_shrink="0",
        spacing="3",
    )


def lightbox() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            _toolbar(),
            rx.flex(
                _stage(),
                rx.flex(
                    _actions(),
                    rx.cond(
                        LB.message != "",
                        rx.callout(LB.message, icon="triangle-alert", color_scheme="red", role="alert", size="1"),
                    ),
                    _details(),
                    direction="column",
                    gap="3",
                    width=rx.breakpoints(initial="100%", md="360px"),
                    flex_shrink=rx.breakpoints(initial="1", md="0"),
                    min_height="0",
                ),
                direction=rx.breakpoints(initial="column", md="row"),
                gap="4",
                flex="1",
                min_height="0",
            ),
            custom_attrs={"data-lightbox": "true"},
            max_width="1600px",
            width=rx.breakpoints(initial="calc(100vw - 16px)", md="calc(100vw - 48px)"),
            # The dialog's own frame keeps 32 px above and below.
            height="calc(100dvh - 64px)",
            max_height="calc(100dvh - 64px)",
            display="flex",
            flex_direction="column",
            gap="3",
            overflow="hidden",
            padding=rx.breakpoints(initial="3", md="4"),
        ),
        open=LB.is_open,
        on_open_change=LB.set_open,
    )


def lightbox_notice() -> rx.Component:
    """Why an image could not be opened (gone since the page loaded)."""
    return rx.cond(
        ~LB.is_open & (LB.message != ""),
        rx.callout(LB.message, icon="info", role="status", size="1", width="100%"),
    )
