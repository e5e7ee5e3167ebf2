import reflex as rx

from bildgen import routes
from bildgen.components.header import page_header
from bildgen.components.i18n import t


def _sections() -> list[tuple[rx.Var | str, str]]:
    """The Admin area's sections, in the order its navigation lists them."""
    return [
        (t("Overview"), routes.ADMIN),
        (t("Providers"), routes.ADMIN_PROVIDERS),
        (t("Profiles"), routes.ADMIN_PROFILES),
        (t("Users"), routes.ADMIN_USERS),
        (t("Groups"), routes.ADMIN_GROUPS),
        (t("Usage"), routes.ADMIN_USAGE),
        (t("Queue"), routes.ADMIN_QUEUE),
        (t("API tokens"), routes.ADMIN_TOKENS),
        (t("Audit log"), routes.ADMIN_AUDIT),
    ]


def admin_nav(current: str) -> rx.Component:
    """The Admin area's sections; the page shown is marked as the current one."""
    return rx.el.nav(
        rx.hstack(
            *[
                rx.link(
                    label,
                    href=route,
                    size="2",
                    weight="bold" if route == current else "regular",
                    underline="always" if route == current else "hover",
                    custom_attrs={"aria-current": "page"} if route == current else {},
                )
                for label, route in _sections()
            ],
            spacing="4",
            wrap="wrap",
        ),
        aria_label=t("Admin"),
    )


def messages(refusal: rx.Var, notice: rx.Var) -> rx.Component:
    """What the last change did (status), or why it was refused (alert)."""
    return rx.fragment(
        rx.cond(notice != "", rx.callout(notice, icon="info", role="status", size="1")),
        rx.cond(
            refusal != "",
            rx.callout(refusal, icon="triangle-alert", color_scheme="red", role="alert", size="1"),
        ),
    )


def admin_page(title: str, route: str, allowed: rx.Var, refusal: rx.Var, *content: rx.Component) -> rx.Component:
    """An administrators' page: its content for them, the refusal (role checked on the server) for others."""
    return rx.container(
        rx.vstack(
            page_header(),
            rx.cond(allowed, admin_nav(route)),
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
