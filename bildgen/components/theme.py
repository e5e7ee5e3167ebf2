"""Light, dark, or as the system says: the choice is kept in this browser (Reflex's color mode)."""

import reflex as rx
from reflex_base.style import set_color_mode

from bildgen.components.i18n import t


def theme_menu() -> rx.Component:
    """The icon shows the theme in force; the menu names each choice in the page's language."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.color_mode_cond(light=rx.icon("sun", size=16), dark=rx.icon("moon", size=16)),
                variant="ghost",
                aria_label=t("Theme"),
            )
        ),
        rx.menu.content(
            rx.menu.item(t("Light"), on_select=set_color_mode("light")),
            rx.menu.item(t("Dark"), on_select=set_color_mode("dark")),
            rx.menu.item(t("As the system"), on_select=set_color_mode("system")),
            align="end",
        ),
        modal=False,
    )
