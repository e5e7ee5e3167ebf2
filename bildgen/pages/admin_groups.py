import reflex as rx

from bildgen import routes
from bildgen.components.admin_fields import field
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.boards import zip_link
from bildgen.components.i18n import t
from bildgen.state.admin_groups import NO_QUOTA, GroupRow, GroupsState, ModelCheck, ReportRow

WIDE_ONLY = rx.breakpoints(initial="none", md="table-cell")
SELECT_STYLE = {
    "height": "32px",
    "padding": "0 8px",
    "border": "1px solid var(--gray-7)",
    "borderRadius": "var(--radius-2)",
    "background": "var(--color-surface)",
}


def _row(row: GroupRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.text(row.name, weight="bold"),
            rx.cond(row.from_claim, rx.text(t("from single sign-on"), size="1", color_scheme="gray")),
        ),
        rx.table.cell(rx.text(row.members.join(", "), size="2")),
        rx.table.cell(row.models, display=WIDE_ONLY),
        rx.table.cell(row.quota, display=WIDE_ONLY),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    t("Edit"),
                    on_click=GroupsState.edit_group(row.id),
                    size="1",
                    variant="soft",
                    aria_label=t("Edit group {group}", group=row.name),
                ),
                rx.button(
                    t("Delete"),
                    on_click=GroupsState.delete_group(row.id),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label=t("Delete group {group}", group=row.name),
                ),
                spacing="2",
                wrap="wrap",
            )
        ),
    )


def _member(username: rx.Var) -> rx.Component:
    return rx.badge(
        username,
        rx.icon_button(
            rx.icon("x", size=12),
            on_click=GroupsState.remove_member(username),
            size="1",
            variant="ghost",
            aria_label=t("Remove {user} from the group", user=username),
        ),
        size="2",
    )


def _model_check(check: ModelCheck) -> rx.Component:
    # The checkbox's own label (one <label> around box and text): axe and screen readers name it.
    return rx.checkbox(
        check.label, name="model:" + check.id, default_checked=check.checked, key=check.id + check.checked.to_string()
    )


def _editor() -> rx.Component:
    key = GroupsState.selected_id
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(GroupsState.selected_name, size="4", as_="h3"),
                rx.button(t("Close"), on_click=GroupsState.close_group, size="1", variant="soft"),
                justify="between",
                width="100%",
            ),
            rx.form(
                rx.hstack(
                    field(
                        t("Name"),
                        "group_name",
                        rx.input(id="group_name", name="name", default_value=GroupsState.selected_name, key=key),
                    ),
                    rx.button(t("Rename"), type="submit", variant="soft"),
                    align="end",
                    spacing="2",
                ),
                on_submit=GroupsState.rename_group,
                reset_on_submit=False,
            ),
            rx.heading(t("Members"), size="3", as_="h4"),
            rx.hstack(rx.foreach(GroupsState.selected_members, _member), wrap="wrap", spacing="2"),
            rx.form(
                rx.hstack(
                    field(t("Username"), "member_name", rx.input(id="member_name", name="username", required=True)),
                    rx.button(t("Add to group"), type="submit", variant="soft"),
                    align="end",
                    spacing="2",
                ),
                on_submit=GroupsState.add_member,
                reset_on_submit=True,
            ),
            rx.heading(t("Models"), size="3", as_="h4"),
            rx.form(
                rx.vstack(
                    rx.checkbox(
                        t("Restrict this group to the models ticked below"),
                        name="restricts",
                        default_checked=GroupsState.selected_restricts,
                        key=key + GroupsState.selected_restricts.to_string(),
                    ),
                    rx.vstack(rx.foreach(GroupsState.model_checks, _model_check), spacing="1", padding_left="20px"),
                    rx.button(t("Save models"), type="submit", variant="soft"),
                    spacing="2",
                ),
                on_submit=GroupsState.save_models,
                reset_on_submit=False,
                key=key,
            ),
            rx.heading(t("Group quota"), size="3", as_="h4"),
            rx.form(
                rx.hstack(
                    field(
                        t("Images for all members together"),
                        "group_quota",
                        rx.input(
                            id="group_quota",
                            name="max_images",
                            input_mode="numeric",
                            width="8em",
                            default_value=GroupsState.selected_quota,
                            key=key + GroupsState.selected_quota,
                        ),
                    ),
                    field(
                        t("Period"),
                        "group_period",
                        rx.el.select(
                            rx.el.option(t("No group quota"), value=NO_QUOTA),
                            rx.el.option(t("per day"), value="day"),
                            rx.el.option(t("per month"), value="month"),
                            id="group_period",
                            name="period",
                            default_value=GroupsState.selected_period,
                            key=key + GroupsState.selected_period,
                            style=SELECT_STYLE,
                        ),
                    ),
                    rx.button(t("Save quota"), type="submit", variant="soft"),
                    align="end",
                    spacing="3",
                    wrap="wrap",
                ),
                on_submit=GroupsState.save_quota,
                reset_on_submit=False,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _report_row(row: ReportRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.group),
        rx.table.cell(row.profile),
        rx.table.cell(row.runs),
        rx.table.cell(row.images),
        rx.table.cell(row.cost),
    )


def _report() -> rx.Component:
    title = t("Usage per group and profile")
    return rx.el.section(
        rx.heading(title, size="4", as_="h3"),
        rx.form(
            rx.hstack(
                field(
                    t("From"),
                    "report_from",
                    rx.input(
                        id="report_from",
                        name="from",
                        type="date",
                        default_value=GroupsState.report_from,
                        key=GroupsState.report_from,
                    ),
                ),
                field(
                    t("To"),
                    "report_to",
                    rx.input(
                        id="report_to",
                        name="to",
                        type="date",
                        default_value=GroupsState.report_to,
                        key=GroupsState.report_to,
                    ),
                ),
                rx.button(t("Show"), type="submit", variant="soft"),
                rx.cond(GroupsState.csv_path != "", zip_link(GroupsState.csv_path, t("Export CSV"))),
                align="end",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=GroupsState.choose_range,
            reset_on_submit=False,
        ),
        rx.text(
            t(
                "A run is one generation; someone in several groups counts in each. The estimated cost is images ×"
                " the profile's cost per image, where one is set."
            ),
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            GroupsState.report_rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(name)
                            for name in (t("Group"), t("Profile"), t("Runs"), t("Images"), t("Estimated cost"))
                        ]
                    )
                ),
                rx.table.body(rx.foreach(GroupsState.report_rows, _report_row)),
                size="1",
                width="100%",
            ),
            rx.text(t("Nothing was generated in these days."), size="2"),
        ),
        aria_label=title,
        style={"width": "100%", "display": "flex", "flexDirection": "column", "gap": "8px"},
    )


def admin_groups_page() -> rx.Component:
    return admin_page(
        t("Groups"),
        routes.ADMIN_GROUPS,
        GroupsState.allowed,
        GroupsState.refusal,
        rx.text(
            t(
                "People in groups. A group may restrict its members to some models (someone in several restricting"
                " groups may use what any of them allows; someone in none may use every model) and have a quota for"
                " all its members together, beside the personal quotas."
            ),
            size="2",
        ),
        messages(GroupsState.refusal, GroupsState.notice),
        rx.form(
            rx.hstack(
                field(t("New group"), "new_group", rx.input(id="new_group", name="name", required=True)),
                rx.button(t("Make group"), type="submit"),
                align="end",
                spacing="2",
            ),
            on_submit=GroupsState.create_group,
            reset_on_submit=True,
        ),
        rx.cond(GroupsState.selected_id != "", _editor()),
        rx.cond(
            GroupsState.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("Group")),
                        rx.table.column_header_cell(t("Members")),
                        rx.table.column_header_cell(t("Models"), display=WIDE_ONLY),
                        rx.table.column_header_cell(t("Group quota"), display=WIDE_ONLY),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(GroupsState.rows, _row)),
                size="1",
                width="100%",
            ),
            rx.text(t("No groups yet."), size="2"),
        ),
        _report(),
    )
