"""Making, listing and revoking expiring view-only links: the same controls for a board (Manage board)
and for one image (the lightbox). `state` is BoardsState or ImageLinkState: both have links_enabled,
view_links, link_days, new_link_url and the handlers set_link_days, make_view_link, revoke_view_link."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.boards import LinkCard
from bildgen.state.image_links import ImageLinkState


def _view_link(state, link: LinkCard) -> rx.Component:
    return rx.hstack(
        rx.text(t("Made {made}", made=link.made), size="2"),
        rx.match(
            link.status,
            ("revoked", rx.badge(t("revoked"), color_scheme="gray", variant="soft")),
            ("expired", rx.badge(t("expired"), color_scheme="gray", variant="soft")),
            rx.badge(t("works until {date}", date=link.until), color_scheme="green", variant="soft"),
        ),
        rx.cond(
            link.status == "active",
            rx.button(
                t("Revoke"),
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label=t("Revoke the link made {made}", made=link.made),
                on_click=state.revoke_view_link(link.id),
            ),
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def view_link_controls(state, intro) -> rx.Component:
    return rx.vstack(
        rx.text(intro, size="2", color_scheme="gray"),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label=t("Link works for")),
                rx.select.content(
                    rx.select.item(t("1 day"), value="1"),
                    rx.select.item(t("7 days"), value="7"),
                    rx.select.item(t("30 days"), value="30"),
                ),
                value=state.link_days,
                on_change=state.set_link_days,
            ),
            rx.button(rx.icon("link", size=14), t("Make link"), variant="soft", on_click=state.make_view_link),
            spacing="2",
            align="center",
        ),
        rx.cond(
            state.new_link_url != "",
            rx.hstack(
                rx.input(
                    value=state.new_link_url,
                    read_only=True,
                    aria_label=t("New link"),
                    width="100%",
                    on_focus=rx.call_script("document.activeElement.select()"),
                ),
                rx.button(
                    rx.icon("copy", size=14), t("Copy"), variant="soft", on_click=rx.set_clipboard(state.new_link_url)
                ),
                width="100%",
                spacing="2",
            ),
        ),
        rx.foreach(state.view_links, lambda link: _view_link(state, link)),
        spacing="2",
        width="100%",
    )


def image_link_dialog() -> rx.Component:
    """The lightbox's "Share by link" for the owner's image shown (only while links are switched on)."""
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("link", size=14), t("Share by link"), variant="soft", on_click=ImageLinkState.open_image_links
            )
        ),
        rx.dialog.content(
            rx.dialog.title(t("Link for people without an account")),
            rx.vstack(
                view_link_controls(
                    ImageLinkState,
                    t("Anyone with the link sees this image, read-only, until it expires or you revoke it."),
                ),
                rx.cond(ImageLinkState.message != "", rx.text(ImageLinkState.message, size="2", role="status")),
                rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray")),
                spacing="3",
                width="100%",
            ),
        ),
    )
