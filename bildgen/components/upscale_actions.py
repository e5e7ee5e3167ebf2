"""Upscale ×2 / ×4 buttons: small pieces that fit the result card's action row (or an overflow menu)
and the lightbox's actions."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.generation.upscale import FACTORS
from bildgen.state.upscale import UpscaleState


def upscale_result_actions(image_id, number, size) -> list[rx.Component]:
    """One icon button per factor for a result card: "Upscale image 2 ×4"."""
    return [
        rx.tooltip(
            rx.icon_button(
                rx.text(f"×{factor}", size="1", weight="bold"),
                size=size,
                variant="soft",
                type="button",
                on_click=UpscaleState.upscale_result(image_id, factor),
                aria_label=t("Upscale image {number} ×{factor}", number=number, factor=factor),
            ),
            content=t("Upscale ×{factor} (a new, larger image)", factor=factor),
        )
        for factor in FACTORS
    ]


def upscale_lightbox_actions() -> list[rx.Component]:
    """One labelled button per factor for the image shown in the lightbox."""
    return [
        rx.button(
            rx.icon("scaling", size=14),
            t("Upscale ×{factor}", factor=factor),
            variant="soft",
            on_click=UpscaleState.upscale_shown(factor),
        )
        for factor in FACTORS
    ]
