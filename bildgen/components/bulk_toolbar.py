"""The gallery's selection: a checkbox on each tile (Shift-click for a range), and the bulk actions
on what is selected (add or move to a board, favourite, download as ZIP, delete)."""

import reflex as rx

from bildgen.components.boards import zip_link
from bildgen.components.i18n import t, tn
from bildgen.state.boards import BoardCard, BoardsState
from bildgen.state.gallery import GalleryCard, GalleryState

SELECT_CLASS = "select-toggle"
# Styled once by the grid that holds the toggles (one per tile), not per toggle.
SELECT_STYLE = {
    f"& .{SELECT_CLASS}": {
        "display": "flex",
        "padding": "4px",
        "border": "none",
        "border_radius": "var(--radius-2)",
        "background": "var(--color-panel-solid)",
        "color": "var(--gray-11)",
        "cursor": "pointer",
    },
    f"& .{SELECT_CLASS}[aria-checked=true]": {"color": "var(--accent-11)"},
}


def select_toggle(card: GalleryCard, class_name: str = "") -> rx.Component:
    selected = BoardsState.all_matching | BoardsState.selected.contains(card.id)
    return rx.el.button(
        rx.icon(rx.cond(selected, "square-check", "square"), size=18),
        type="button",
        role="checkbox",
        aria_checked=selected,
        aria_label=rx.cond(
            card.seed_sent,
            t("Select: {prompt}, seed {seed}", prompt=card.prompt, seed=card.seed),
            t("Select: {prompt}", prompt=card.prompt),
        ),
        title=t("Select (Shift-click: a range)"),
        on_click=BoardsState.toggle_select(card.id),
        class_name=f"{SELECT_CLASS} {class_name}".strip(),
    )


def _board_menu(label, icon: str, action) -> rx.Component:
    def item(board: BoardCard) -> rx.Component:
        return rx.menu.item(board.label, on_click=action(board.id))

    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon(icon, size=14), label, variant="soft")),
        rx.menu.content(rx.foreach(BoardsState.addable_boards, item)),
    )


def _delete_selection() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("trash-2", size=14), t("Delete"), color_scheme="red", variant="soft")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tn("Delete {count} image?", "Delete {count} images?", BoardsState.selection_size)),
            rx.alert_dialog.description(
                t("The images and their files are removed for good. Someone else's images in the selection stay.")
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Keep them"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        tn("Delete {count} image", "Delete {count} images", BoardsState.selection_size),
                        color_scheme="red",
                        on_click=BoardsState.delete_selection,
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=BoardsState.confirm_delete_open,
        on_open_change=BoardsState.set_confirm_delete_open,
    )


def bulk_toolbar() -> rx.Component:
    return rx.cond(
        GalleryState.cards.length() > 0,
        rx.hstack(
            rx.cond(
                BoardsState.selection_size > 0,
                rx.fragment(
                    rx.text(t("{count} selected", count=BoardsState.selection_size), size="2", role="status"),
                    _board_menu(t("Add to board"), "folder-plus", BoardsState.add_selection_to_board),
                    _board_menu(t("Move to board"), "folder-input", BoardsState.move_selection_to_board),
                    rx.button(
                        rx.icon("star", size=14),
                        t("Favourite"),
                        variant="soft",
                        on_click=BoardsState.favourite_selection,
                    ),
                    rx.cond(
                        BoardsState.selection_zip_url != "",
                        zip_link(BoardsState.selection_zip_url, t("Download as ZIP")),
                    ),
                    _delete_selection(),
                    rx.button(t("Clear selection"), variant="ghost", on_click=BoardsState.clear_selection),
                ),
                rx.text(t("Select images to act on several at once."), size="2", color_scheme="gray"),
            ),
            rx.button(t("Select all matching"), variant="ghost", on_click=BoardsState.select_all_matching),
            wrap="wrap",
            spacing="2",
            align="center",
            width="100%",
        ),
    )
