import reflex as rx

from bildgen import routes
from bildgen.components.i18n import t
from bildgen.components.image_actions import HOVER_STYLE, image_actions, run_name
from bildgen.state.lightbox import LightboxState
from bildgen.state.run_cards import CANCELLED, DONE, MODERATED, PENDING, WAITING, RunCard, VariantCard
from bildgen.state.studio import StudioState


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
                max_width="80%",
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


def _waiting(card: VariantCard) -> rx.Component:
    """A placeholder per variant while its run waits its turn: no clock, nothing is being made yet."""
    return rx.center(
        rx.vstack(
            rx.icon("hourglass", size=24, color=rx.color("gray", 9)),
            rx.text(t("Image {number}: waiting for its turn", number=card.number), size="2"),
            align="center",
            spacing="2",
        ),
        aspect_ratio="1",
        width="100%",
        background_color=rx.color("gray", 2),
        border="1px dashed var(--gray-a6)",
        border_radius="var(--radius-3)",
        role="status",
        aria_label=t("Image {number} is waiting", number=card.number),
    )


def _pending(card: VariantCard) -> rx.Component:
    """A placeholder per variant: elapsed seconds, and the service's state, progress and preview where it says."""
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
                    max_width="80%",
                    object_fit="contain",
                    border_radius="var(--radius-2)",
                ),
                rx.spinner(size="3"),
            ),
            rx.text(t("Image {number}: {seconds} s", number=card.number, seconds=card.elapsed_s), size="2"),
            _phase(card),
            _progress(card),
            align="center",
            width="100%",
            spacing="2",
        ),
        aspect_ratio="1",
        width="100%",
        background_color=rx.color("gray", 3),
        border_radius="var(--radius-3)",
        role="status",
        aria_label=t("Image {number} is being generated", number=card.number),
    )


def _done(card: VariantCard, sequence, run) -> rx.Component:
    """The image as large as its run's grid allows, its actions over it (components/image_actions.py)."""
    return rx.vstack(
        rx.box(
            rx.image(
                src=rx.get_upload_url(card.image_path),
                alt=rx.cond(
                    card.seed_sent,
                    t("Generated image {number}, seed {seed}", number=card.number, seed=card.seed),
                    t("Generated image {number}", number=card.number),
                ),
                width="100%",
                height="auto",
                # One image is shown big, yet whole on the screen.
                max_height="calc(100vh - 160px)",
                object_fit="contain",
                border_radius="var(--radius-3)",
                cursor="zoom-in",
                on_click=LightboxState.open_image(card.image_id, sequence),
                display="block",
            ),
            image_actions(card, sequence, run),
            position="relative",
            width="100%",
            style=HOVER_STYLE,
        ),
        rx.cond(card.seed_sent, rx.text(t("Seed {seed}", seed=card.seed), size="1", color_scheme="gray")),
        width="100%",
        spacing="1",
    )


def _failed(card: VariantCard) -> rx.Component:
    return rx.callout(
        t("Image {number}: {error}", number=card.number, error=card.error),
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
    return rx.callout(
        t("Image {number}: cancelled.", number=card.number), icon="circle-slash", color_scheme="gray", width="100%"
    )


def variant_card(card: VariantCard, sequence, run) -> rx.Component:
    return rx.match(
        card.status,
        (PENDING, rx.cond(card.phase == WAITING, _waiting(card), _pending(card))),
        (DONE, _done(card, sequence, run)),
        (CANCELLED, _cancelled(card)),
        (MODERATED, _moderated(card)),
        _failed(card),
    )


def _input_thumb(src, alt) -> rx.Component:
    return rx.image(
        src=rx.get_upload_url(src),
        alt=alt,
        title=alt,
        width="40px",
        height="40px",
        object_fit="cover",
        border_radius="var(--radius-2)",
        border="1px solid var(--gray-a6)",
        background_color=rx.color("gray", 3),
    )


def _inputs(run: RunCard) -> rx.Component:
    """What an edit started from: its reference images and its mask, small beside the prompt."""
    return rx.hstack(
        rx.foreach(
            run.reference_paths,
            lambda path, index: _input_thumb(path, t("Reference image {number} of this run", number=index + 1)),
        ),
        rx.cond(run.mask_path != "", _input_thumb(run.mask_path, t("Mask of this run"))),
        spacing="1",
        flex_shrink="0",
    )


def run_card(run: RunCard) -> rx.Component:
    """One run of the feed: its prompt, model and parameters, Cancel while it runs, and its variants."""
    return rx.el.article(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        rx.text(
                            run.prompt,
                            size="2",
                            weight="medium",
                            title=run.prompt,
                            style={
                                "display": "-webkit-box",
                                "WebkitLineClamp": "2",
                                "WebkitBoxOrient": "vertical",
                                "overflow": "hidden",
                                "overflowWrap": "anywhere",
                            },
                        ),
                        rx.text(
                            run.model
                            + " · "
                            + run.parameters
                            + rx.cond(run.seeds != "", " · " + run.seeds, "")
                            + " · "
                            + run.created,
                            size="1",
                            color_scheme="gray",
                        ),
                        spacing="1",
                        flex="1",
                        min_width="0",
                    ),
                    _inputs(run),
                    rx.cond(
                        run.active & ~run.cancel_requested,
                        rx.button(
                            rx.icon("square", size=12),
                            t("Cancel"),
                            type="button",
                            on_click=StudioState.cancel(run.id),
                            color_scheme="red",
                            variant="soft",
                            size="1",
                        ),
                    ),
                    rx.cond(
                        run.can_retry,
                        rx.button(
                            rx.icon("rotate-ccw", size=12),
                            t("Retry"),
                            type="button",
                            on_click=StudioState.retry(run.id),
                            title=t("Make the images that failed again, with the same settings and seeds"),
                            variant="soft",
                            size="1",
                        ),
                    ),
                    width="100%",
                    align="start",
                    spacing="3",
                ),
                rx.cond(
                    run.notice != "",
                    rx.callout(
                        run.notice, icon="hourglass", color_scheme="gray", role="status", size="1", width="100%"
                    ),
                ),
                rx.cond(
                    run.error != "",
                    rx.callout(
                        run.error, icon="triangle-alert", color_scheme="red", role="alert", size="1", width="100%"
                    ),
                    rx.grid(
                        rx.foreach(run.variants, lambda card: variant_card(card, run.image_ids, run_name(run.prompt))),
                        # As many columns as images, up to four on a desktop (a run of four fills the
                        # width, one image is shown big); one large image per row on a phone.
                        columns=rx.breakpoints(
                            initial="1",
                            xs=rx.cond(run.variants.length() > 1, "2", "1"),
                            lg=rx.match(run.variants.length(), (1, "1"), (2, "2"), (3, "3"), "4"),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        id="run-" + run.id,
        # Keyed by the run, not its place: a new run on top then adds one card instead of rewriting
        # every card below it (each image's src, label and buttons) in the browser.
        key=run.id,
        aria_label=t("Run: {prompt}", prompt=run.prompt),
        style={"width": "100%", "scrollMarginTop": "16px"},
    )


def _empty_feed() -> rx.Component:
    """Before the first run: what to do, not only where the images will be."""
    return rx.center(
        rx.vstack(
            rx.icon("image", size=32, color=rx.color("gray", 8)),
            rx.heading(t("Your images appear here"), size="4", as_="h2"),
            rx.text(
                t(
                    "Describe an image in the prompt and press Generate (or Ctrl+Enter in the prompt). Each run "
                    "shows up here, newest on top, with each image's actions on it."
                ),
                color_scheme="gray",
                size="2",
                text_align="center",
                max_width="46ch",
            ),
            align="center",
            spacing="2",
        ),
        min_height="240px",
        width="100%",
        border="1px dashed var(--gray-a6)",
        border_radius="var(--radius-4)",
        padding="var(--space-5)",
    )


def run_feed() -> rx.Component:
    """Every Generate adds a run on top; earlier runs load from the database as the feed is scrolled."""
    return rx.vstack(
        rx.cond(
            StudioState.run_error != "",
            rx.callout(StudioState.run_error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
        rx.cond(
            StudioState.runs.length() > 0,
            rx.foreach(StudioState.runs, run_card),
            _empty_feed(),
        ),
        rx.cond(
            StudioState.runs_capped,
            rx.center(
                rx.link(t("Earlier runs are in the gallery"), href=routes.GALLERY, size="2"),
                width="100%",
            ),
            rx.cond(
                StudioState.runs_cursor != "",
                rx.center(
                    # assets/studio.js presses this when it scrolls into view: the feed pages on.
                    rx.button(
                        t("Load earlier runs"), id="runs-more", variant="soft", on_click=StudioState.load_older_runs
                    ),
                    width="100%",
                ),
            ),
        ),
        width="100%",
        spacing="4",
    )
