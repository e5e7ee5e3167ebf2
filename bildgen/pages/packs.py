import reflex as rx

from bildgen.components.header import page_header
from bildgen.components.i18n import t
from bildgen.components.packs import import_pack, pack_list
from bildgen.state.packs import PacksState


def packs_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            page_header(),
            rx.heading(t("Inference packs"), size="5", as_="h1"),
            rx.text(
                t(
                    "Saved sets of prompts and settings. Run one on any model, with extra prompts if you like: every "
                    "run uses the same seeds, so its comparison grid shows the models side by side."
                ),
                size="2",
            ),
            import_pack(),
            rx.cond(PacksState.message != "", rx.callout(PacksState.message, icon="info", role="status", size="1")),
            pack_list(),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )
