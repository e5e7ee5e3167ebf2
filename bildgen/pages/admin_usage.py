import reflex as rx

from bildgen import routes
from bildgen.components.admin_fields import field, select
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.i18n import t
from bildgen.state.admin_usage import ALL_PROFILES, QuotaRow, UsageRow, UsageState


def _usage_table(title, rows: rx.Var, first_column) -> rx.Component:
    def row(line: UsageRow) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(line.label),
            rx.table.cell(line.images),
            rx.table.cell(line.gpu_seconds),
            rx.table.cell(line.failures),
            rx.table.cell(line.cost),
        )

    return rx.el.section(
        rx.heading(title, size="3", as_="h3"),
        rx.cond(
            rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(name)
                            for name in (
                                first_column,
                                t("Images"),
                                t("GPU-seconds"),
                                t("Failures"),
                                t("Estimated cost"),
                            )
                        ]
                    )
                ),
                rx.table.body(rx.foreach(rows, row)),
                size="1",
                width="100%",
            ),
            rx.text(t("Nothing was generated in this month."), size="2"),
        ),
        aria_label=title,
        style={"width": "100%", "display": "flex", "flexDirection": "column", "gap": "8px"},
    )


def _quota(row: QuotaRow) -> rx.Component:
    return rx.hstack(
        rx.text(row.text, size="2"),
        rx.button(
            t("Remove"),
            on_click=UsageState.remove_quota(row.id),
            size="1",
            variant="soft",
            color_scheme="red",
            aria_label=t("Remove quota: {quota}", quota=row.text),
        ),
        align="center",
        spacing="3",
    )


def _quota_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            field(
                t("Images per user"),
                "max_images",
                rx.input(id="max_images", name="max_images", input_mode="numeric", width="8em", required=True),
            ),
            field(
                t("Period"),
                "period",
                select(
                    "period",
                    rx.select.item(t("per day"), value="day"),
                    rx.select.item(t("per month"), value="month"),
                    name="period",
                    default_value="day",
                ),
            ),
            field(
                t("Profile"),
                "profile",
                select(
                    "profile",
                    rx.select.item(t("all profiles together"), value=ALL_PROFILES),
                    rx.foreach(
                        UsageState.profile_options, lambda option: rx.select.item(option.label, value=option.id)
                    ),
                    name="profile",
                    default_value=ALL_PROFILES,
                ),
            ),
            rx.button(t("Add quota"), type="submit"),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        on_submit=UsageState.add_quota,
        reset_on_submit=True,
    )


def admin_usage_page() -> rx.Component:
    return admin_page(
        t("Usage"),
        routes.ADMIN_USAGE,
        UsageState.allowed,
        UsageState.refusal,
        rx.text(
            t(
                "What was generated per user and per profile. GPU-seconds are bildgen's timing of each image"
                " (request to saved file); the estimated cost is images × the profile's cost per image (set on the"
                " Profiles page)."
            ),
            size="2",
        ),
        messages(UsageState.refusal, UsageState.notice),
        rx.hstack(
            rx.el.label(t("Month"), html_for="month", class_name="rt-Text rt-r-size-2 rt-r-weight-bold"),
            select(
                "month",
                rx.foreach(UsageState.months, lambda month: rx.select.item(month, value=month)),
                value=UsageState.month,
                on_change=UsageState.choose_month,
            ),
            rx.text(t("Estimated spend:"), " ", rx.text.strong(UsageState.total_cost), size="2"),
            align="center",
            spacing="3",
        ),
        _usage_table(t("Per user"), UsageState.by_user, t("User")),
        _usage_table(t("Per profile"), UsageState.by_profile, t("Profile")),
        rx.heading(t("Quotas"), size="4", as_="h3"),
        rx.text(
            t(
                "Optional limits of images per user, counted per calendar day or month (UTC). A generation that"
                " would exceed one is refused with a message saying when the quota refills."
            ),
            size="2",
        ),
        rx.foreach(UsageState.quotas, _quota),
        _quota_form(),
        rx.hstack(
            rx.switch(
                id="admins-exempt",
                checked=UsageState.admins_exempt,
                on_change=UsageState.set_admins_exempt,
            ),
            rx.el.label(
                t("Administrators are exempt from quotas"),
                html_for="admins-exempt",
                class_name="rt-Text rt-r-size-2",
            ),
            align="center",
            spacing="2",
        ),
    )
