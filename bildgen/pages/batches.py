import reflex as rx

from bildgen import routes
from bildgen.components.batch_editor import batch_editor, recent_batches, theme_prompts
from bildgen.components.batch_progress import batch_actions, items_list, progress_panel, save_as_pack
from bildgen.components.comparison_grid import comparison_grid
from bildgen.components.header import page_header
from bildgen.components.i18n import t
from bildgen.state.batch_page import BatchPageState
from bildgen.state.comparison import ComparisonState


def _page(*content: rx.Component) -> rx.Component:
    return rx.container(
        rx.vstack(page_header(), *content, spacing="4", width="100%"),
        size="4",
        # As wide as the studio's: the new batch's table has eleven columns.
        style={"--container-4": "1680px"},
        padding_y="5",
    )


def batches_page() -> rx.Component:
    return _page(
        rx.heading(t("Batches"), size="5", as_="h1"),
        rx.text(
            t(
                "Many prompts at once: each becomes a generation in your gallery. Batches go on when you close the"
                " browser."
            ),
            size="2",
        ),
        batch_editor(theme_prompts()),
        recent_batches(),
    )


def batch_page() -> rx.Component:
    return _page(
        rx.link("← ", t("All batches"), href=routes.BATCHES, size="2"),
        rx.cond(
            BatchPageState.found,
            rx.vstack(
                rx.heading(BatchPageState.name, size="5", as_="h1", style={"overflowWrap": "anywhere"}),
                rx.cond(
                    BatchPageState.model_label != "",
                    rx.text(t("Model: {model}", model=BatchPageState.model_label), size="2", color_scheme="gray"),
                ),
                progress_panel(),
                batch_actions(),
                rx.cond(
                    BatchPageState.message != "",
                    rx.callout(BatchPageState.message, icon="info", role="status", size="1", width="100%"),
                ),
                items_list(),
                save_as_pack(),
                spacing="4",
                width="100%",
            ),
            rx.callout(
                t("This batch does not exist (any more)."), icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
    )


def comparison_page() -> rx.Component:
    return _page(
        rx.link("← ", t("This batch"), href=ComparisonState.batch_link, size="2"),
        rx.heading(t("Comparison"), size="5", as_="h1"),
        rx.cond(
            ComparisonState.found,
            comparison_grid(),
            rx.callout(
                t("This batch does not exist (any more)."), icon="triangle-alert", color_scheme="red", role="alert"
            ),
        ),
    )
