import reflex as rx

from bildgen import routes
from bildgen.components.account import account_menu
from bildgen.components.i18n import t
from bildgen.components.language import language_switch
from bildgen.components.shortcuts import shortcuts_button
from bildgen.state.session import SessionState


def page_header(*extra: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.heading("bildgen", size="6"),
        rx.el.nav(
            rx.hstack(
                rx.link(t("Studio"), href=routes.STUDIO, size="3"),
                rx.link(t("Gallery"), href=routes.GALLERY, size="3"),
                rx.link(t("Batches"), href=routes.BATCHES, size="3"),
                rx.cond(
                    SessionState.is_admin,
                    rx.hstack(
                        rx.link(t("Audit log"), href=routes.ADMIN_AUDIT, size="3"),
                        rx.link(t("Queue"), href=routes.ADMIN_QUEUE, size="3"),
                        rx.link(t("API tokens"), href=routes.ADMIN_TOKENS, size="3"),
                        spacing="4",
                    ),
                ),
                spacing="4",
            ),
            aria_label=t("Main"),
        ),
        rx.spacer(),
        *extra,
        shortcuts_button(),
        language_switch(),
        account_menu(),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="4",
    )
