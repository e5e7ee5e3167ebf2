import reflex as rx

from bildgen import routes
from bildgen.components.admin_fields import connection_result, field
from bildgen.components.admin_frame import admin_page, messages
from bildgen.components.i18n import t
from bildgen.state.admin_providers import ProviderRow, ProvidersState


def _source(text: rx.Var) -> rx.Component:
    """Where a value comes from; nothing for a built-in default."""
    return rx.cond(text != "", rx.text(t("from: {source}", source=text), size="1", color_scheme="gray"))


def _provider_card(row: ProviderRow) -> rx.Component:
    endpoint_id = "endpoint-" + row.provider
    key_id = "api-key-" + row.provider
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    checked=row.enabled,
                    on_change=lambda enabled: ProvidersState.set_provider_enabled(row.provider, enabled),
                    aria_label=t("{provider} enabled", provider=row.label),
                ),
                rx.heading(row.label, size="3", as_="h3"),
                rx.cond(
                    ~row.enabled,
                    rx.badge(t("off"), color_scheme="red"),
                    rx.cond(
                        row.missing != "",
                        rx.badge(t("not set up"), color_scheme="gray"),
                        rx.badge(t("on"), color_scheme="green"),
                    ),
                ),
                _source(row.enabled_source),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.text(row.help, size="2"),
            rx.cond(row.missing != "", rx.text(row.missing, size="2", color_scheme="amber")),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="provider", value=row.provider),
                    field(
                        t("Endpoint"),
                        endpoint_id,
                        rx.input(
                            id=endpoint_id,
                            name="base_url",
                            default_value=row.endpoint_here,
                            placeholder=row.endpoint,
                            key=ProvidersState.form_key,
                            width="100%",
                        ),
                    ),
                    rx.text(t("In use:"), " ", rx.code(rx.cond(row.endpoint != "", row.endpoint, t("none"))), size="1"),
                    _source(row.endpoint_source),
                    field(
                        t("API key"),
                        key_id,
                        rx.input(
                            id=key_id,
                            name="api_key",
                            type="password",
                            auto_complete="off",
                            placeholder=rx.cond(
                                row.key_here, t("******** (type a new key to replace it)"), t("not set")
                            ),
                            key=ProvidersState.form_key,
                            width="100%",
                        ),
                    ),
                    rx.text(t("In use:"), " ", row.key_status, size="1"),
                    _source(row.key_source),
                    rx.cond(
                        row.key_problem != "",
                        rx.callout(row.key_problem, icon="triangle-alert", color_scheme="amber", size="1"),
                    ),
                    rx.text(t("Environment variables:"), " ", rx.code(row.env_names), size="1", color_scheme="gray"),
                    rx.hstack(
                        rx.button(t("Save"), type="submit", aria_label=t("Save {provider}", provider=row.label)),
                        rx.button(
                            t("Test connection"),
                            type="button",
                            variant="soft",
                            on_click=ProvidersState.test_provider(row.provider),
                            aria_label=t("Test connection to {provider}", provider=row.label),
                        ),
                        rx.cond(
                            row.key_here,
                            rx.button(
                                t("Remove key"),
                                type="button",
                                variant="soft",
                                color_scheme="red",
                                on_click=ProvidersState.remove_key(row.provider),
                                aria_label=t("Remove the API key of {provider}", provider=row.label),
                            ),
                        ),
                        rx.cond(
                            row.overridden,
                            rx.button(
                                t("Use the file's and environment's values"),
                                type="button",
                                variant="soft",
                                on_click=ProvidersState.reset_provider(row.provider),
                                aria_label=t(
                                    "Use the file's and environment's values for {provider}", provider=row.label
                                ),
                            ),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="1",
                    width="100%",
                ),
                on_submit=ProvidersState.save_provider,
                reset_on_submit=True,
                width="100%",
            ),
            connection_result(row.test_result, row.test_ok, t("Connection to {provider}", provider=row.label)),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def admin_providers_page() -> rx.Component:
    return admin_page(
        t("Providers"),
        routes.ADMIN_PROVIDERS,
        ProvidersState.allowed,
        ProvidersState.refusal,
        rx.text(
            t(
                "The services bildgen talks to. A value set here wins over the configuration file, which wins over"
                " the environment. Keys are stored encrypted and never shown again; profiles without their own"
                " endpoint or key use their provider's."
            ),
            size="2",
        ),
        messages(ProvidersState.refusal, ProvidersState.notice),
        rx.foreach(ProvidersState.rows, _provider_card),
    )
