"""Upscale ×2 / ×4 buttons: small pieces that fit the result card's action row (or an overflow menu)
and the lightbox's actions."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.generation.upscale import FACTORS
from bildgen.state.upscale import UpscaleState


def upscale_menu_items(image_id) -> list[rx.Component]:
    """One entry per factor in a result's overflow menu (components/image_actions.py)."""
    return [
        rx.menu.item(
            rx.icon("scaling", size=14),
            t("Upscale ×{factor}", factor=factor),
            on_select=UpscaleState.upscale_result(image_id, factor),
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
