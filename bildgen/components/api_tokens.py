import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.account import DEFAULT_EXPIRY, EXPIRY_CHOICES, NEW_TOKEN_FIELD, AccountState, TokenRow


def new_token_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="name", placeholder=t("e.g. Open WebUI"), aria_label=t("Token name"), max_length=80, required=True
            ),
            rx.select.root(
                rx.select.trigger(aria_label=t("Expires")),
                rx.select.content(
                    *[rx.select.item(t(label, days=value), value=value) for value, label in EXPIRY_CHOICES]
                ),
                name="expires",
                default_value=DEFAULT_EXPIRY,
            ),
            rx.button(t("Create token"), type="submit"),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        on_submit=AccountState.create_token,
        reset_on_submit=True,
    )


def new_token_callout() -> rx.Component:
    """The token just made, shown once. The field is always on the page (hidden when empty) so that
    the server can put the value into it without the value ever being part of the state."""
    return rx.box(
        rx.callout.root(
            rx.callout.text(
                t("Token"),
                " ",
                rx.text.strong(AccountState.created_name),
                " ",
                t("created. Copy it now: it is shown only this once."),
            ),
            rx.hstack(
                rx.input(
                    id=NEW_TOKEN_FIELD, read_only=True, aria_label=t("New API token"), width="36em", max_width="100%"
                ),
                rx.button(
                    t("Copy"),
                    variant="soft",
                    on_click=rx.call_script(
                        f"navigator.clipboard.writeText(document.getElementById('{NEW_TOKEN_FIELD}').value)"
                    ),
                ),
                rx.button(t("Done"), variant="outline", on_click=AccountState.dismiss_new_token),
                spacing="2",
                wrap="wrap",
            ),
            role="status",
            color_scheme="green",
            size="1",
        ),
        display=rx.cond(AccountState.created_name != "", "block", "none"),
    )


def tokens_table(rows, on_revoke, *, show_owner: bool) -> rx.Component:
    titles = ((t("User"),) if show_owner else ()) + (
        t("Name"),
        t("Token"),
        t("Created"),
        t("Last used"),
        t("Expires"),
        "",
    )

    def row(token: TokenRow) -> rx.Component:
        return rx.table.row(
            *([rx.table.cell(token.owner)] if show_owner else []),
            rx.table.cell(token.name),
            rx.table.cell(rx.code(token.prefix)),
            rx.table.cell(rx.text(token.created, white_space="nowrap")),
            rx.table.cell(rx.text(token.last_used, white_space="nowrap")),
            rx.table.cell(rx.text(token.expires, white_space="nowrap")),
            rx.table.cell(
                rx.button(
                    t("Revoke"),
                    on_click=on_revoke(token.id),
                    aria_label=token.revoke_label,
                    color_scheme="red",
                    variant="soft",
                    size="1",
                )
            ),
        )

    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for title in titles])),
        rx.table.body(rx.foreach(rows, row)),
        size="1",
        width="100%",
    )
