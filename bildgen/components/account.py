import reflex as rx

from bildgen import routes
from bildgen.components.i18n import t
from bildgen.state.session import SessionState

# The phone's header menu submits this same form.
SIGN_OUT_FORM = "sign-out-form"


def account_menu() -> rx.Component:
    """The signed-in name and Sign out, a plain form post so the server can clear the HttpOnly cookie."""
    return rx.hstack(
        rx.text(SessionState.username, size="2", color_scheme="gray", white_space="nowrap"),
        rx.link(t("Account"), href=routes.ACCOUNT, size="2", white_space="nowrap"),
        rx.el.form(
            rx.button(t("Sign out"), type="submit", variant="soft", size="1", white_space="nowrap"),
            id=SIGN_OUT_FORM,
            action=routes.SIGN_OUT_ROUTE,
            method="post",
            on_submit=None,  # a native post: Reflex would otherwise prevent it and send an event
        ),
        align="center",
        spacing="2",
    )
