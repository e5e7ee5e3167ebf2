"""Labelled form fields for the Admin area's forms. They post with the form: inputs natively, selects
through the hidden native select Radix renders inside a form."""

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


def select(field_id: str, *items: rx.Component, **props) -> rx.Component:
    """The app's Radix select, named by the `<label for=field_id>` beside it; `props` go to its root
    (name, default_value or value, on_change, key)."""
    return rx.select.root(rx.select.trigger(id=field_id, min_width="10em"), rx.select.content(*items), **props)


def choice(label: str, name: str, value, options: list[tuple[str, str]], *, key=None, hint: str = "") -> rx.Component:
    """A labelled select of (value, label) options that posts with its form (values must not be empty)."""
    items = [rx.select.item(text, value=option) for option, text in options]
    return field(label, name, select(name, *items, name=name, default_value=value, key=key), hint)


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
