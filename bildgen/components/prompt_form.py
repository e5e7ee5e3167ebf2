import reflex as rx

from bildgen.params import MAX_VARIANTS
from bildgen.state.studio import StudioState


def prompt_form() -> rx.Component:
    # A form, so Generate submits exactly what is in the textarea, not the debounced state value.
    return rx.card(
        rx.form(
          rx.vstack(
            rx.el.label("Prompt", html_for="prompt", class_name="rt-Text rt-r-weight-bold"),
            rx.text_area(
                id="prompt",
                name="prompt",
                value=StudioState.prompt,
                on_change=StudioState.set_prompt,
                placeholder="Describe the image: a red fox in fresh snow at dawn, soft light…",
                rows="6",
                resize="vertical",
                width="100%",
                auto_focus=True,
                custom_attrs={"data-generate-shortcut": "true"},
            ),
            rx.text("Images", id="image-count-label", weight="bold", size="2"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(str(n), value=str(n)) for n in range(1, MAX_VARIANTS + 1)],
                value=StudioState.image_count,
                on_change=StudioState.set_image_count,
                aria_labelledby="image-count-label",
                width="100%",
            ),
            rx.text(StudioState.parameters_line, size="1", color_scheme="gray"),
            rx.button(
                rx.cond(StudioState.running, rx.spinner(size="2"), rx.icon("sparkles", size=16)),
                "Generate",
                id="generate",
                type="submit",
                disabled=StudioState.prompt_missing | StudioState.running,
                size="3",
                width="100%",
            ),
            rx.text(
                rx.cond(
                    StudioState.prompt_missing,
                    "Type a prompt to enable Generate.",
                    "Ctrl+Enter (⌘+Enter on a Mac) also generates.",
                ),
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
          ),
          on_submit=StudioState.generate,
          reset_on_submit=False,
        ),
        width="100%",
    )
