import reflex as rx

from bildgen import routes
from bildgen.components.admin_fields import select
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.i18n import t, tn
from bildgen.state.admin_overview import OverviewState


def _generation_switch() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    id="generation-enabled",
                    checked=OverviewState.generation_enabled,
                    on_change=OverviewState.set_generation,
                    aria_label=t("Image generation for everyone"),
                ),
                rx.el.label(
                    t("Image generation for everyone"),
                    html_for="generation-enabled",
                    class_name="rt-Text rt-r-size-3 rt-r-weight-bold",
                ),
                rx.badge(
                    rx.cond(OverviewState.generation_enabled, t("On"), t("Off")),
                    color_scheme=rx.cond(OverviewState.generation_enabled, "green", "red"),
                ),
                align="center",
                spacing="3",
            ),
            rx.text(
                t(
                    "While it is off, the studio shows the message below and the queue refuses every new generation"
                    " (from the studio, the API and batches). Jobs already waiting or running go on."
                ),
                size="2",
                color_scheme="gray",
            ),
            spacing="2",
        ),
        width="100%",
    )


def _view_links_switch() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    id="view-links-enabled",
                    checked=OverviewState.view_links_enabled,
                    on_change=OverviewState.set_view_links,
                    aria_label=t("View-only links for people without an account"),
                ),
                rx.el.label(
                    t("View-only links for people without an account"),
                    html_for="view-links-enabled",
                    class_name="rt-Text rt-r-size-3 rt-r-weight-bold",
                ),
                rx.badge(
                    rx.cond(OverviewState.view_links_enabled, t("On"), t("Off")),
                    color_scheme=rx.cond(OverviewState.view_links_enabled, "green", "gray"),
                ),
                align="center",
                spacing="3",
            ),
            rx.text(
                t(
                    "While it is on, the owner of a board or image can make a link that shows it read-only to anyone"
                    " who has the link, for 1, 7 or 30 days. Switching it off stops every such link at once."
                ),
                size="2",
                color_scheme="gray",
            ),
            spacing="2",
        ),
        width="100%",
    )


def _health_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(
            rx.badge(
                rx.cond(row.ok, rx.icon("circle_check", size=14), rx.icon("triangle_alert", size=14)),
                row.detail,
                color_scheme=rx.cond(row.ok, "green", "red"),
            )
        ),
    )


def _health() -> rx.Component:
    """What /readyz checks, for this instance, and the shared queue."""
    return rx.el.section(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(t("Health"), size="3", as_="h3"),
                    rx.button(t("Check again"), size="1", variant="soft", on_click=OverviewState.check_health),
                    align="center",
                    spacing="3",
                ),
                rx.table.root(rx.table.body(rx.foreach(OverviewState.health, _health_row)), size="1"),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        aria_label=t("Health of this instance"),
        style={"width": "100%"},
    )


def _summary_item(label, value, *link) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(rx.hstack(rx.text(value), *link, spacing="2", wrap="wrap")),
    )


def _made(images, people) -> rx.Var:
    """ "12 images by 3 people" """
    return t(
        "{images} by {people}",
        images=tn("{count} image", "{count} images", images),
        people=tn("{count} person", "{count} people", people),
    )


def _or_problem(problem, text) -> rx.Var:
    return rx.cond(problem != "", problem, text)


def _summary() -> rx.Component:
    """At a glance: whether the services answer, the queue now, how much is generated and by how many."""
    activity = OverviewState.activity
    return rx.el.section(
        rx.card(
            rx.data_list.root(
                _summary_item(
                    t("Services"),
                    _or_problem(
                        OverviewState.services_problem,
                        rx.cond(
                            OverviewState.services_checked,
                            t(
                                "{reachable} reachable · {down} not answering · {unset} not set up",
                                reachable=OverviewState.services_reachable,
                                down=OverviewState.services_down,
                                unset=OverviewState.services_unset,
                            ),
                            t("checking…"),
                        ),
                    ),
                    rx.link(t("Profiles"), href=routes.ADMIN_PROFILES),
                ),
                _summary_item(
                    t("Queue now"),
                    _or_problem(
                        OverviewState.activity_problem,
                        t("{waiting} waiting, {running} running", waiting=activity.waiting, running=activity.running),
                    ),
                    rx.link(t("Open the queue"), href=routes.ADMIN_QUEUE),
                ),
                _summary_item(
                    t("Images today (UTC)"),
                    _or_problem(OverviewState.activity_problem, _made(activity.images_today, activity.people_today)),
                ),
                _summary_item(
                    t("Images in the last 7 days"),
                    _or_problem(OverviewState.activity_problem, _made(activity.images_week, activity.people_week)),
                ),
                size="2",
            ),
            width="100%",
        ),
        aria_label=t("Summary"),
        style={"width": "100%"},
    )


def _general_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(
                t("Message while generation is off"),
                html_for="paused_message",
                class_name="rt-Text rt-r-size-2 rt-r-weight-bold",
            ),
            rx.text_area(
                id="paused_message",
                name="paused_message",
                default_value=OverviewState.paused_message,
                key=OverviewState.paused_message,
                rows="2",
                width="100%",
                max_length=300,
            ),
            rx.el.label(
                t("Currency of estimated costs"),
                html_for="currency",
                class_name="rt-Text rt-r-size-2 rt-r-weight-bold",
            ),
            rx.input(
                id="currency",
                name="currency",
                default_value=OverviewState.currency,
                key=OverviewState.currency,
                max_length=12,
                width="12em",
            ),
            rx.button(t("Save"), type="submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=OverviewState.save_general,
        reset_on_submit=False,
        width="100%",
    )


def _label(text, field: str) -> rx.Component:
    return rx.el.label(text, html_for=field, class_name="rt-Text rt-r-size-2 rt-r-weight-bold")


def _checkbox(text, field: str, checked) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.checkbox(name=field, default_checked=checked, key=checked.to_string()),
            text,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _provenance() -> rx.Component:
    """What every image's marks and Content Credentials say, and who signs them."""
    settings_form = rx.form(
        rx.vstack(
            _label(t("Organisation named in every image"), "organisation"),
            rx.input(
                id="organisation",
                name="organisation",
                default_value=OverviewState.organisation,
                key=OverviewState.organisation,
                max_length=120,
                width="100%",
            ),
            _label(t("The person who made an image, in its credentials"), "person"),
            select(
                "person",
                rx.select.item(t("Not named"), value="nothing"),
                rx.select.item(t("Username"), value="username"),
                name="person",
                default_value=OverviewState.person,
                key=OverviewState.person,
            ),
            _checkbox(t("Include the prompts in the credentials"), "include_prompts", OverviewState.include_prompts),
            _checkbox(
                t("Allow downloads without metadata (each is recorded in the audit log)"),
                "allow_plain_download",
                OverviewState.allow_plain_download,
            ),
            rx.button(t("Apply credential settings"), type="submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=OverviewState.save_provenance,
        reset_on_submit=False,
        width="100%",
    )
    certificate_form = rx.form(
        rx.vstack(
            _label(t("Certificate chain (PEM, signing certificate first)"), "certificate"),
            rx.text_area(id="certificate", name="certificate", rows="3", width="100%"),
            _label(t("Private key (PEM, unencrypted; stored encrypted)"), "private_key"),
            rx.text_area(id="private_key", name="private_key", rows="3", width="100%", auto_complete=False),
            rx.button(t("Sign with this certificate"), type="submit", variant="soft"),
            spacing="2",
            width="100%",
        ),
        on_submit=OverviewState.save_signing_certificate,
        reset_on_submit=True,
        width="100%",
    )
    return rx.el.section(
        rx.vstack(
            rx.heading(t("Content Credentials"), as_="h2", size="4"),
            rx.text(t("Images are signed by: {signer}", signer=OverviewState.signer), size="2"),
            settings_form,
            certificate_form,
            spacing="3",
            width="100%",
        ),
        aria_label=t("Content Credentials"),
        style={"width": "100%"},
    )


def admin_overview_page() -> rx.Component:
    return admin_page(
        t("Admin"),
        routes.ADMIN,
        OverviewState.allowed,
        OverviewState.refusal,
        rx.text(
            t(
                "Everything needed to run bildgen for a team: providers and their keys, the model profiles users"
                " choose from, accounts, usage and quotas. Every change is recorded in the audit log."
            ),
            size="2",
        ),
        messages(OverviewState.refusal, OverviewState.notice),
        _summary(),
        _health(),
        _generation_switch(),
        _view_links_switch(),
        _general_form(),
        _provenance(),
    )
