import reflex as rx

from bildgen import routes
from bildgen.admin import service_health
from bildgen.admin.providers import INFO
from bildgen.components.admin_fields import choice, connection_result, field, text_input
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.i18n import t
from bildgen.inference.profiles import PROVIDERS
from bildgen.params import FAMILIES, QUALITY_PRESETS
from bildgen.state.admin_profiles import AS_THE_STUDIO_STARTS, ProfileRow, ProfilesState, SizePreview

FORM = ProfilesState.form


def _size_preview(size: SizePreview) -> rx.Component:
    return rx.vstack(
        rx.box(
            width=size.width_px.to_string() + "px",
            height=size.height_px.to_string() + "px",
            border=rx.cond(size.is_default, "2px solid var(--accent-9)", "1px solid var(--gray-8)"),
            border_radius="2px",
        ),
        rx.text(rx.cond(size.is_default, t("{size} (default)", size=size.label), size.label), size="1"),
        align="center",
        spacing="1",
        role="img",
        aria_label=rx.cond(
            size.is_default, t("Default size {size}", size=size.label), t("Size {size}", size=size.label)
        ),
    )


def _service_health(row: ProfileRow) -> rx.Component:
    """Whether the profile's service answers, as last checked (Test connection asks again)."""
    return rx.hstack(
        rx.text(t("Service:"), size="1", weight="bold"),
        rx.badge(
            rx.match(
                row.health,
                (service_health.REACHABLE, t(service_health.REACHABLE)),
                (service_health.NOT_ANSWERING, t(service_health.NOT_ANSWERING)),
                (service_health.NOT_SET_UP, t(service_health.NOT_SET_UP)),
                t("checking…"),
            ),
            color_scheme=row.health_color,
        ),
        rx.text(row.health_checked, size="1", color_scheme="gray"),
        rx.cond(row.health_detail != "", rx.text(row.health_detail, size="1", color_scheme="gray")),
        align="center",
        spacing="2",
        wrap="wrap",
        role="group",
        aria_label=t("Service of {profile}", profile=row.label),
    )


def _profile_card(row: ProfileRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    checked=row.enabled,
                    on_change=lambda enabled: ProfilesState.set_profile_enabled(row.id, enabled),
                    aria_label=t("Offer {profile}", profile=row.label),
                ),
                rx.heading(row.label, size="3", as_="h3"),
                rx.badge(row.origin, variant="surface"),
                rx.badge(row.provider, variant="soft"),
                rx.cond(~row.enabled, rx.badge(t("not offered"), color_scheme="red")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(row.description != "", rx.text(row.description, size="2")),
            _service_health(row),
            rx.text(
                row.model, " ", t("at"), " ", rx.code(row.endpoint), " · ", row.details, size="1", color_scheme="gray"
            ),
            rx.cond(
                row.problem != "",
                rx.callout(row.problem, icon="triangle-alert", color_scheme="amber", size="1"),
            ),
            rx.hstack(rx.foreach(row.sizes, _size_preview), spacing="3", wrap="wrap", align="end"),
            rx.hstack(
                rx.button(
                    t("Edit"),
                    on_click=ProfilesState.edit_profile(row.id),
                    size="1",
                    aria_label=t("Edit {profile}", profile=row.label),
                ),
                rx.button(
                    t("Test connection"),
                    on_click=ProfilesState.test_profile(row.id),
                    size="1",
                    variant="soft",
                    aria_label=t("Test connection of {profile}", profile=row.label),
                ),
                rx.button(
                    rx.icon("arrow_up", size=14),
                    on_click=ProfilesState.move_profile(row.id, -1),
                    size="1",
                    variant="soft",
                    aria_label=t("Move {profile} up", profile=row.label),
                ),
                rx.button(
                    rx.icon("arrow_down", size=14),
                    on_click=ProfilesState.move_profile(row.id, 1),
                    size="1",
                    variant="soft",
                    aria_label=t("Move {profile} down", profile=row.label),
                ),
                rx.cond(
                    row.deletable,
                    rx.button(
                        t("Delete"),
                        on_click=ProfilesState.remove_profile(row.id),
                        size="1",
                        color_scheme="red",
                        variant="soft",
                        aria_label=t("Delete {profile}", profile=row.label),
                    ),
                ),
                rx.cond(
                    row.resettable,
                    rx.button(
                        t("Back to the file's version"),
                        on_click=ProfilesState.remove_profile(row.id),
                        size="1",
                        variant="soft",
                        aria_label=t("Back to the file's version of {profile}", profile=row.label),
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            connection_result(row.test_result, row.test_ok, t("Connection of {profile}", profile=row.label)),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    key = ProfilesState.form_key
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(
                    rx.cond(
                        ProfilesState.editing_id != "",
                        t("Edit {profile}", profile=ProfilesState.editing_label),
                        t("New profile"),
                    ),
                    size="3",
                    as_="h3",
                ),
                text_input(
                    t("Name"), "label", FORM.label, key=key, hint=t("What users pick, e.g. Fast draft."), max_length=80
                ),
                field(
                    t("Description"),
                    "description",
                    rx.text_area(
                        id="description",
                        name="description",
                        default_value=FORM.description,
                        key=key,
                        rows="2",
                        width="100%",
                        max_length=300,
                    ),
                    t("Shown to users as help under the model picker."),
                ),
                rx.grid(
                    choice(
                        t("Provider"), "provider", FORM.provider, [(p, t(INFO[p].label)) for p in PROVIDERS], key=key
                    ),
                    choice(t("Model family"), "family", FORM.family, [(f, f) for f in FAMILIES], key=key),
                    text_input(
                        t("Model"),
                        "served_name",
                        FORM.served_name,
                        key=key,
                        hint=t("The model id to send; empty: the one its server lists."),
                    ),
                    text_input(
                        t("Endpoint"),
                        "base_url",
                        FORM.base_url,
                        key=key,
                        hint=t("The server's address; empty: the provider's endpoint."),
                        placeholder="http://gpu-1:8000/v1",
                    ),
                    text_input(
                        t("Reference images"),
                        "max_references",
                        FORM.max_references,
                        key=key,
                        hint=t("How many the model takes (0: text to image only); empty: the family's."),
                        input_mode="numeric",
                    ),
                    text_input(
                        t("Cost per image"),
                        "cost_per_image",
                        FORM.cost_per_image,
                        key=key,
                        hint=t("For the estimated spend on the Usage page."),
                        input_mode="decimal",
                    ),
                    text_input(
                        t("Sizes"),
                        "sizes",
                        FORM.sizes,
                        key=key,
                        hint=t("WIDTHxHEIGHT, comma-separated, multiples of 16; empty: the family's."),
                        placeholder="1024x1024, 1360x768",
                    ),
                    text_input(
                        t("Default size"),
                        "default_size",
                        FORM.default_size,
                        key=key,
                        hint=t("One of the sizes; empty: the first."),
                        placeholder="1024x1024",
                    ),
                    choice(
                        t("Default quality"),
                        "default_quality",
                        rx.cond(FORM.default_quality == "", AS_THE_STUDIO_STARTS, FORM.default_quality),
                        [
                            (AS_THE_STUDIO_STARTS, t("As the studio starts (Balanced)")),
                            *[(key, t(label)) for key, label in QUALITY_PRESETS],
                        ],
                        key=key,
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                field(
                    t("Advanced configuration (JSON)"),
                    "advanced",
                    rx.text_area(
                        id="advanced",
                        name="advanced",
                        default_value=FORM.advanced,
                        key=key,
                        rows="4",
                        width="100%",
                        font_family="monospace",
                        placeholder='{"steps": 30, "guidance": 4.0, "deadline_s": 300, "max_concurrent": 2}',
                    ),
                    t(
                        "Any other profile setting: steps, guidance, deadline_s, max_concurrent, retry_interrupted,"
                        " edit_with, api_key_env, route, async_tasks, capabilities."
                    ),
                ),
                rx.hstack(
                    rx.button(t("Save profile"), type="submit"),
                    rx.button(t("Cancel"), type="button", variant="soft", on_click=ProfilesState.cancel_edit),
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=ProfilesState.save_profile,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def admin_profiles_page() -> rx.Component:
    return admin_page(
        t("Profiles"),
        routes.ADMIN_PROFILES,
        ProfilesState.allowed,
        ProfilesState.refusal,
        rx.text(
            t(
                "The models users choose from in the studio, in this order. Profiles from the configuration file can"
                " be changed here too (the file's values stay underneath). Changes reach open studios within seconds."
            ),
            size="2",
        ),
        messages(ProfilesState.refusal, ProfilesState.notice),
        rx.cond(
            ProfilesState.editing,
            _editor(),
            rx.button(
                rx.icon("plus", size=16), t("New profile"), on_click=ProfilesState.new_profile, width="fit-content"
            ),
        ),
        rx.foreach(ProfilesState.rows, _profile_card),
    )
