from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from bildgen import routes
from bildgen.components.i18n import t
from bildgen.http.limits import MAX_UPLOAD_FILES
from bildgen.state.studio import MaskCard, ReferenceCard, StudioState
from bildgen.store.references import MAX_BYTES

UPLOAD_ID = "references"
ACCEPTED = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}


def _painter_texts() -> rx.Var:
    """The painter's words in the reader's language, as one JSON object for assets/mask_painter.js."""
    texts = {
        "title": t("Paint mask"),
        "help": t(
            "Paint the area the model may change; everything else stays as it is. [ and ] change the brush size."
        ),
        "brush": t("Brush"),
        "brushTip": t("Paint the area to change (B)"),
        "eraser": t("Eraser"),
        "eraserTip": t("Erase painted parts (E)"),
        "size": t("Brush size"),
        "undo": t("Undo"),
        "undoTip": t("Undo the last change (Ctrl+Z)"),
        "invert": t("Invert"),
        "invertTip": t("Swap painted and unpainted areas"),
        "clear": t("Clear"),
        "clearTip": t("Remove all painting"),
        "picture": t("The reference image to paint on"),
        "canvas": t("Mask: drag over the image to paint the area to change"),
        "cancel": t("Cancel"),
        "save": t("Use mask"),
        "empty": t("Paint the area the model should change first."),
        "unloadable": t("The image could not be loaded. Close the painter and try again."),
        "gone": t("The reference image is no longer available."),
        "failed": t("The mask could not be saved. Try again."),
        "offline": t("The mask could not be sent: check the connection and try again."),
    }
    return rx.Var.create(texts).to_string()


def _open_painter(card: ReferenceCard) -> rx.event.EventSpec:
    """assets/mask_painter.js posts the mask itself; the state only gets the id it was stored under."""
    image = routes.REFERENCE_ROUTE.format(reference_id=card.id)
    upload = routes.MASK_UPLOAD_ROUTE.format(reference_id=card.id)
    return rx.call_script(
        f"window.bildgenMaskPainter.open({{image: '{image}', upload: '{upload}', "
        f"mask: '{StudioState.mask_url}' || null, texts: {_painter_texts()}}})",
        callback=StudioState.mask_saved,
    )


def _mask_overlay() -> rx.Component:
    """The painted area lit up over the first reference's thumbnail (white = change)."""
    return rx.cond(
        StudioState.mask,
        rx.image(
            src=rx.get_upload_url(StudioState.mask.to(MaskCard).image_path),
            alt=t("Mask painted on reference image 1"),
            position="absolute",
            inset="0",
            width="72px",
            height="72px",
            object_fit="cover",
            opacity="0.7",
            style={"mixBlendMode": "screen"},
            border_radius="var(--radius-2)",
        ),
    )


def _mask_tools(card: ReferenceCard) -> rx.Component:
    """Under the first reference (the image an edit changes): paint or edit its mask, or remove it."""
    unsupported = t("{model} cannot limit an edit to a painted area.", model=StudioState.edit_label)
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.icon("brush", size=14),
                rx.cond(StudioState.mask, t("Edit mask"), t("Paint mask")),
                size="1",
                variant="soft",
                type="button",
                disabled=~StudioState.takes_masks,
                on_click=_open_painter(card),
                title=rx.cond(StudioState.takes_masks, t("Paint the area the model may change"), unsupported),
            ),
            rx.cond(
                StudioState.mask,
                rx.icon_button(
                    rx.icon("eraser", size=12),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    type="button",
                    on_click=StudioState.remove_mask,
                    aria_label=t("Remove mask"),
                    title=t("Remove mask: the whole image may change"),
                ),
            ),
            spacing="1",
            align="center",
        ),
        rx.cond(~StudioState.takes_masks, rx.text(unsupported, size="1", color_scheme="gray", max_width="160px")),
        spacing="1",
        align="center",
    )


def _thumbnail(card: ReferenceCard, index: rx.Var[int]) -> rx.Component:
    number = index + 1
    return rx.vstack(
        rx.box(
            rx.image(
                src=rx.get_upload_url(card.image_path),
                alt=t("Reference image {number}: {name}", number=number, name=card.name),
                width="72px",
                height="72px",
                object_fit="cover",
                border_radius="var(--radius-2)",
            ),
            rx.cond(index == 0, _mask_overlay()),
            position="relative",
            width="72px",
            height="72px",
        ),
        rx.hstack(
            rx.text(t("Image {number}", number=number), size="1"),
            rx.icon_button(
                rx.icon("x", size=12),
                size="1",
                variant="ghost",
                color_scheme="gray",
                type="button",
                on_click=StudioState.remove_reference(index),
                aria_label=t("Remove reference image {number}", number=number),
            ),
            spacing="1",
            align="center",
        ),
        rx.cond(index == 0, _mask_tools(card)),
        spacing="1",
        align="center",
    )


def _name_and_codes(rejected: rx.Var) -> rx.event.EventSpec:
    # Browser File objects do not survive JSON: send each file's name and error codes instead.
    def describe(record: rx.Var) -> rx.Var:
        record = record.to(ObjectVar, dict[str, Any])
        return rx.Var.create(
            {
                "name": record["file"].to(ObjectVar, dict[str, Any])["path"],
                "codes": record["errors"]
                .to(ArrayVar, list[dict[str, Any]])
                .map(lambda error: error.to(ObjectVar, dict[str, Any])["code"]),
            }
        )

    return StudioState.references_rejected(rejected.to(ArrayVar, list[dict[str, Any]]).map(describe))


def drop_zone(*children: rx.Component) -> rx.Component:
    """The whole form takes dropped files; the button and paste (assets/studio.js) open the same input."""
    zone = rx.upload.root(
        *children,
        id=UPLOAD_ID,
        accept=ACCEPTED,
        multiple=True,
        max_size=MAX_BYTES,
        # More files than the server takes in one request: the browser turns them away with a message.
        max_files=MAX_UPLOAD_FILES,
        no_click=True,
        no_keyboard=True,
        disabled=StudioState.max_references == 0,
        on_drop=StudioState.add_references(rx.upload_files(upload_id=UPLOAD_ID)),
        on_drop_rejected=_name_and_codes,
        width="100%",
    )
    # rx.upload offers no props for its hidden file input; screen readers still meet it, so name it.
    file_input = zone.children[0].children[0]
    file_input.custom_attrs["aria-label"] = t("Reference images")
    return zone


def restored_notice() -> rx.Component:
    """After a dropped PNG's recipe was restored: say so, and offer the picture as a reference."""
    return rx.cond(
        StudioState.restored_message != "",
        rx.callout(
            rx.vstack(
                rx.text(StudioState.restored_message),
                rx.hstack(
                    rx.cond(
                        StudioState.max_references > 0,
                        rx.button(
                            t("Use it as a reference instead"),
                            size="1",
                            variant="soft",
                            type="button",
                            on_click=StudioState.attach_restored_file,
                        ),
                    ),
                    rx.button(
                        t("Dismiss"), size="1", variant="ghost", type="button", on_click=StudioState.dismiss_restored
                    ),
                    spacing="2",
                ),
                spacing="2",
            ),
            icon="history",
            role="status",
            size="1",
            width="100%",
        ),
    )


def references_field() -> rx.Component:
    return rx.fragment(restored_notice(), _references_field())


def _references_field() -> rx.Component:
    return rx.cond(
        StudioState.max_references > 0,
        rx.vstack(
            rx.hstack(
                rx.text(t("Reference images"), weight="bold", size="2"),
                rx.spacer(),
                rx.text(t("up to {count}", count=StudioState.max_references), size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.cond(
                StudioState.references.length() > 0,
                rx.hstack(rx.foreach(StudioState.references, _thumbnail), wrap="wrap", spacing="2"),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("image-plus", size=16),
                    t("Add reference images"),
                    type="button",
                    variant="soft",
                    size="2",
                    # At the model's limit the picker would only lead to a refusal: say why instead.
                    disabled=StudioState.references_full,
                    aria_describedby="reference-limit",
                    on_click=rx.call_script(f"document.querySelector('#{UPLOAD_ID} input[type=file]').click()"),
                ),
                rx.text(
                    rx.cond(
                        StudioState.references_full,
                        rx.cond(
                            StudioState.max_references == 1,
                            t(
                                "{model} takes at most 1 reference image. Remove it to add another.",
                                model=StudioState.edit_label,
                            ),
                            t(
                                "{model} takes at most {count} reference images. Remove one to add another.",
                                model=StudioState.edit_label,
                                count=StudioState.max_references,
                            ),
                        ),
                        t("or drop or paste images onto the form"),
                    ),
                    id="reference-limit",
                    size="1",
                    color_scheme="gray",
                ),
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            rx.cond(
                StudioState.reference_message != "",
                rx.callout(
                    StudioState.reference_message, icon="triangle-alert", color_scheme="red", role="alert", size="1"
                ),
            ),
            width="100%",
            spacing="2",
        ),
        rx.text(t("This model takes no reference images."), size="1", color_scheme="gray"),
    )
