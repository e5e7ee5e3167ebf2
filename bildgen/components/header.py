import reflex as rx

from bildgen import routes
from bildgen.components.account import SIGN_OUT_FORM, account_menu
from bildgen.components.i18n import t
from bildgen.components.language import language_switch
from bildgen.components.shortcuts import shortcuts_button
from bildgen.components.theme import theme_menu
from bildgen.state.session import SessionState

# Below this width (a phone, a narrow window) the links and the account go into one menu.
WIDE = "md"


def _links() -> list[tuple[object, str]]:
    return [
        (t("Studio"), routes.STUDIO),
        (t("Gallery"), routes.GALLERY),
        (t("Batches"), routes.BATCHES),
        (t("Packs"), routes.PACKS),
    ]


def _admin_links() -> list[tuple[object, str]]:
    return [(t("Admin"), routes.ADMIN)]


def _wide(component: rx.Component, display: str = "flex") -> rx.Component:
    return rx.box(component, display=rx.breakpoints(initial="none", **{WIDE: display}))


def _narrow(component: rx.Component) -> rx.Component:
    return rx.box(component, display=rx.breakpoints(initial="flex", **{WIDE: "none"}))


def _navigation() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            *[rx.link(label, href=href, size="3", white_space="nowrap") for label, href in _links()],
            rx.cond(
                SessionState.is_admin,
                rx.hstack(
                    *[rx.link(label, href=href, size="3", white_space="nowrap") for label, href in _admin_links()],
                    spacing="4",
                ),
            ),
            spacing="4",
        ),
        aria_label=t("Main"),
    )


def _menu() -> rx.Component:
    """On a phone: every page, the account and Sign out behind one button, so the header is one line."""

    def item(label, href: str) -> rx.Component:
        return rx.menu.item(label, on_select=rx.redirect(href))

    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("menu", size=18), variant="soft", aria_label=t("Menu"))),
        rx.menu.content(
            *[item(label, href) for label, href in _links()],
            rx.cond(
                SessionState.is_admin,
                rx.fragment(rx.menu.separator(), *[item(label, href) for label, href in _admin_links()]),
            ),
            rx.menu.separator(),
            rx.text(SessionState.username, size="1", color_scheme="gray", padding="4px 12px"),
            item(t("Account"), routes.ACCOUNT),
            rx.menu.item(
                t("Sign out"),
                # The account area's own form (hidden on a phone) posts it: the server clears the cookie.
                on_select=rx.call_script(f"document.getElementById('{SIGN_OUT_FORM}').requestSubmit()"),
            ),
            align="end",
        ),
        # Not modal: the page behind stays as it is (a modal menu hides it from screen readers with
        # its links still focusable, which axe rightly reports).
        modal=False,
    )


def page_header(*extra: rx.Component) -> rx.Component:
    """One line at any width; `extra` (the demo renderer's badge…) goes on a line of its own below."""
    return rx.vstack(
        rx.hstack(
            rx.heading("bildgen", size="6"),
            _wide(_navigation()),
            rx.spacer(),
            _wide(shortcuts_button()),
            theme_menu(),
            language_switch(),
            _wide(account_menu()),
            _narrow(_menu()),
            width="100%",
            align="center",
            wrap="nowrap",
            spacing="4",
        ),
        *([rx.hstack(*extra, width="100%", justify="end", wrap="wrap")] if extra else []),
        width="100%",
        spacing="2",
    )
