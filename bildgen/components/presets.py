import reflex as rx

from bildgen.components.i18n import t
from bildgen.params import MODE_PRESETS, QUALITY_PRESETS
from bildgen.state.studio import StudioState


def _preset_select(label_id: str, label, options: list[tuple[str, str]], value, on_change, modified) -> rx.Component:
    # The "modified" badge goes under the selector, never beside the label: a label that wrapped
    # would push one selector below the other (issue 15, bug 4).
    return rx.vstack(
        rx.text(label, id=label_id, weight="bold", size="2", white_space="nowrap"),
        rx.select.root(
            rx.select.trigger(aria_labelledby=label_id, width="100%"),
            rx.select.content(*[rx.select.item(t(text), value=key) for key, text in options]),
            value=value,
            on_change=on_change,
        ),
        rx.cond(modified, rx.badge(t("modified"), color_scheme="orange", variant="soft", size="1")),
        width="100%",
        spacing="1",
    )


def preset_selects() -> rx.Component:
    return rx.grid(
        _preset_select(
            "mode-preset-label",
            t("Mode preset"),
            [(preset.id, preset.label) for preset in MODE_PRESETS],
            StudioState.mode_preset,
            StudioState.choose_mode_preset,
            StudioState.mode_modified,
        ),
        _preset_select(
            "quality-preset-label",
            t("Quality preset"),
            list(QUALITY_PRESETS),
            StudioState.quality_preset,
            StudioState.choose_quality_preset,
            StudioState.quality_modified,
        ),
        columns="2",
        spacing="3",
        width="100%",
    )
