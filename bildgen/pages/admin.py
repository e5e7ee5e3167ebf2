import reflex as rx

from bildgen import routes
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.api_tokens import tokens_table
from bildgen.components.audit_log import audit_filters, audit_pager, audit_table
from bildgen.components.i18n import t
from bildgen.components.job_queue import queue_table
from bildgen.state.admin import AuditLogState
from bildgen.state.admin_queue import QueueState
from bildgen.state.admin_tokens import AdminTokensState


def audit_page() -> rx.Component:
    return admin_page(
        t("Audit log"),
        routes.ADMIN_AUDIT,
        AuditLogState.allowed,
        AuditLogState.refusal,
        rx.text(
            t(
                "Sign-ins, sign-outs, new accounts, refused access, cancelled jobs and every change made in the"
                " Admin area (with the value before and after), newest first."
            ),
            size="2",
        ),
        audit_filters(),
        messages(AuditLogState.refusal, AuditLogState.notice),
        audit_table(),
        audit_pager(),
    )


def queue_page() -> rx.Component:
    return admin_page(
        t("Queue"),
        routes.ADMIN_QUEUE,
        QueueState.allowed,
        QueueState.refusal,
        rx.text(t("Every waiting and running generation, oldest first, refreshed every few seconds."), size="2"),
        messages(QueueState.refusal, QueueState.notice),
        rx.cond(
            QueueState.rows.length() > 0,
            queue_table(),
            rx.text(t("No job is waiting or running."), size="2"),
        ),
    )


def tokens_page() -> rx.Component:
    return admin_page(
        t("API tokens"),
        routes.ADMIN_TOKENS,
        AdminTokensState.allowed,
        AdminTokensState.refusal,
        rx.text(
            t("Every user's API tokens that are not revoked, newest first. Revoking one stops it at once."), size="2"
        ),
        messages(AdminTokensState.refusal, AdminTokensState.notice),
        rx.cond(
            AdminTokensState.rows.length() > 0,
            tokens_table(AdminTokensState.rows, AdminTokensState.revoke_any_token, show_owner=True),
            rx.text(t("Nobody has an API token."), size="2"),
        ),
    )
