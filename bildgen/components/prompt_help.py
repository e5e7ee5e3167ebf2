"""Improve prompt beside the studio's prompt, the effective prompt before Generate, and the context
elements panel. Rendering only (states: PromptHelpState, ContextElementsState; StudioState read)."""

import reflex as rx

from bildgen.components.batch_editor import named_upload
from bildgen.components.i18n import t
from bildgen.prompts.elements import KIND_LABELS, MAX_TEXT, ROLE_LABELS, SENTENCE_ENDS
from bildgen.state.context_elements import NOT_USED, ContextElementsState, ElementCard
from bildgen.state.prompt_help import PromptHelpState
from bildgen.state.studio import StudioState
from bildgen.store.references import MAX_BYTES

ELEMENT_UPLOAD_ID = "element-image"
IMPROVE_HINT_ID = "improve-prompt-hint"


def improve_prompt() -> rx.Component:
    """A button under the prompt (or a pointer to the service's own upsampling), and the proposal to
    accept or discard."""
    return rx.vstack(
        rx.cond(
            PromptHelpState.upsampling_models.contains(StudioState.model_id),
            rx.text(
                t("This service improves prompts itself: switch on its Prompt upsampling option."),
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                PromptHelpState.writer_label != "",
                rx.hstack(
                    rx.button(
                        rx.cond(PromptHelpState.improving, rx.spinner(size="1"), rx.icon("wand-sparkles", size=14)),
                        t("Improve prompt"),
                        type="button",
                        size="1",
                        variant="soft",
                        disabled=StudioState.prompt_missing | PromptHelpState.improving,
                        on_click=PromptHelpState.improve_prompt(
                            StudioState.prompt, StudioState.model_id, StudioState.references.length() > 0
                        ),
                        aria_describedby=rx.cond(StudioState.prompt_missing, IMPROVE_HINT_ID, ""),
                    ),
                    # Disabled says why.
                    rx.cond(
                        StudioState.prompt_missing,
                        rx.text(
                            t("Type a prompt first: the text model rewrites it."),
                            id=IMPROVE_HINT_ID,
                            size="1",
                            color_scheme="gray",
                        ),
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
            ),
        ),
        rx.cond(
            PromptHelpState.message != "",
            rx.text(PromptHelpState.message, size="1", color_scheme="red", role="alert"),
        ),
        rx.cond(
            PromptHelpState.proposal != "",
            # A plain box, not a callout: a callout's icon column left the text box 210 px of the panel.
            rx.box(
                rx.vstack(
                    rx.hstack(
                        rx.icon("wand-sparkles", size=14),
                        rx.text(t("Original"), size="1", weight="bold"),
                        align="center",
                        spacing="1",
                    ),
                    rx.text(PromptHelpState.original, size="2"),
                    rx.text(t("Improved by {model}", model=PromptHelpState.writer_label), size="1", weight="bold"),
                    # No id or name: inside the studio's form, but never part of what it submits.
                    rx.text_area(
                        aria_label=t("Improved by {model}", model=PromptHelpState.writer_label),
                        default_value=PromptHelpState.proposal,
                        key=PromptHelpState.proposal_key,
                        on_blur=PromptHelpState.edit_proposal,
                        rows="4",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(t("Use improved prompt"), type="button", size="1", on_click=StudioState.use_proposal),
                        rx.button(
                            t("Discard"),
                            type="button",
                            size="1",
                            variant="soft",
                            color_scheme="gray",
                            on_click=PromptHelpState.discard_proposal,
                        ),
                        spacing="2",
                    ),
                    spacing="1",
                    width="100%",
                ),
                background_color=rx.color("accent", 3),
                border_radius="var(--radius-3)",
                padding="var(--space-3)",
                width="100%",
            ),
        ),
        on_mount=PromptHelpState.load_prompt_help,
        spacing="2",
        width="100%",
    )


def _joined_prompt() -> rx.Var:
    """elements.joined, in the browser: the typed prompt ends as a sentence before the elements' ones."""
    typed = StudioState.prompt.strip()
    finished = typed.endswith(SENTENCE_ENDS[0])
    for end in SENTENCE_ENDS[1:]:
        finished = finished | typed.endswith(end)
    return rx.cond(
        typed == "",
        ContextElementsState.prompt_suffix.strip(),
        typed + rx.cond(finished, "", ".") + ContextElementsState.prompt_suffix,
    )


def effective_prompt() -> rx.Component:
    """With context elements picked: exactly what is sent, before Generate."""
    return rx.cond(
        ContextElementsState.prompt_suffix != "",
        rx.box(
            rx.text(t("Effective prompt"), size="1", weight="bold", id="effective-prompt-label"),
            rx.text(
                _joined_prompt(),
                size="1",
                id="effective-prompt",
                aria_labelledby="effective-prompt-label",
            ),
            rx.cond(
                ContextElementsState.picked_images > 0,
                rx.text(
                    rx.cond(
                        ContextElementsState.picked_images == 1,
                        t("+ 1 reference image from context elements, where the model takes reference images"),
                        t(
                            "+ {count} reference images from context elements, where the model takes reference images",
                            count=ContextElementsState.picked_images,
                        ),
                    ),
                    size="1",
                    color_scheme="gray",
                ),
            ),
            width="100%",
        ),
    )


def _element(card: ElementCard) -> rx.Component:
    return rx.hstack(
        rx.el.select(
            rx.el.option(t("Not used"), value=NOT_USED),
            *[rx.el.option(t(label), value=role) for role, label in ROLE_LABELS.items()],
            value=card.role,
            on_change=lambda role: ContextElementsState.pick(card.id, role),
            aria_label=t("Role of {name}", name=card.name),
            class_name="rt-reset",
            style={"padding": "2px 6px", "border": "1px solid var(--gray-7)", "borderRadius": "4px"},
        ),
        rx.cond(
            card.thumbnail_path != "",
            rx.image(
                src=rx.get_upload_url(card.thumbnail_path),
                alt=t("Image of {name}", name=card.name),
                width="32px",
                height="32px",
                object_fit="cover",
                border_radius="var(--radius-1)",
            ),
        ),
        rx.vstack(
            rx.hstack(
                rx.text(card.name, size="2", weight="medium"), rx.badge(card.kind_label, size="1", variant="soft")
            ),
            rx.cond(card.summary != "", rx.text(card.summary, size="1", color_scheme="gray")),
            spacing="0",
            flex="1",
        ),
        rx.icon_button(
            rx.icon("pencil", size=12),
            size="1",
            variant="ghost",
            color_scheme="gray",
            on_click=ContextElementsState.start_edit(card.id),
            aria_label=t("Edit element {name}", name=card.name),
        ),
        _delete_element(card),
        align="center",
        spacing="2",
        width="100%",
    )


def _delete_element(card: ElementCard) -> rx.Component:
    """Delete asks first: an element may hold a long description and an image."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("trash-2", size=12),
                size="1",
                variant="ghost",
                color_scheme="gray",
                aria_label=t("Delete element {name}", name=card.name),
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Delete {name}?", name=card.name)),
            rx.alert_dialog.description(
                t("Its description and image go; images already made with it keep the words they were made with."),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Keep it"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(t("Delete"), color_scheme="red", on_click=ContextElementsState.delete_element(card.id))
                ),
                spacing="2",
                justify="end",
                margin_top="12px",
            ),
        ),
    )


def _element_dialog() -> rx.Component:
    """One dialog for a new element and for editing one (its fields start from the element's values)."""
    return rx.dialog.root(
        rx.button(
            rx.icon("plus", size=14),
            t("New element"),
            size="1",
            variant="soft",
            on_click=ContextElementsState.start_new_element,
        ),
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(
                    ContextElementsState.editing_name != "",
                    t("Edit {name}", name=ContextElementsState.editing_name),
                    t("New context element"),
                )
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Name"), html_for="element-name", class_name="rt-Text rt-r-size-2"),
                    rx.input(
                        id="element-name",
                        name="element_name",
                        max_length=80,
                        placeholder=t("Mira"),
                        default_value=ContextElementsState.editing_name,
                    ),
                    rx.el.label(t("Kind"), html_for="element-kind", class_name="rt-Text rt-r-size-2"),
                    rx.el.select(
                        *[rx.el.option(t(label), value=kind) for kind, label in KIND_LABELS.items()],
                        default_value=ContextElementsState.form_kind,
                        id="element-kind",
                        name="element_kind",
                        class_name="rt-reset",
                        style={"padding": "4px 8px", "border": "1px solid var(--gray-7)", "borderRadius": "4px"},
                    ),
                    rx.el.label(t("Description"), html_for="element-text", class_name="rt-Text rt-r-size-2"),
                    rx.text_area(
                        id="element-text",
                        name="element_text",
                        max_length=MAX_TEXT,
                        rows="3",
                        placeholder=t("a red-haired courier with a brass prosthetic arm"),
                        default_value=ContextElementsState.form_text,
                        width="100%",
                    ),
                    rx.hstack(
                        named_upload(
                            rx.upload.root(
                                rx.button(
                                    rx.icon("image-plus", size=14),
                                    t("Add an image"),
                                    type="button",
                                    size="1",
                                    variant="soft",
                                ),
                                id=ELEMENT_UPLOAD_ID,
                                accept={
                                    "image/png": [".png"],
                                    "image/jpeg": [".jpg", ".jpeg"],
                                    "image/webp": [".webp"],
                                },
                                max_files=1,
                                max_size=MAX_BYTES,
                                on_drop=ContextElementsState.add_element_image(
                                    rx.upload_files(upload_id=ELEMENT_UPLOAD_ID)
                                ),
                            ),
                            t("Image of the element"),
                        ),
                        rx.cond(
                            ContextElementsState.new_image_path != "",
                            rx.image(
                                src=rx.get_upload_url(ContextElementsState.new_image_path),
                                alt=rx.cond(
                                    ContextElementsState.editing_name != "",
                                    t("Image chosen for {name}", name=ContextElementsState.editing_name),
                                    t("Image of the new element"),
                                ),
                                width="48px",
                                height="48px",
                                object_fit="cover",
                            ),
                        ),
                        rx.cond(
                            ContextElementsState.new_image_path != "",
                            rx.button(
                                t("Remove image"),
                                type="button",
                                size="1",
                                variant="ghost",
                                color_scheme="gray",
                                on_click=ContextElementsState.remove_element_image,
                            ),
                        ),
                        align="center",
                        spacing="2",
                    ),
                    rx.cond(
                        ContextElementsState.message != "",
                        rx.text(ContextElementsState.message, size="1", color_scheme="red", role="alert"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray")),
                        rx.button(t("Save element"), type="submit"),
                        spacing="2",
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ContextElementsState.create_element,
                reset_on_submit=True,
                # A new key for each opening: the fields start again from the element's values.
                key=ContextElementsState.form_key,
            ),
        ),
        open=ContextElementsState.dialog_open,
        on_open_change=ContextElementsState.set_dialog_open,
    )


def context_elements_panel() -> rx.Component:
    """Outside the studio's form: its dialog has a form and an upload of its own."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("Context elements"), size="3", as_="h2"),
                rx.spacer(),
                _element_dialog(),
                align="center",
                width="100%",
            ),
            rx.text(
                t(
                    "Characters, places and styles you reuse. Pick one with a role: its words follow your prompt "
                    "(see Effective prompt) and its image goes along as a reference."
                ),
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                ContextElementsState.elements.length() > 0,
                rx.vstack(rx.foreach(ContextElementsState.elements, _element), spacing="2", width="100%"),
                rx.text(t("No elements yet."), size="1", color_scheme="gray"),
            ),
            rx.cond(
                (ContextElementsState.message != "") & ~ContextElementsState.dialog_open,
                rx.text(ContextElementsState.message, size="1", color_scheme="amber", role="status"),
            ),
            on_mount=ContextElementsState.load_elements,
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
