import reflex as rx

from bildgen.components.download import download_link
from bildgen.components.i18n import t
from bildgen.state.studio import CANCELLED, DONE, MODERATED, PENDING, StudioState, VariantCard


def _phase(card: VariantCard) -> rx.Component:
    """Where the image service says this image is (jobs/tasks.py), where it says anything."""
    return rx.match(
        card.phase,
        ("submitted", rx.text(t("Sent to the image service"), size="2")),
        ("queued", rx.text(t("Queued at the image service"), size="2")),
        ("running", rx.text(t("Being generated"), size="2")),
        rx.fragment(),
    )


def _progress(card: VariantCard) -> rx.Component:
    """A bar and the time left where the service reports them (AUTOMATIC1111, BFL)."""
    return rx.cond(
        card.progress >= 0,
        rx.vstack(
            rx.progress(
                value=card.progress,
                max=100,
                width="160px",
                aria_label=t("Image {number}: progress", number=card.number),
            ),
            rx.text(
                rx.cond(
                    card.eta_s >= 0,
                    t("{percent} % · about {seconds} s left", percent=card.progress, seconds=card.eta_s),
                    t("{percent} %", percent=card.progress),
                ),
                size="1",
                color_scheme="gray",
            ),
            align="center",
            spacing="1",
        ),
    )


def _pending(card: VariantCard) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.cond(
                card.preview_path != "",
                rx.image(
                    src=rx.get_upload_url(card.preview_path),
                    alt=t("Image {number}: preview while it is made", number=card.number),
                    # A fixed box: each new preview replaces the last without the card jumping.
                    width="160px",
                    height="160px",
                    object_fit="contain",
                    border_radius="var(--radius-2)",
                ),
                rx.spinner(size="3"),
            ),
            rx.text(f"Image {card.number}: {card.elapsed_s} s", size="2", color_scheme="gray"),
            _phase(card),
            _progress(card),
            align="center",
        ),
        aspect_ratio="1",
        width="100%",
        background_color=rx.color("gray", 3),
        border_radius="var(--radius-3)",
        role="status",
        aria_label=f"Image {card.number} is being generated",
    )


def _done(card: VariantCard) -> rx.Component:
    return rx.vstack(
        rx.image(
            src=rx.get_upload_url(card.image_path),
            alt=f"Generated image {card.number}, seed {card.seed}",
            width="100%",
            height="auto",
            border_radius="var(--radius-3)",
        ),
        rx.hstack(
            rx.text(f"Seed {card.seed} · {card.width}×{card.height}", size="1", color_scheme="gray"),
            rx.spacer(),
            rx.icon_button(
                rx.icon("image-plus", size=14),
                size="1",
                variant="soft",
                type="button",
                on_click=StudioState.use_as_reference(card.image_id),
                aria_label=f"Use image {card.number} as reference",
                title="Use as reference",
            ),
            rx.icon_button(
                rx.icon("sprout", size=14),
                size="1",
                variant="soft",
                type="button",
                on_click=StudioState.reuse_seed(card.seed),
                aria_label=f"Reuse seed of image {card.number}",
                title="Reuse seed",
            ),
            download_link(card.image_path, card.filename, aria_label=f"Download image {card.number}"),
            width="100%",
            align="center",
            spacing="2",
            wrap="wrap",
        ),
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


def _moderated(card: VariantCard) -> rx.Component:
    """Declined by the service's moderation: a decision about the content, not a fault; nothing was saved."""
    return rx.callout(
        rx.text(rx.text.strong(t("Image {number}: declined by moderation.", number=card.number)), " ", card.error),
        icon="shield-alert",
        color_scheme="amber",
        role="status",
        width="100%",
    )


def _cancelled(card: VariantCard) -> rx.Component:
    return rx.callout(f"Image {card.number}: cancelled.", icon="circle-slash", color_scheme="gray", width="100%")


def result_card(card: VariantCard) -> rx.Component:
    return rx.card(
        rx.match(
            card.status,
            (PENDING, _pending(card)),
            (DONE, _done(card)),
            (CANCELLED, _cancelled(card)),
            (MODERATED, _moderated(card)),
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
