"""The options a model's service takes beyond the diffusion basics (its Capabilities): quality,
aspect ratio, image size, denoising strength, prompt upsampling, safety tolerance. Each shows only
where the serving model takes it, under a human name with a short help text."""

import reflex as rx

from bildgen.components.advanced import field_problem, number_field
from bildgen.components.i18n import t
from bildgen.state.studio import SERVICE_DEFAULT, StudioState


def _choice(field: str, label, choices, hint) -> rx.Component:
    label_id = f"{field}-label"
    return rx.cond(
        choices.length() > 0,
        rx.vstack(
            rx.text(label, id=label_id, weight="medium", size="2"),
            rx.select.root(
                rx.select.trigger(aria_labelledby=label_id, width="100%"),
                rx.select.content(
                    rx.select.item(t("Service default"), value=SERVICE_DEFAULT),
                    rx.foreach(choices, lambda choice: rx.select.item(choice, value=choice)),
                ),
                value=rx.cond(StudioState.options[field], StudioState.options[field], SERVICE_DEFAULT),
                on_change=lambda value: StudioState.set_option(field, value),
            ),
            rx.text(hint, size="1", color_scheme="gray"),
            field_problem(field),
            width="100%",
            spacing="1",
        ),
    )


def _typed(field: str, label, placeholder: str, hint, *, step: str) -> rx.Component:
    return number_field(
        field,
        label,
        placeholder,
        step=step,
        hint=hint,
        value=rx.cond(StudioState.options[field], StudioState.options[field], ""),
        on_change=lambda value: StudioState.set_option(field, value),
    )


def _upsampling() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.hstack(
                rx.switch(
                    checked=StudioState.prompt_upsampling,
                    on_change=StudioState.set_prompt_upsampling,
                    id="prompt_upsampling",
                ),
                rx.el.label(t("Prompt upsampling"), html_for="prompt_upsampling"),
                align="center",
                spacing="2",
            ),
            as_="div",
            size="2",
            weight="medium",
        ),
        rx.text(
            t("The service rewrites the prompt with more detail before generating."), size="1", color_scheme="gray"
        ),
        width="100%",
        spacing="1",
    )


def service_options() -> rx.Component:
    return rx.grid(
        _choice("quality", t("Quality"), StudioState.qualities, t("Higher takes longer and costs more.")),
        _choice(
            "aspect_ratio",
            t("Aspect ratio"),
            StudioState.aspect_ratios,
            t("The picture's shape; the service picks the pixels."),
        ),
        _choice("image_size", t("Image size"), StudioState.image_sizes, t("The resolution the service renders at.")),
        rx.cond(
            StudioState.takes_denoising,
            _typed(
                "denoising_strength",
                t("Denoising strength"),
                "0.75",
                t("How far the result may move from the reference: 0 keeps it, 1 ignores it."),
                step="0.05",
            ),
        ),
        rx.cond(
            StudioState.takes_safety,
            _typed(
                "safety_tolerance",
                t("Safety tolerance"),
                "2",
                t("How strict the service's moderation is: 0 strictest, 6 most permissive."),
                step="1",
            ),
        ),
        rx.cond(StudioState.takes_upsampling, rx.box(_upsampling(), grid_column="span 2")),
        columns="2",
        spacing="3",
        width="100%",
    )
