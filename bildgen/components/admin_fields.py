"""Labelled form fields for the Admin area's forms (native elements: they post with the form)."""

import reflex as rx

LABEL_CLASS = "rt-Text rt-r-size-2 rt-r-weight-bold"


def field(label: str, name: str, control: rx.Component, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, class_name=LABEL_CLASS),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def text_input(label: str, name: str, value, *, hint: str = "", key=None, **props) -> rx.Component:
    return field(label, name, rx.input(id=name, name=name, default_value=value, key=key, width="100%", **props), hint)


def choice(label: str, name: str, value, options: list[tuple[str, str]], *, key=None, hint: str = "") -> rx.Component:
    """A native select of (value, label) options."""
    return field(
        label,
        name,
        rx.el.select(
            *[rx.el.option(text, value=option) for option, text in options],
            id=name,
            name=name,
            default_value=value,
            key=key,
            class_name="rt-reset",
            style={
                "height": "32px",
                "padding": "0 8px",
                "border": "1px solid var(--gray-7)",
                "borderRadius": "var(--radius-2)",
                "background": "var(--color-surface)",
            },
        ),
        hint,
    )


def connection_result(text, ok, name) -> rx.Component:
    """What Test connection found, named for screen readers (`name`: "Connection to …")."""
    return rx.cond(
        text != "",
        rx.callout(
            text,
            icon=rx.cond(ok, "circle_check", "triangle_alert"),
            color_scheme=rx.cond(ok, "green", "red"),
            size="1",
            role="status",
            aria_label=name,
        ),
    )
