import reflex as rx

from bildgen import routes
from bildgen.components.api_tokens import new_token_callout, new_token_form, tokens_table
from bildgen.components.header import page_header
from bildgen.components.i18n import t
from bildgen.state.account import AccountState


def account_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            page_header(),
            rx.heading(t("Account"), size="5", as_="h2"),
            rx.heading(t("Password"), size="4", as_="h3"),
            rx.hstack(
                rx.text(t("A new password signs you out in every other browser."), size="2"),
                rx.button(
                    rx.link(t("Change password"), href=routes.CHANGE_PASSWORD_PAGE), as_child=True, variant="soft"
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.el.section(
                rx.heading(t("What is left to you"), size="4", as_="h3"),
                rx.text(t("Your groups:"), " ", AccountState.my_groups, size="2"),
                rx.text(t("Models you may use:"), " ", AccountState.my_models, size="2"),
                rx.cond(AccountState.no_quotas != "", rx.text(AccountState.no_quotas, size="2")),
                rx.el.ul(rx.foreach(AccountState.allowances, lambda line: rx.el.li(rx.text(line, size="2")))),
                aria_label=t("What is left to you"),
                style={"display": "flex", "flexDirection": "column", "gap": "6px", "width": "100%"},
            ),
            rx.heading(t("API tokens"), size="4", as_="h3"),
            rx.text(
                t(
                    "Scripts and chat front ends (Open WebUI, LibreChat: image engine \u201cOpen AI\u201d) generate as"
                    " you with a token, and their images land in your gallery. Base URL:"
                ),
                " ",
                rx.code(AccountState.api_base),
                ". ",
                t("A token carries your rights: keep it secret, and revoke it when it is no longer needed."),
                size="2",
            ),
            new_token_form(),
            rx.cond(
                AccountState.message != "",
                rx.callout(AccountState.message, icon="triangle-alert", color_scheme="red", role="alert", size="1"),
            ),
            rx.cond(AccountState.notice != "", rx.callout(AccountState.notice, icon="info", role="status", size="1")),
            new_token_callout(),
            rx.cond(
                AccountState.tokens.length() > 0,
                tokens_table(AccountState.tokens, AccountState.revoke_token, show_owner=False),
                rx.text(t("You have no API tokens."), size="2"),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )
