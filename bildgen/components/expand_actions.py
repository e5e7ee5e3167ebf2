"""Expand…: a small popover for the lightbox's actions (sides and amount, or a target aspect ratio)."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.expand import ASPECTS, BY_SIDES, ExpandState


def _side(side: str, label) -> rx.Component:
    return rx.text(
        rx.flex(
            rx.checkbox(
                checked=ExpandState.sides.contains(side),
                on_change=lambda on: ExpandState.toggle_side(side, on),
                disabled=ExpandState.aspect != BY_SIDES,
            ),
            label,
            gap="2",
        ),
        as_="label",
        size="2",
    )


def expand_lightbox_action() -> rx.Component:
    sides = {"left": t("Left"), "right": t("Right"), "top": t("Top"), "bottom": t("Bottom")}
    return rx.popover.root(
        rx.popover.trigger(rx.button(rx.icon("expand", size=14), t("Expand…"), variant="soft")),
        rx.popover.content(
            rx.vstack(
                rx.text(t("Add canvas on these sides"), size="2", weight="bold"),
                rx.hstack(*[_side(side, label) for side, label in sides.items()], wrap="wrap", spacing="3"),
                rx.radio_group.root(
                    rx.radio_group.item(value="0.25", aria_label=t("+25 % per side")),
                    rx.text("+25 %", size="2"),
                    rx.radio_group.item(value="0.5", aria_label=t("+50 % per side")),
                    rx.text("+50 %", size="2"),
                    value=ExpandState.amount,
                    on_change=ExpandState.set_amount,
                    direction="row",
                    aria_label=t("Amount per side"),
                    disabled=ExpandState.aspect != BY_SIDES,
                ),
                rx.select.root(
                    rx.select.trigger(aria_label=t("Target aspect ratio")),
                    rx.select.content(
                        rx.select.item(t("By sides and amount"), value=BY_SIDES),
                        *[rx.select.item(aspect, value=aspect) for aspect in ASPECTS],
                    ),
                    value=ExpandState.aspect,
                    on_change=ExpandState.set_aspect,
                ),
                rx.text(
                    t("The new area is painted by the studio's model; adjust the mask before you generate."),
                    size="1",
                    color_scheme="gray",
                ),
                rx.popover.close(rx.button(t("Prepare expand"), on_click=ExpandState.prepare)),
                spacing="3",
            ),
        ),
    )
