import reflex as rx

from bildgen.components.header import page_header
from bildgen.components.prompt_form import prompt_form
from bildgen.components.prompt_help import context_elements_panel
from bildgen.components.result_card import results_grid
from bildgen.components.server_badge import server_badge
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
            rx.flex(
                rx.box(
                    rx.vstack(prompt_form(), context_elements_panel(), spacing="3", width="100%"),
                    width=rx.breakpoints(initial="100%", md="360px"),
                    flex_shrink="0",
                ),
                rx.box(rx.el.section(results_grid(), aria_label="Results"), flex_grow="1", width="100%"),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="5",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )
