import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.studio import StudioState


def field_problem(field: str) -> rx.Component:
    return rx.cond(
        StudioState.problems.contains(field),
        rx.text(StudioState.problems[field], size="1", color_scheme="red", role="alert"),
    )


def number_field(field: str, label, placeholder, *, step="1", hint=None, value=None, on_change=None) -> rx.Component:
    """A labelled number input with its help text and its problem; by default one of the overrides."""
    return rx.vstack(
        rx.el.label(label, html_for=field, class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        rx.input(
            id=field,
            name=field,
            type="number",
            step=step,
            value=getattr(StudioState, field) if value is None else value,
            on_change=on_change or (lambda typed: StudioState.set_override(field, typed)),
            placeholder=placeholder,
            width="100%",
        ),
        rx.text(hint, size="1", color_scheme="gray") if hint is not None else rx.fragment(),
        field_problem(field),
        spacing="1",
        width="100%",
    )


def _seed_field() -> rx.Component:
    # A typed seed is kept for every run until it is cleared or the dice is pressed (as in
    # AUTOMATIC1111, Fooocus and InvokeAI); the field itself is the state, no separate lock.
    return rx.vstack(
        rx.el.label(t("Seed"), html_for="seed", class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        rx.hstack(
            rx.input(
                id="seed",
                name="seed",
                type="number",
                value=StudioState.seed,
                on_change=lambda value: StudioState.set_override("seed", value),
                placeholder=t("random"),
                width="100%",
            ),
            rx.icon_button(
                rx.icon("dices", size=16),
                type="button",
                variant="soft",
                on_click=StudioState.use_random_seed,
                aria_label=t("Random seed"),
                title=t("A new random seed for each run"),
            ),
            width="100%",
            spacing="2",
        ),
        rx.text(
            rx.cond(
                StudioState.seed == "",
                t("Empty: a new random seed each run."),
                t("Used for every run until you clear it or press the dice."),
            ),
            size="1",
            color_scheme="gray",
        ),
        field_problem("seed"),
        spacing="1",
        width="100%",
    )


def advanced_settings() -> rx.Component:
    return rx.accordion.root(
        rx.accordion.item(
            header=t("Advanced settings"),
            value="advanced",
            content=rx.grid(
                # With an aspect ratio chosen, the service picks the pixels.
                rx.cond(
                    ~StudioState.aspect_ratio_chosen,
                    number_field("width", t("Width"), StudioState.preset_width, step=StudioState.size_step),
                ),
                rx.cond(
                    ~StudioState.aspect_ratio_chosen,
                    number_field("height", t("Height"), StudioState.preset_height, step=StudioState.size_step),
                ),
                rx.cond(
                    StudioState.takes_steps,
                    number_field(
                        "steps", t("Steps"), StudioState.preset_steps, hint=t("More steps: finer detail, slower.")
                    ),
                ),
                rx.cond(
                    StudioState.takes_guidance,
                    number_field(
                        "guidance",
                        StudioState.guidance_label,
                        StudioState.preset_guidance,
                        step="0.1",
                        hint=t("How closely the image follows the prompt."),
                    ),
                ),
                rx.cond(StudioState.takes_seed, rx.box(_seed_field(), grid_column="span 2")),
                columns="2",
                spacing="3",
                width="100%",
            ),
        ),
        type="single",
        collapsible=True,
        variant="ghost",
        width="100%",
    )
