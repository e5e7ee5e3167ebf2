import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.studio import StudioState


def demo_badge() -> rx.Component:
    return rx.badge(
        rx.icon("flask-conical", size=14),
        t("Demo renderer — no AI model connected"),
        color_scheme="amber",
        size="2",
        variant="solid",
        role="status",
    )


def server_badge() -> rx.Component:
    """Which model answers, and a warning that cannot be missed when it is the demo renderer."""
    return rx.hstack(
        rx.cond(
            StudioState.demo_in_use,
            demo_badge(),
            rx.cond(StudioState.serving_label != "", rx.badge(StudioState.serving_label, size="2", variant="soft")),
        ),
        spacing="2",
        align="center",
    )
