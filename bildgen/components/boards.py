"""The gallery's boards: the board picker (with counts), making a board, "New images go to", and for
the board shown its management and sharing, or whose it is when someone shared it."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.components.view_links import view_link_controls
from bildgen.state.boards import NO_BOARD, BoardCard, BoardsState, GroupShareCard, MemberCard
from bildgen.state.gallery import GalleryState
from bildgen.store.models import BoardVisibility

ALL_IMAGES = "__all__"
CURRENT = BoardsState.current


def zip_link(href, label) -> rx.Component:
    """A button-looking link to a streamed ZIP (the route sends it as an attachment)."""
    return rx.el.a(
        rx.icon("folder-down", size=14),
        label,
        href=rx.get_upload_url(href),
        custom_attrs={"reloadDocument": True},
        class_name="rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button",
    )


def board_picker() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("Filter by board"), placeholder=t("All images")),
        rx.select.content(
            rx.select.item(t("All images"), value=ALL_IMAGES),
            rx.foreach(BoardsState.boards, lambda board: rx.select.item(board.label, value=board.id)),
            rx.cond(
                BoardsState.archived_boards.length() > 0,
                rx.select.group(
                    rx.select.label(t("Archived")),
                    rx.foreach(BoardsState.archived_boards, lambda board: rx.select.item(board.label, value=board.id)),
                ),
            ),
        ),
        value=rx.cond(GalleryState.board_filter != "", GalleryState.board_filter, ALL_IMAGES),
        on_change=BoardsState.show_board,
    )


def _auto_add_item(board: BoardCard) -> rx.Component:
    return rx.cond(board.mine, rx.select.item(board.name, value=board.id))


def auto_add_picker() -> rx.Component:
    return rx.hstack(
        rx.text(t("New images go to:"), size="2", as_="span"),
        rx.select.root(
            rx.select.trigger(aria_label=t("New images go to")),
            rx.select.content(
                rx.select.item(t("No board"), value=NO_BOARD),
                rx.foreach(BoardsState.boards, _auto_add_item),
            ),
            value=BoardsState.auto_add_board,
            on_change=BoardsState.set_auto_add,
        ),
        align="center",
        spacing="2",
    )


def new_board() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                value=BoardsState.new_board_name,
                on_change=BoardsState.set_new_board_name,
                placeholder=t("New board name"),
                aria_label=t("New board name"),
                max_length=80,
            ),
            rx.button(rx.icon("folder-plus", size=14), t("Make board"), type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=lambda _form: BoardsState.create_board(),
        reset_on_submit=False,
    )


def _member(member: MemberCard) -> rx.Component:
    return rx.hstack(
        rx.text(member.username, size="2"),
        rx.badge(rx.cond(member.can_add, t("view + add"), t("view")), variant="soft"),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            aria_label=t("Stop sharing with {name}", name=member.username),
            on_click=BoardsState.unshare_board(member.username),
        ),
        align="center",
        spacing="2",
    )


def _group_share(share: GroupShareCard) -> rx.Component:
    return rx.hstack(
        rx.icon("users", size=14),
        rx.text(share.name, size="2"),
        rx.badge(rx.cond(share.can_add, t("view + add"), t("view")), variant="soft"),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            aria_label=t("Stop sharing with the group {name}", name=share.name),
            on_click=BoardsState.unshare_group(share.group_id),
        ),
        align="center",
        spacing="2",
    )


def _share_with_group() -> rx.Component:
    return rx.cond(
        BoardsState.group_options.length() > 0,
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder=t("A group"), aria_label=t("Group to share with")),
                rx.select.content(
                    rx.foreach(BoardsState.group_options, lambda group: rx.select.item(group.name, value=group.id))
                ),
                value=BoardsState.share_group,
                on_change=BoardsState.set_share_group,
            ),
            rx.button(t("Share with group"), variant="soft", on_click=BoardsState.share_with_group),
            wrap="wrap",
            spacing="2",
            align="center",
        ),
    )


def _sharing() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Sharing"), size="3", as_="h3"),
        rx.select.root(
            rx.select.trigger(aria_label=t("Who sees this board")),
            rx.select.content(
                rx.select.item(t("Only me"), value=BoardVisibility.PRIVATE),
                rx.select.item(t("People and groups I name"), value=BoardVisibility.SHARED),
                rx.select.item(t("Everyone signed in"), value=BoardVisibility.EVERYONE),
            ),
            value=CURRENT.visibility,
            on_change=BoardsState.set_visibility,
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    value=BoardsState.share_name,
                    on_change=BoardsState.set_share_name,
                    placeholder=t("Colleague's user name"),
                    aria_label=t("Colleague's user name"),
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(checked=BoardsState.share_can_add, on_change=BoardsState.set_share_can_add),
                        rx.text(t("May add images"), size="2"),
                        spacing="1",
                        align="center",
                    )
                ),
                rx.button(t("Share"), type="submit", variant="soft"),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            on_submit=lambda _form: BoardsState.share_board(),
            reset_on_submit=False,
        ),
        _share_with_group(),
        rx.foreach(BoardsState.members, _member),
        rx.foreach(BoardsState.group_shares, _group_share),
        spacing="2",
        width="100%",
    )


def _view_links() -> rx.Component:
    """Expiring view-only links for people without an account (only while the administrator allows them)."""
    return rx.cond(
        BoardsState.links_enabled,
        rx.vstack(
            rx.divider(),
            rx.heading(t("Link for people without an account"), size="3", as_="h3"),
            view_link_controls(
                BoardsState,
                t(
                    "Anyone with the link sees this board's images of yours, read-only, until it expires or you revoke it."
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _manage_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("settings-2", size=14), t("Manage board"), variant="soft")),
        rx.dialog.content(
            rx.dialog.title(t("Board “{name}”", name=CURRENT.name)),
            rx.vstack(
                rx.hstack(
                    rx.input(
                        value=BoardsState.rename_to,
                        on_change=BoardsState.set_rename_to,
                        aria_label=t("Board name"),
                        max_length=80,
                    ),
                    rx.button(t("Rename"), variant="soft", on_click=BoardsState.rename_board),
                    spacing="2",
                ),
                rx.hstack(
                    rx.cond(
                        CURRENT.archived,
                        rx.button(t("Unarchive"), variant="soft", on_click=BoardsState.archive_board(False)),
                        rx.button(t("Archive"), variant="soft", on_click=BoardsState.archive_board(True)),
                    ),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(rx.button(t("Delete board"), color_scheme="red", variant="soft")),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title(t("Delete this board?")),
                            rx.alert_dialog.description(
                                t("The board goes; its images stay in the gallery of whoever made them.")
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(rx.button(t("Keep it"), variant="soft", color_scheme="gray")),
                                rx.alert_dialog.action(
                                    rx.button(t("Delete board"), color_scheme="red", on_click=BoardsState.delete_board)
                                ),
                                justify="end",
                                spacing="3",
                                margin_top="16px",
                            ),
                        ),
                    ),
                    spacing="2",
                ),
                rx.divider(),
                _sharing(),
                _view_links(),
                rx.cond(BoardsState.message != "", rx.text(BoardsState.message, size="2", role="status")),
                rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray")),
                spacing="3",
                width="100%",
            ),
        ),
    )


def boards_bar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("folders", size=16),
            board_picker(),
            new_board(),
            auto_add_picker(),
            wrap="wrap",
            spacing="3",
            align="center",
        ),
        rx.cond(
            CURRENT.id != "",
            rx.hstack(
                rx.cond(
                    CURRENT.mine,
                    _manage_dialog(),
                    rx.badge(
                        rx.icon("users", size=14),
                        t("Shared by {name}", name=CURRENT.owner_name),
                        size="2",
                        variant="soft",
                    ),
                ),
                zip_link(BoardsState.board_zip_url, t("Download board as ZIP")),
                wrap="wrap",
                spacing="3",
                align="center",
            ),
        ),
        rx.cond(BoardsState.message != "", rx.callout(BoardsState.message, icon="info", role="status", size="1")),
        spacing="2",
        width="100%",
    )
