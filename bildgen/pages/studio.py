import reflex as rx

from bildgen.components.compare import compare
from bildgen.components.header import page_header
from bildgen.components.i18n import t
from bildgen.components.lightbox import lightbox, lightbox_notice
from bildgen.components.prompt_form import generate_bar, prompt_form
from bildgen.components.prompt_help import context_elements_panel
from bildgen.components.result_card import run_feed
from bildgen.components.server_badge import server_badge
from bildgen.state.outages import RECONNECTING
from bildgen.state.studio import StudioState


def studio_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            page_header(server_badge()),
            rx.cond(
                StudioState.paused_message != "",
                rx.callout(
                    StudioState.paused_message, icon="circle-pause", color_scheme="red", role="alert", width="100%"
                ),
            ),
            rx.cond(
                StudioState.server_problem != "",
                rx.callout(StudioState.server_problem, icon="triangle-alert", color_scheme="amber", width="100%"),
            ),
            rx.cond(
                StudioState.reconnecting,
                rx.callout(t(RECONNECTING), icon="refresh-cw", color_scheme="amber", role="status", width="100%"),
            ),
            lightbox_notice(),
            rx.flex(
                rx.box(
                    rx.vstack(prompt_form(), context_elements_panel(), spacing="3", width="100%"),
                    width=rx.breakpoints(initial="100%", md="360px"),
                    flex_shrink="0",
                    # On a wide screen the form stays in view while the feed scrolls; a form taller
                    # than the screen scrolls on its own, with Generate stuck to its bottom.
                    position=rx.breakpoints(initial="static", md="sticky"),
                    top="16px",
                    align_self="start",
                    # Short enough to end above the screen's bottom edge below the header, too.
                    max_height=rx.breakpoints(initial="none", md="calc(100vh - 140px)"),
                    overflow_y=rx.breakpoints(initial="visible", md="auto"),
                ),
                rx.box(rx.el.section(run_feed(), aria_label=t("Results")), flex_grow="1", width="100%"),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="5",
                width="100%",
            ),
            lightbox(),
            compare(),
            generate_bar(),
            spacing="4",
            width="100%",
        ),
        size="4",
        # Wider than Radix's 1136 px for size 4: the images get the room a wide screen has.
        style={"--container-4": "1680px"},
        padding_top="var(--space-5)",
        # Room below the feed for the phone's Generate bar (components/prompt_form.py).
        padding_bottom=rx.breakpoints(initial="96px", md="var(--space-5)"),
    )
