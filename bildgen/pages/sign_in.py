"""Sign-in and account creation: plain HTML forms posted to bildgen's own routes (HttpOnly cookie)."""

import reflex as rx

from bildgen import routes
from bildgen.components.i18n import t
from bildgen.components.language import language_switch
from bildgen.state.session import SignInPageState


def _field(label: rx.Var | str, name: str, input_type: str, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, class_name="rt-Text rt-r-size-2 rt-r-weight-bold"),
        rx.el.input(
            id=name,
            name=name,
            type=input_type,
            required=True,
            auto_complete=autocomplete,
            class_name="rt-reset rt-TextFieldInput",
            style={
                "width": "100%",
                "height": "36px",
                "padding": "0 10px",
                "border": "1px solid var(--gray-7)",
                "borderRadius": "var(--radius-2)",
            },
        ),
        width="100%",
        spacing="1",
    )


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            SignInPageState.notice != "", rx.callout(SignInPageState.notice, icon="info", role="status", width="100%")
        ),
        rx.cond(
            SignInPageState.message != "",
            rx.callout(SignInPageState.message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        ),
    )


def _card(title: rx.Var | str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(rx.heading("bildgen", size="6"), language_switch(), justify="between", width="100%"),
                rx.heading(title, size="4", as_="h2"),
                _messages(),
                form,
                footer,
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="380px",
        ),
        min_height="80vh",
        padding="16px",
    )


def _account_form(action: str, password_autocomplete: str, button: rx.Var | str, *extra: rx.Component) -> rx.Component:
    return rx.el.form(
        rx.vstack(
            _field(t("Username"), "username", "text", "username"),
            _field(t("Password"), "password", "password", password_autocomplete),
            *extra,
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        action=action,
        method="post",
        on_submit=None,  # a native post: Reflex would otherwise prevent it and send an event
        width="100%",
    )


def _single_sign_on() -> rx.Component:
    """The organisation's own sign-in, when the administrator set one up."""
    return rx.cond(
        SignInPageState.sso_label != "",
        # A link dressed as a button. reload_document: the browser itself goes to bildgen's route (the
        # single-page app's router would look for a page there and find none).
        rx.button(
            rx.link(
                t("Sign in with {name}", name=SignInPageState.sso_label),
                href=SignInPageState.sso_href,
                reload_document=True,
            ),
            as_child=True,
            size="3",
            width="100%",
        ),
    )


def sign_in_page() -> rx.Component:
    password_form = _account_form(
        routes.SIGN_IN_ROUTE,
        "current-password",
        t("Sign in"),
        rx.el.input(type="hidden", name="next", value=SignInPageState.next_path),
    )
    form = rx.vstack(
        _single_sign_on(),
        rx.cond(SignInPageState.passwords_off, rx.fragment(), password_form),
        spacing="4",
        width="100%",
    )
    footer = rx.cond(
        SignInPageState.signup_open,
        rx.text(
            t("No account yet?"),
            " ",
            rx.link(t("Create account"), href=routes.SIGN_UP_PAGE, underline="always"),
            size="2",
        ),
    )
    return _card(t("Sign in"), form, footer)


def sign_up_page() -> rx.Component:
    form = _account_form(
        routes.SIGN_UP_ROUTE,
        "new-password",
        t("Create account"),
        rx.text(t("At least 8 characters. A long passphrase is best."), size="1", color_scheme="gray"),
        rx.cond(
            SignInPageState.first_account,
            rx.callout(
                t("This is the first account: it will administer bildgen (users, models, quotas)."),
                icon="shield",
                role="note",
                size="1",
            ),
        ),
    )
    footer = rx.text(
        t("Have an account?"), " ", rx.link(t("Sign in"), href=routes.SIGN_IN_PAGE, underline="always"), size="2"
    )
    return _card(t("Create account"), rx.cond(SignInPageState.passwords_off, _single_sign_on(), form), footer)


def change_password_page() -> rx.Component:
    """Choosing a new password: after an administrator's reset (the only page such a session opens)."""
    form = rx.el.form(
        rx.vstack(
            _field(t("Current password"), "current_password", "password", "current-password"),
            _field(t("New password"), "new_password", "password", "new-password"),
            _field(t("New password again"), "repeat_password", "password", "new-password"),
            rx.text(t("At least 8 characters. A long passphrase is best."), size="1", color_scheme="gray"),
            rx.button(t("Change password"), type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        action=routes.CHANGE_PASSWORD_ROUTE,
        method="post",
        on_submit=None,  # a native post, like signing in
        width="100%",
    )
    return _card(t("Change password"), form, rx.fragment())
