import reflex as rx

from bildgen.components.api_tokens import tokens_table
from bildgen.components.audit_log import audit_filters, audit_pager, audit_table
from bildgen.components.header import page_header
from bildgen.components.job_queue import queue_table
from bildgen.state.admin import AuditLogState
from bildgen.state.admin_queue import QueueState
from bildgen.state.admin_tokens import AdminTokensState


def _admin_page(title: str, allowed: rx.Var, refusal: rx.Var, *content: rx.Component) -> rx.Component:
    """An administrators' page: its content for them, the refusal (role checked on the server) for others."""
    return rx.container(
        rx.vstack(
            page_header(),
            rx.heading(title, size="5", as_="h2"),
            rx.cond(
                allowed,
                rx.vstack(*content, spacing="3", width="100%"),
                rx.cond(
                    refusal != "",
                    rx.callout(refusal, icon="lock", color_scheme="red", role="alert", size="1"),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )


def audit_page() -> rx.Component:
    return _admin_page(
        "Audit log",
        AuditLogState.allowed,
        AuditLogState.message,
        rx.text("Sign-ins, sign-outs, new accounts, refused access and cancelled jobs, newest first.", size="2"),
        audit_filters(),
        rx.cond(
            AuditLogState.message != "",
            rx.callout(AuditLogState.message, icon="info", role="status", size="1"),
        ),
        audit_table(),
        audit_pager(),
    )


def queue_page() -> rx.Component:
    return _admin_page(
        "Queue",
        QueueState.allowed,
        QueueState.message,
        rx.text("Every waiting and running generation, oldest first, refreshed every few seconds.", size="2"),
        rx.cond(
            QueueState.message != "",
            rx.callout(QueueState.message, icon="triangle-alert", color_scheme="red", role="alert", size="1"),
        ),
        rx.cond(
            QueueState.notice != "",
            rx.callout(QueueState.notice, icon="info", role="status", size="1"),
        ),
        rx.cond(
            QueueState.rows.length() > 0,
            queue_table(),
            rx.text("No job is waiting or running.", size="2"),
        ),
    )


def tokens_page() -> rx.Component:
    return _admin_page(
        "API tokens",
        AdminTokensState.allowed,
        AdminTokensState.message,
        rx.text("Every user's API tokens that are not revoked, newest first. Revoking one stops it at once.", size="2"),
        rx.cond(
            AdminTokensState.message != "",
            rx.callout(AdminTokensState.message, icon="triangle-alert", color_scheme="red", role="alert", size="1"),
        ),
        rx.cond(
            AdminTokensState.notice != "",
            rx.callout(AdminTokensState.notice, icon="info", role="status", size="1"),
        ),
        rx.cond(
            AdminTokensState.rows.length() > 0,
            tokens_table(AdminTokensState.rows, AdminTokensState.revoke_any_token, show_owner=True),
            rx.text("Nobody has an API token.", size="2"),
        ),
    )
