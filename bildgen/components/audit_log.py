import reflex as rx

from bildgen.auth import audit
from bildgen.components.i18n import t
from bildgen.state.admin import ALL_ACTIONS, AuditLogState, AuditRow


def audit_filters() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(aria_label=t("Filter by event"), placeholder=t("All events")),
            rx.select.content(
                rx.select.item(t("All events"), value=ALL_ACTIONS),
                *[rx.select.item(t(label), value=action) for action, label in audit.ACTIONS.items()],
            ),
            value=AuditLogState.action_filter,
            on_change=AuditLogState.set_action_filter,
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="user",
                    placeholder=t("Username"),
                    default_value=AuditLogState.user_filter,
                    aria_label=t("Filter by user"),
                ),
                rx.button(t("Filter"), type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=AuditLogState.filter_by_user,
        ),
        wrap="wrap",
        spacing="3",
        align="center",
    )


def _row(row: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.at, white_space="nowrap")),
        rx.table.cell(row.action),
        rx.table.cell(row.actor),
        rx.table.cell(row.target),
        rx.table.cell(row.detail),
        rx.table.cell(rx.text(row.change, word_break="break-word")),
        rx.table.cell(row.address),
    )


def audit_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(t("Time")),
                rx.table.column_header_cell(t("Event")),
                rx.table.column_header_cell(t("User")),
                rx.table.column_header_cell(t("Concerning")),
                rx.table.column_header_cell(t("Detail")),
                rx.table.column_header_cell(t("Change")),
                rx.table.column_header_cell(t("Address")),
            )
        ),
        rx.table.body(rx.foreach(AuditLogState.rows, _row)),
        size="1",
        width="100%",
    )


def audit_pager() -> rx.Component:
    return rx.hstack(
        rx.button(t("Newer"), on_click=AuditLogState.newer, disabled=~AuditLogState.has_newer, variant="soft"),
        rx.button(t("Older"), on_click=AuditLogState.older, disabled=~AuditLogState.has_older, variant="soft"),
        spacing="2",
    )
