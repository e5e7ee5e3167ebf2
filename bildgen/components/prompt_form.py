import reflex as rx

from bildgen.components.advanced import advanced_settings
from bildgen.components.i18n import t
from bildgen.components.presets import preset_selects
from bildgen.components.prompt_help import effective_prompt, improve_prompt
from bildgen.components.references import drop_zone, references_field
from bildgen.components.service_options import service_options
from bildgen.params import MAX_VARIANTS
from bildgen.state.studio import StudioState


def _label(text, target: str) -> rx.Component:
    return rx.el.label(text, html_for=target, class_name="rt-Text rt-r-size-2 rt-r-weight-bold")


def model_picker() -> rx.Component:
    return rx.vstack(
        rx.text(t("Model"), id="model-label", weight="bold", size="2"),
        rx.select.root(
            rx.select.trigger(aria_labelledby="model-label", width="100%"),
            rx.select.content(
                rx.foreach(
                    StudioState.models,
                    lambda choice: rx.select.item(
                        rx.cond(
                            choice.cloud == "",
                            choice.label,
                            rx.cond(
                                choice.cloud_edits_only,
                                t("{model} — edits send data to {company}", model=choice.label, company=choice.cloud),
                                t("{model} — sends data to {company}", model=choice.label, company=choice.cloud),
                            ),
                        ),
                        value=choice.id,
                    ),
                )
            ),
            value=StudioState.model_id,
            on_change=StudioState.choose_model,
        ),
        rx.cond(
            StudioState.serving_label != StudioState.model_label,
            rx.text(
                rx.icon("arrow-right-left", size=12),
                " ",
                t("Edits run on {model}: its sizes and steps apply to this run.", model=StudioState.serving_label),
                size="1",
                color_scheme="gray",
                role="status",
            ),
        ),
        # The administrator's help text for the chosen profile.
        rx.cond(
            StudioState.model_description != "",
            rx.text(StudioState.model_description, id="model-description", size="1", color_scheme="gray"),
        ),
        width="100%",
        spacing="1",
    )


def _mode_label() -> rx.Var:
    """Text to image, or an edit with its number of references (and whether only a painted area changes)."""
    count, masked = StudioState.references.length(), StudioState.mask
    return rx.cond(
        count == 0,
        t("Text to image"),
        rx.cond(
            count == 1,
            rx.cond(masked, t("Edit with 1 reference · masked area only"), t("Edit with 1 reference")),
            rx.cond(
                masked,
                t("Edit with {count} references · masked area only", count=count),
                t("Edit with {count} references", count=count),
            ),
        ),
    )


def negative_prompt_field() -> rx.Component:
    return rx.cond(
        StudioState.takes_negative_prompt,
        rx.vstack(
            _label(t("Negative prompt"), "negative_prompt"),
            rx.text_area(
                id="negative_prompt",
                name="negative_prompt",
                value=StudioState.negative_prompt,
                on_change=StudioState.set_negative_prompt,
                placeholder=t("What the image should not show: blurry, text, watermark…"),
                rows="2",
                width="100%",
            ),
            width="100%",
            spacing="1",
        ),
        rx.text(t("{model} takes no negative prompt.", model=StudioState.serving_label), size="1", color_scheme="gray"),
    )


def image_count() -> rx.Component:
    return rx.vstack(
        rx.text(t("Images"), id="image-count-label", weight="bold", size="2"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(str(n), value=str(n)) for n in range(1, MAX_VARIANTS + 1)],
            value=StudioState.count_shown,
            on_change=StudioState.set_image_count,
            aria_labelledby="image-count-label",
            width="100%",
        ),
        width="100%",
        spacing="1",
    )


def cloud_notice() -> rx.Component:
    """Before Generate: this run leaves the organisation's own servers."""
    return rx.cond(
        StudioState.cloud != "",
        rx.callout(
            t(
                "Sends data to {company}: the prompt and any reference images leave your organisation.",
                company=StudioState.cloud,
            ),
            icon="cloud-upload",
            color_scheme="amber",
            size="1",
            role="note",
            width="100%",
        ),
    )


# Keyboard hints mean nothing on a touch screen.
HIDDEN_ON_TOUCH = {"@media (hover: none) and (pointer: coarse)": {"display": "none"}}


FORM_ID = "studio-form"
WIDE = "md"


def _generate_button(**props) -> rx.Component:
    # Runs are cancelled on their own cards in the feed; Generate can queue the next one meanwhile.
    return rx.button(
        rx.cond(StudioState.submitting, rx.spinner(size="2"), rx.icon("sparkles", size=16)),
        t("Generate"),
        type="submit",
        disabled=StudioState.prompt_missing | StudioState.submitting | StudioState.has_problems,
        size="3",
        width="100%",
        **props,
    )


def generate_buttons() -> rx.Component:
    """Generate at the end of the form, on a wide screen (a phone has generate_bar instead). It sticks
    to the bottom of the form's column while the form is taller than the screen, so it is always at
    hand without scrolling."""
    return rx.box(
        _generate_button(),
        width="100%",
        position="sticky",
        bottom="0",
        z_index="2",
        padding_y="8px",
        background_color="var(--color-panel-solid)",
        display=rx.breakpoints(initial="none", **{WIDE: "block"}),
    )


def generate_bar() -> rx.Component:
    """On a phone, Generate stays at the bottom of the screen wherever the page is scrolled. It sits
    outside the form's card (a card's backdrop filter would pin a fixed child to the card) and
    submits the form by its id."""
    return rx.box(
        _generate_button(custom_attrs={"form": FORM_ID}),
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="4",
        padding="12px 16px calc(12px + env(safe-area-inset-bottom))",
        background_color="var(--color-panel-solid)",
        border_top="1px solid var(--gray-a5)",
        display=rx.breakpoints(initial="block", **{WIDE: "none"}),
    )


def prompt_form() -> rx.Component:
    # A form, so Generate submits exactly what is in the fields, not the debounced state values.
    return drop_zone(
        rx.card(
            rx.form(
                rx.vstack(
                    model_picker(),
                    rx.badge(_mode_label(), variant="surface", size="2", aria_live="polite"),
                    _label(t("Prompt"), "prompt"),
                    rx.text_area(
                        id="prompt",
                        name="prompt",
                        value=StudioState.prompt,
                        on_change=StudioState.set_prompt,
                        placeholder=t("Describe the image: a red fox in fresh snow at dawn, soft light…"),
                        rows="5",
                        resize="vertical",
                        width="100%",
                        auto_focus=True,
                        custom_attrs={"data-generate-shortcut": "true"},
                    ),
                    improve_prompt(),
                    references_field(),
                    negative_prompt_field(),
                    preset_selects(),
                    service_options(),
                    image_count(),
                    advanced_settings(),
                    rx.box(
                        rx.text(t("Effective parameters"), size="1", weight="bold", id="effective-label"),
                        rx.text(
                            StudioState.effective_summary,
                            size="1",
                            color_scheme="gray",
                            aria_labelledby="effective-label",
                            id="effective-parameters",
                        ),
                        width="100%",
                    ),
                    effective_prompt(),
                    rx.el.input(type="hidden", name="submission", value=StudioState.submission),
                    cloud_notice(),
                    generate_buttons(),
                    rx.text(
                        rx.cond(
                            StudioState.prompt_missing,
                            t("Type a prompt to enable Generate."),
                            rx.cond(
                                StudioState.has_problems,
                                t("Some advanced settings are invalid; see Advanced settings."),
                                rx.text(
                                    t("Ctrl+Enter (⌘+Enter on a Mac) also generates."),
                                    as_="span",
                                    style=HIDDEN_ON_TOUCH,
                                ),
                            ),
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=StudioState.generate,
                reset_on_submit=False,
                id=FORM_ID,
            ),
            width="100%",
            # Clipped without being a scroll container (Radix's `hidden` is one), so that Generate
            # can stick to the bottom of the column that scrolls.
            style={"overflow": "clip"},
        )
    )
