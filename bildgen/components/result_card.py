import reflex as rx

from bildgen.components.download import download_link
from bildgen.components.i18n import t
from bildgen.state.lightbox import LightboxState
from bildgen.state.studio import CANCELLED, DONE, PENDING, StudioState, VariantCard


def _pending(card: VariantCard) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.spinner(size="3"),
            rx.text(f"Image {card.number}: {card.elapsed_s} s", size="2", color_scheme="gray"),
            align="center",
        ),
        aspect_ratio="1",
        width="100%",
        background_color=rx.color("gray", 3),
        border_radius="var(--radius-3)",
        role="status",
        aria_label=f"Image {card.number} is being generated",
    )


def _action(icon: str, label, tooltip, on_click) -> rx.Component:
    """A labelled icon button with a tooltip naming the action; reachable with Tab."""
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=14), size="2", variant="soft", type="button", on_click=on_click, aria_label=label
        ),
        content=tooltip,
    )


def result_actions(card: VariantCard, sequence) -> rx.Component:
    """Use as reference, Reuse seed, Reproduce, Download and View large for one result."""
    return rx.hstack(
        _action(
            "image-plus",
            t("Use image {number} as reference", number=card.number),
            t("Use as reference"),
            StudioState.use_as_reference(card.image_id),
        ),
        _action(
            "sprout",
            t("Reuse seed of image {number}", number=card.number),
            t("Reuse seed"),
            StudioState.reuse_seed(card.seed),
        ),
        _action(
            "rotate-ccw",
            t("Reproduce image {number}", number=card.number),
            t("Reproduce"),
            StudioState.reproduce(card.image_id),
        ),
        rx.tooltip(
            download_link(
                card.image_path, card.filename, size="2", aria_label=t("Download image {number}", number=card.number)
            ),
            content=t("Download the PNG with its recipe"),
        ),
        _action(
            "maximize-2",
            t("View image {number} large", number=card.number),
            t("View large"),
            LightboxState.open_image(card.image_id, sequence),
        ),
        spacing="2",
        wrap="wrap",
    )


def _done(card: VariantCard, sequence) -> rx.Component:
    return rx.vstack(
        rx.image(
            src=rx.get_upload_url(card.image_path),
            alt=t("Generated image {number}, seed {seed}", number=card.number, seed=card.seed),
            width="100%",
            height="auto",
            border_radius="var(--radius-3)",
            cursor="zoom-in",
            on_click=LightboxState.open_image(card.image_id, sequence),
        ),
        rx.text(
            t("Seed {seed} · {width}×{height}", seed=card.seed, width=card.width, height=card.height),
            size="1",
            color_scheme="gray",
        ),
        result_actions(card, sequence),
        width="100%",
        spacing="2",
    )


def _failed(card: VariantCard) -> rx.Component:
    return rx.callout(
        f"Image {card.number}: {card.error}",
        icon="triangle-alert",
        color_scheme="red",
        role="alert",
        width="100%",
    )


def _cancelled(card: VariantCard) -> rx.Component:
    return rx.callout(f"Image {card.number}: cancelled.", icon="circle-slash", color_scheme="gray", width="100%")


def result_card(card: VariantCard) -> rx.Component:
    sequence = StudioState.image_ids
    return rx.card(
        rx.match(
            card.status,
            (PENDING, _pending(card)),
            (DONE, _done(card, sequence)),
            (CANCELLED, _cancelled(card)),
            _failed(card),
        ),
        width="100%",
    )


def results_grid() -> rx.Component:
    return rx.vstack(
        rx.cond(
            StudioState.run_status != "",
            rx.callout(StudioState.run_status, icon="hourglass", color_scheme="gray", role="status", width="100%"),
        ),
        rx.cond(
            StudioState.run_error != "",
            rx.callout(StudioState.run_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
        rx.cond(
            StudioState.variants.length() > 0,
            rx.grid(
                rx.foreach(StudioState.variants, result_card),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            rx.center(
                rx.text("Your images appear here.", color_scheme="gray"),
                min_height="200px",
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
    )
