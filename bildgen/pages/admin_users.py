import reflex as rx

from bildgen import routes
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.i18n import t
from bildgen.state.admin_users import UserRow, UsersState

# On a phone the dates and session count give way, so that each user's actions stay on the screen.
WIDE_ONLY = rx.breakpoints(initial="none", md="table-cell")
PHONE_ONLY = rx.breakpoints(initial="block", md="none")


def _actions(row: UserRow) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.cond(row.disabled, t("Enable"), t("Disable")),
            on_click=UsersState.set_user_disabled(row.id, ~row.disabled),
            size="1",
            variant="soft",
            color_scheme=rx.cond(row.disabled, "green", "red"),
            aria_label=rx.cond(
                row.disabled, t("Enable {user}", user=row.username), t("Disable {user}", user=row.username)
            ),
        ),
        rx.button(
            rx.cond(row.is_admin, t("Revoke administrator"), t("Make administrator")),
            on_click=UsersState.set_user_admin(row.id, ~row.is_admin),
            size="1",
            variant="soft",
            aria_label=rx.cond(
                row.is_admin,
                t("Revoke administrator of {user}", user=row.username),
                t("Make administrator: {user}", user=row.username),
            ),
        ),
        rx.button(
            t("Reset password"),
            on_click=UsersState.reset_user_password(row.id),
            size="1",
            variant="soft",
            aria_label=t("Reset the password of {user}", user=row.username),
        ),
        rx.button(
            t("End sessions"),
            on_click=UsersState.end_user_sessions(row.id),
            size="1",
            variant="soft",
            aria_label=t("End all sessions of {user}", user=row.username),
        ),
        spacing="2",
        wrap="wrap",
    )


def _row(row: UserRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(rx.cond(row.is_me, t("{user} (you)", user=row.username), row.username), weight="bold"),
            # On a phone the actions stand under the name instead of in a column past the screen's edge.
            rx.box(_actions(row), display=PHONE_ONLY, padding_top="6px"),
        ),
        rx.table.cell(row.role),
        rx.table.cell(row.status),
        rx.table.cell(rx.text(row.created, white_space="nowrap"), display=WIDE_ONLY),
        rx.table.cell(rx.text(row.last_seen, white_space="nowrap"), display=WIDE_ONLY),
        rx.table.cell(row.sessions, display=WIDE_ONLY),
        rx.table.cell(_actions(row), display=WIDE_ONLY),
    )


def _temporary_password() -> rx.Component:
    return rx.cond(
        UsersState.temporary_password != "",
        rx.callout(
            rx.vstack(
                rx.text(
                    t("Temporary password for"),
                    " ",
                    rx.text.strong(UsersState.temporary_for),
                    ": ",
                    rx.code(UsersState.temporary_password, id="temporary-password"),
                ),
                rx.text(
                    t(
                        "Give it to them in person or another safe way; it is shown only now. At the next sign-in"
                        " they choose their own."
                    ),
                    size="1",
                ),
                rx.button(t("Done"), on_click=UsersState.dismiss_password, size="1", variant="soft"),
                spacing="2",
            ),
            icon="key_round",
            color_scheme="amber",
        ),
    )


def admin_users_page() -> rx.Component:
    return admin_page(
        t("Users"),
        routes.ADMIN_USERS,
        UsersState.allowed,
        UsersState.refusal,
        rx.text(
            t(
                "Every account. A disabled account is signed out at once and cannot sign in; bildgen always keeps"
                " one active administrator."
            ),
            size="2",
        ),
        messages(UsersState.refusal, UsersState.notice),
        _temporary_password(),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    default_value=UsersState.search,
                    placeholder=t("Part of a username"),
                    aria_label=t("Search users"),
                ),
                rx.button(t("Search"), type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=UsersState.search_users,
            reset_on_submit=False,
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(title) for title in (t("User"), t("Role"), t("Status"))],
                    *[
                        rx.table.column_header_cell(title, display=WIDE_ONLY)
                        for title in (t("Created"), t("Last seen"), t("Sessions"))
                    ],
                    rx.table.column_header_cell("", display=WIDE_ONLY),
                )
            ),
            rx.table.body(rx.foreach(UsersState.rows, _row)),
            size="1",
            width="100%",
        ),
    )
