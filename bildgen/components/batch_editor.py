"""The new-batch form: prompts pasted, uploaded or typed into a paged table, the batch's defaults,
and Run. Rendering only (state: BatchEditorState)."""

import reflex as rx

from bildgen.batches.items import MAX_INPUT_BYTES
from bildgen.components.i18n import t
from bildgen.state.batches import BATCH_MODEL, BatchEditorState, EditorRow

UPLOAD_ID = "batch-file"
ACCEPTED = {"text/csv": [".csv"], "application/json": [".json"], "text/plain": [".txt"]}
NUMBER_COLUMNS = (
    ("width", t("Width")),
    ("height", t("Height")),
    ("steps", t("Steps")),
    ("guidance", t("Guidance")),
    ("seed", t("Seed")),
    ("count", t("Images")),
)


def named_upload(zone: rx.Component, label) -> rx.Component:
    """rx.upload offers no props for its hidden file input; screen readers still meet it, so name it
    (as components/references.py does for the studio's)."""
    zone.children[0].children[0].custom_attrs["aria-label"] = label
    return zone


def _label(text, target: str) -> rx.Component:
    return rx.el.label(text, html_for=target, class_name="rt-Text rt-r-size-2 rt-r-weight-medium")


def add_prompts() -> rx.Component:
    # A form of its own: Add to table takes exactly what is in the box, and empties it.
    return rx.vstack(
        rx.form(
            rx.vstack(
                _label(t("Prompts, one per line"), "batch-lines"),
                rx.text_area(
                    id="batch-lines",
                    name="lines",
                    placeholder=t("a red fox in fresh snow at dawn\na lighthouse in a storm, oil painting\n…"),
                    rows="6",
                    width="100%",
                ),
                # assets/batches.js fills this in (as an alert), and keeps the text from being sent,
                # when the pasted text is too large for one websocket message.
                rx.text(
                    id="batch-lines-too-large",
                    size="2",
                    color_scheme="red",
                    data_message=t(
                        "This text is {size} MB; the box takes at most 0.9 MB at a time. Add it in parts,"
                        " or upload it as a file (CSV or plain text, up to 2 MB)."
                    ),
                ),
                rx.button(rx.icon("list-plus", size=16), t("Add to table"), type="submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=BatchEditorState.add_lines,
            reset_on_submit=True,
            width="100%",
        ),
        rx.hstack(
            named_upload(
                rx.upload.root(
                    rx.button(rx.icon("upload", size=16), t("Upload CSV or JSON"), type="button", variant="soft"),
                    id=UPLOAD_ID,
                    accept=ACCEPTED,
                    max_files=1,
                    max_size=MAX_INPUT_BYTES,
                    on_drop=BatchEditorState.upload_items(rx.upload_files(upload_id=UPLOAD_ID)),
                    on_drop_rejected=BatchEditorState.uploads_rejected,
                ),
                t("CSV or JSON file of prompts"),
            ),
            rx.button(
                rx.icon("plus", size=16),
                t("Add an empty row"),
                type="button",
                variant="ghost",
                on_click=BatchEditorState.add_row,
            ),
            wrap="wrap",
            spacing="2",
        ),
        # Plain words first; the exact field names behind a disclosure, for those who write such files.
        rx.text(
            t(
                "A file holds one prompt per row (CSV) or per entry (JSON). Size, steps, seed, number of images "
                "and model are optional; where given they fill the table's cells."
            ),
            size="1",
            color_scheme="gray",
        ),
        rx.el.details(
            rx.el.summary(t("File format details"), class_name="rt-Text rt-r-size-1", style={"cursor": "pointer"}),
            rx.text(
                t(
                    "CSV: a header row with a prompt column and any of negative_prompt, width, height, steps, "
                    "guidance, seed, count, model. JSON: an images list of objects with prompt, negativePrompt, "
                    "width, height, steps, guidanceScale, seed, batchSize, baseModel; fields beside it apply to "
                    "every image."
                ),
                size="1",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            BatchEditorState.notes.length() > 0,
            rx.callout(
                rx.vstack(rx.foreach(BatchEditorState.notes, lambda note: rx.text(note, size="2")), spacing="1"),
                icon="info",
                role="status",
                size="1",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def theme_prompts() -> rx.Component:
    """ "Write N prompts about …": a text model writes them into the table, to edit before running."""
    return rx.cond(
        BatchEditorState.writer_label != "",
        rx.form(
            rx.flex(
                rx.vstack(
                    _label(t("Write prompts about"), "batch-theme"),
                    rx.input(
                        id="batch-theme",
                        name="theme",
                        placeholder=t("Cyberpunk world"),
                        min_length=4,
                        max_length=1000,
                        width="100%",
                    ),
                    spacing="1",
                    flex="3",
                    min_width="220px",
                ),
                rx.vstack(
                    _label(t("How many"), "batch-theme-count"),
                    rx.input(
                        id="batch-theme-count",
                        name="theme_count",
                        type="number",
                        min=1,
                        max=100,
                        default_value="10",
                        width="90px",
                    ),
                    spacing="1",
                ),
                rx.button(
                    rx.cond(BatchEditorState.writing, rx.spinner(size="2"), rx.icon("wand-sparkles", size=16)),
                    t("Write prompts"),
                    type="submit",
                    variant="soft",
                    disabled=BatchEditorState.writing,
                ),
                align="end",
                wrap="wrap",
                spacing="3",
                width="100%",
            ),
            rx.text(
                t(
                    "{model} writes them; they are added to the table below for you to edit.",
                    model=BatchEditorState.writer_label,
                ),
                size="1",
                color_scheme="gray",
            ),
            on_submit=BatchEditorState.write_prompts,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _default_field(field: str, label, placeholder) -> rx.Component:
    target = f"batch-default-{field}"
    return rx.vstack(
        _label(label, target),
        # Uncontrolled, so that Run takes what is typed (the form's data); `key` renews it when the
        # server changes the value (an uploaded file's defaults).
        rx.input(
            id=target,
            name=f"default_{field}",
            default_value=getattr(BatchEditorState, f"default_{field}"),
            key=BatchEditorState.defaults_key,
            on_blur=lambda value: BatchEditorState.set_default(field, value),
            placeholder=placeholder,
            width="100%",
        ),
        spacing="1",
        min_width="90px",
        flex="1",
    )


def defaults_form() -> rx.Component:
    return rx.vstack(
        rx.heading(t("For every prompt"), size="3", as_="h3"),
        rx.text(
            t("A row's own value beats these; empty fields take the model's defaults."), size="1", color_scheme="gray"
        ),
        rx.flex(
            rx.vstack(
                rx.text(t("Batch model"), id="batch-model-label", weight="medium", size="2"),
                rx.select.root(
                    rx.select.trigger(aria_labelledby="batch-model-label", min_width="180px"),
                    rx.select.content(
                        rx.foreach(
                            BatchEditorState.models, lambda choice: rx.select.item(choice.label, value=choice.id)
                        )
                    ),
                    value=BatchEditorState.default_model,
                    on_change=BatchEditorState.set_default_model,
                ),
                spacing="1",
            ),
            rx.vstack(
                _label(t("Batch name"), "batch-name"),
                rx.input(
                    id="batch-name",
                    name="name",
                    default_value=BatchEditorState.name,
                    key=BatchEditorState.defaults_key,
                    placeholder=t("named after its first prompt"),
                    width="100%",
                ),
                spacing="1",
                flex="2",
                min_width="200px",
            ),
            _default_field("negative_prompt", t("Negative prompt"), t("none")),
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        rx.flex(
            *[_default_field(field, label, t("model's")) for field, label in NUMBER_COLUMNS],
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _cell_input(row: EditorRow, field: str, label, width: str) -> rx.Component:
    return rx.input(
        default_value=getattr(row, field),
        on_blur=lambda value: BatchEditorState.set_cell(row.position, field, value),
        aria_label=t("{column}, row {number}", column=label, number=row.number),
        size="1",
        width=width,
    )


def _row(row: EditorRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(row.number, size="1")),
        rx.table.cell(
            rx.vstack(
                rx.text_area(
                    default_value=row.prompt,
                    on_blur=lambda value: BatchEditorState.set_cell(row.position, "prompt", value),
                    aria_label=t("Prompt, row {number}", number=row.number),
                    size="1",
                    rows="2",
                    width="100%",
                    min_width="240px",
                ),
                rx.cond(row.problem != "", rx.text(row.problem, size="1", color_scheme="red")),
                spacing="1",
                width="100%",
            )
        ),
        rx.table.cell(_cell_input(row, "negative_prompt", t("Negative prompt"), "140px")),
        *[rx.table.cell(_cell_input(row, field, label, "72px")) for field, label in NUMBER_COLUMNS],
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(aria_label=t("Model, row {number}", number=row.number), size="1"),
                rx.select.content(
                    rx.select.item(t("Batch model"), value=BATCH_MODEL),
                    rx.foreach(BatchEditorState.models, lambda choice: rx.select.item(choice.label, value=choice.id)),
                ),
                value=row.model,
                on_change=lambda value: BatchEditorState.set_cell(row.position, "model", value),
                size="1",
            )
        ),
        rx.table.cell(
            rx.icon_button(
                rx.icon("trash-2", size=14),
                variant="ghost",
                color_scheme="gray",
                size="1",
                type="button",
                on_click=BatchEditorState.remove_row(row.position),
                aria_label=t("Remove row {number}", number=row.number),
            )
        ),
        key=row.key,
        aria_invalid=rx.cond(row.problem != "", "true", "false"),
        style=rx.cond(row.problem != "", {"background": "var(--red-3)"}, {}),
    )


def items_table() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t("Prompts"), size="3", as_="h3"),
            rx.text(
                rx.cond(
                    BatchEditorState.item_count > 0,
                    t(
                        "Rows {first}–{last} of {count}",
                        first=BatchEditorState.first_row_shown,
                        last=BatchEditorState.last_row_shown,
                        count=BatchEditorState.item_count,
                    ),
                    t("No prompts yet"),
                ),
                size="2",
                color_scheme="gray",
            ),
            rx.spacer(),
            rx.cond(
                BatchEditorState.item_count > 0,
                rx.button(
                    t("Clear the table"),
                    variant="ghost",
                    color_scheme="gray",
                    size="1",
                    on_click=BatchEditorState.clear_table,
                ),
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            BatchEditorState.item_count > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("#"),
                            rx.table.column_header_cell(t("Prompt")),
                            rx.table.column_header_cell(t("Negative prompt")),
                            *[rx.table.column_header_cell(label) for _, label in NUMBER_COLUMNS],
                            rx.table.column_header_cell(t("Model")),
                            rx.table.column_header_cell(rx.el.span(t("Remove"), class_name="rt-visually-hidden")),
                        )
                    ),
                    rx.table.body(rx.foreach(BatchEditorState.rows, _row)),
                    size="1",
                    aria_label=t("Prompts of the new batch"),
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(t("Paste prompts above, upload a file or add a row."), size="2", color_scheme="gray"),
        ),
        rx.cond(
            BatchEditorState.page_count > 1,
            rx.hstack(
                rx.button(
                    t("Previous rows"),
                    type="button",
                    size="1",
                    variant="soft",
                    disabled=BatchEditorState.page == 0,
                    on_click=BatchEditorState.show_rows(BatchEditorState.page - 1),
                ),
                rx.button(
                    t("Next rows"),
                    type="button",
                    size="1",
                    variant="soft",
                    disabled=BatchEditorState.page >= BatchEditorState.page_count - 1,
                    on_click=BatchEditorState.show_rows(BatchEditorState.page + 1),
                ),
                spacing="2",
            ),
        ),
        spacing="2",
        width="100%",
    )


def run_controls() -> rx.Component:
    return rx.vstack(
        rx.cond(
            BatchEditorState.message != "",
            rx.callout(
                BatchEditorState.message,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                size="1",
                width="100%",
            ),
        ),
        rx.button(
            rx.cond(BatchEditorState.submitting, rx.spinner(size="2"), rx.icon("layers", size=16)),
            t("Run batch"),
            type="submit",
            size="3",
            disabled=BatchEditorState.submitting | (BatchEditorState.item_count == 0),
        ),
        spacing="2",
        width="100%",
    )


def batch_editor(*extra: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("New batch"), size="4", as_="h2"),
            add_prompts(),
            *extra,
            # Run submits the defaults and the name as typed; every other button here is type="button".
            rx.form(
                rx.vstack(defaults_form(), items_table(), run_controls(), spacing="4", width="100%"),
                on_submit=BatchEditorState.run_batch,
                reset_on_submit=False,
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )


def recent_batches() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Your batches"), size="4", as_="h2"),
        rx.cond(
            BatchEditorState.batches.length() > 0,
            rx.vstack(
                rx.foreach(
                    BatchEditorState.batches,
                    lambda card: rx.hstack(
                        rx.cond(card.active, rx.spinner(size="1"), rx.icon("layers", size=14)),
                        rx.link(card.name, href=f"/batches/{card.id}", weight="medium"),
                        rx.cond(card.model != "", rx.badge(card.model, variant="soft", size="1")),
                        rx.text(card.progress, size="1", color_scheme="gray"),
                        rx.text(card.created, size="1", color_scheme="gray"),
                        align="center",
                        wrap="wrap",
                        spacing="2",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text(t("No batches yet."), size="2", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )
