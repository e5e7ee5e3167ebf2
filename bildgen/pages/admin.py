import reflex as rx

from bildgen.components.audit_log import audit_filters, audit_pager, audit_table
from bildgen.components.header import page_header
from bildgen.state.admin import AuditLogState


def audit_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            page_header(),
            rx.heading("Audit log", size="5", as_="h2"),
            rx.cond(
                AuditLogState.allowed,
                rx.vstack(
                    rx.text("Sign-ins, sign-outs, new accounts and refused access, newest first.", size="2"),
                    audit_filters(),
                    rx.cond(
                        AuditLogState.message != "",
                        rx.callout(AuditLogState.message, icon="info", role="status", size="1"),
                    ),
                    audit_table(),
                    audit_pager(),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    AuditLogState.message != "",
                    rx.callout(AuditLogState.message, icon="lock", color_scheme="red", role="alert", size="1"),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )
