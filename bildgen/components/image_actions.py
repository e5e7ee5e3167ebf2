"""What can be done with one result image: a few actions over the image (shown on hover and keyboard
focus, always on touch screens) and the rest in a labelled overflow menu.

Every name says which image of which run it acts on ("Download image 2, run “a red fox…”"), so a
screen reader's list of buttons tells runs apart. To offer another action, add an `rx.menu.item` to
`_menu_items` (or pass it as `extra`)."""

import reflex as rx

from bildgen.components.compare import compare_toggle
from bildgen.components.download import download_link
from bildgen.components.i18n import t
from bildgen.components.upscale_actions import upscale_menu_items
from bildgen.state.lightbox import LightboxState
from bildgen.state.run_cards import VariantCard
from bildgen.state.studio import StudioState

# How much of a run's prompt its actions' names carry.
RUN_NAME_CHARS = 40
# Small on a desktop's grid of four, finger-sized on a phone.
ACTION_SIZE = {"initial": "2", "md": "1"}
OVERLAY_CLASS = "image-actions"


def run_name(prompt: rx.Var) -> rx.Var:
    """A run's prompt, cut short for the names of its images' actions."""
    return rx.cond(prompt.length() > RUN_NAME_CHARS, prompt[: RUN_NAME_CHARS - 1] + "…", prompt)


def _named(label: rx.Var, run: rx.Var) -> rx.Var:
    return label + t(", run “{prompt}”", prompt=run)


def _menu_items(card: VariantCard, sequence) -> list[rx.Component]:
    return [
        rx.menu.item(
            rx.icon("image-plus", size=14), t("Use as reference"), on_select=StudioState.use_as_reference(card.image_id)
        ),
        rx.cond(
            card.seed_sent,
            rx.menu.item(rx.icon("sprout", size=14), t("Reuse seed"), on_select=StudioState.reuse_seed(card.seed)),
        ),
        rx.menu.item(rx.icon("rotate-ccw", size=14), t("Reproduce"), on_select=StudioState.reproduce(card.image_id)),
        rx.menu.item(
            rx.icon("maximize-2", size=14), t("View large"), on_select=LightboxState.open_image(card.image_id, sequence)
        ),
        *upscale_menu_items(card.image_id),
    ]


def image_menu(card: VariantCard, sequence, run: rx.Var, *extra: rx.Component) -> rx.Component:
    """The overflow menu of one image: its trigger is named after the image and its run."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                size=rx.breakpoints(**ACTION_SIZE),
                variant="soft",
                type="button",
                aria_label=_named(t("More actions for image {number}", number=card.number), run),
                title=t("More actions"),
            )
        ),
        rx.menu.content(*_menu_items(card, sequence), *extra, size="2"),
    )


def image_actions(card: VariantCard, sequence, run: rx.Var) -> rx.Component:
    """View large, Download, Compare and the overflow menu, in a bar over the image's bottom edge."""
    return rx.hstack(
        rx.tooltip(
            rx.icon_button(
                rx.icon("maximize-2", size=14),
                size=rx.breakpoints(**ACTION_SIZE),
                variant="soft",
                type="button",
                on_click=LightboxState.open_image(card.image_id, sequence),
                aria_label=_named(t("View image {number} large", number=card.number), run),
            ),
            content=t("View large"),
        ),
        rx.tooltip(
            download_link(
                card.image_path,
                card.filename,
                size=ACTION_SIZE,
                icon_only=True,
                aria_label=_named(t("Download image {number}", number=card.number), run),
            ),
            content=t("Download the PNG with its recipe"),
        ),
        compare_toggle(
            card.image_id,
            _named(t("Compare image {number}", number=card.number), run),
            size=rx.breakpoints(**ACTION_SIZE),
        ),
        image_menu(card, sequence, run),
        class_name=OVERLAY_CLASS,
        spacing="1",
        justify="end",
        position="absolute",
        bottom="0",
        left="0",
        right="0",
        padding="8px",
        border_radius="0 0 var(--radius-3) var(--radius-3)",
        background="linear-gradient(transparent, rgba(0, 0, 0, 0.45))",
        transition="opacity 120ms",
    )


# On screens with a pointer the bar shows while the image is hovered or anything in it has focus (or
# its menu is open, or the image is picked for comparison); touch screens always show it.
HOVER_STYLE = {
    "@media (hover: hover)": {
        f"& .{OVERLAY_CLASS}": {"opacity": "0"},
        f"&:hover .{OVERLAY_CLASS}, &:focus-within .{OVERLAY_CLASS}": {"opacity": "1"},
        f"& .{OVERLAY_CLASS}:has([data-state=open]), & .{OVERLAY_CLASS}:has([aria-pressed=true])": {"opacity": "1"},
    }
}
