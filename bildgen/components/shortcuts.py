"""The "?" overlay: every keyboard shortcut of the studio and the lightbox (assets/studio.js does the keys)."""

import reflex as rx

from bildgen.components.i18n import t

SHORTCUTS_BUTTON = "shortcuts-button"


def _keys(*keys: str) -> rx.Component:
    return rx.hstack(*[rx.text.kbd(key, size="2") for key in keys], spacing="1", wrap="wrap")


def shortcuts_button() -> rx.Component:
    rows = [
        (_keys("Ctrl", "Enter"), t("Generate (in the prompt; ⌘+Enter on a Mac)")),
        (_keys("←", "→"), t("Previous or next image in the large view")),
        (_keys("Z"), t("Large view: fit to the window or actual size (1:1)")),
        (_keys("Esc"), t("Close the large view or this list")),
        (_keys("?"), t("Show this list")),
    ]
    return rx.dialog.root(
        rx.tooltip(
            rx.dialog.trigger(
                rx.icon_button(
                    rx.icon("keyboard", size=16),
                    id=SHORTCUTS_BUTTON,
                    variant="ghost",
                    color_scheme="gray",
                    aria_label=t("Keyboard shortcuts"),
                )
            ),
            content=t("Keyboard shortcuts (?)"),
        ),
        rx.dialog.content(
            rx.dialog.title(t("Keyboard shortcuts")),
            rx.table.root(
                rx.table.body(
                    *[rx.table.row(rx.table.row_header_cell(keys), rx.table.cell(meaning)) for keys, meaning in rows]
                ),
                variant="surface",
                size="1",
            ),
            rx.hstack(
                rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="12px",
            ),
            max_width="480px",
        ),
    )
