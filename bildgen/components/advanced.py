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
    return rx.vstack(
        rx.el.label("Seed", html_for="seed", class_name="rt-Text rt-r-size-2 rt-r-weight-medium"),
        rx.hstack(
            rx.input(
                id="seed",
                name="seed",
                type="number",
                value=StudioState.seed,
                on_change=lambda value: StudioState.set_override("seed", value),
                placeholder="random",
                width="100%",
            ),
            rx.icon_button(
                rx.icon("dices", size=16),
                type="button",
                variant="soft",
                on_click=StudioState.roll_seed,
                aria_label="Random seed",
                title="Fill in a random seed",
            ),
            rx.icon_button(
                rx.cond(StudioState.seed_locked, rx.icon("lock", size=16), rx.icon("lock-open", size=16)),
                type="button",
                variant=rx.cond(StudioState.seed_locked, "solid", "soft"),
                on_click=StudioState.toggle_seed_lock,
                aria_label="Keep seed",
                aria_pressed=StudioState.seed_locked,
                title="Keep this seed for the next runs",
            ),
            width="100%",
            spacing="2",
        ),
        rx.text(
            rx.cond(StudioState.seed_locked, "Kept for every run.", "Empty: a new random seed each run."),
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
            header="Advanced settings",
            value="advanced",
            content=rx.grid(
                # With an aspect ratio chosen, the service picks the pixels.
                rx.cond(
                    ~StudioState.aspect_ratio_chosen,
                    number_field("width", "Width", StudioState.preset_width, step=StudioState.size_step),
                ),
                rx.cond(
                    ~StudioState.aspect_ratio_chosen,
                    number_field("height", "Height", StudioState.preset_height, step=StudioState.size_step),
                ),
                rx.cond(
                    StudioState.takes_steps,
                    number_field(
                        "steps", "Steps", StudioState.preset_steps, hint=t("More steps: finer detail, slower.")
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
