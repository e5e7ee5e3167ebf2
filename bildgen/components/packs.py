"""The packs page: import, and per pack run on a model with extra prompts, export, share, delete.
Rendering only (state: PacksState)."""

import reflex as rx

from bildgen.batches.items import MAX_INPUT_BYTES
from bildgen.components.batch_editor import named_upload
from bildgen.components.i18n import t
from bildgen.state.packs import PackCard, PacksState

UPLOAD_ID = "pack-file"


def import_pack() -> rx.Component:
    return rx.hstack(
        named_upload(
            rx.upload.root(
                rx.button(rx.icon("upload", size=16), t("Import a pack (JSON)"), type="button", variant="soft"),
                id=UPLOAD_ID,
                accept={"application/json": [".json"]},
                max_files=1,
                max_size=MAX_INPUT_BYTES,
                on_drop=PacksState.import_pack(rx.upload_files(upload_id=UPLOAD_ID)),
                on_drop_rejected=PacksState.import_rejected,
            ),
            t("Pack JSON file"),
        ),
        rx.text(
            t("An exported pack, or a JSON file of prompts as the Batches page takes it."),
            size="1",
            color_scheme="gray",
        ),
        align="center",
        wrap="wrap",
        spacing="2",
    )


def _run_form(card: PackCard) -> rx.Component:
    model_id = "pack-model-" + card.id
    extra_id = "pack-extra-" + card.id
    return rx.form(
        rx.el.input(type="hidden", name="pack_id", value=card.id),
        rx.flex(
            rx.vstack(
                rx.el.label(t("Model"), html_for=model_id, class_name="rt-Text rt-r-size-1"),
                rx.el.select(
                    rx.foreach(PacksState.models, lambda choice: rx.el.option(choice.label, value=choice.id)),
                    id=model_id,
                    name="model",
                    default_value=PacksState.default_model,
                    aria_label=t("Model to run {pack} on", pack=card.name),
                    # Sized by its longest model label (a text field's class clipped "Demo renderer").
                    class_name="rt-reset rt-Text rt-r-size-2",
                    style={
                        "padding": "4px 8px",
                        "border": "1px solid var(--gray-7)",
                        "borderRadius": "4px",
                        "background": "var(--color-surface)",
                        "color": "var(--gray-12)",
                        "maxWidth": "100%",
                    },
                ),
                spacing="1",
            ),
            rx.vstack(
                rx.el.label(t("Extra prompts, one per line"), html_for=extra_id, class_name="rt-Text rt-r-size-1"),
                rx.text_area(
                    id=extra_id,
                    name="extra",
                    rows="2",
                    width="100%",
                    aria_label=t("Extra prompts for {pack}", pack=card.name),
                ),
                spacing="1",
                flex="1",
                min_width="200px",
            ),
            rx.button(
                rx.cond(PacksState.running == card.id, rx.spinner(size="2"), rx.icon("play", size=14)),
                t("Run"),
                type="submit",
                aria_label=t("Run {pack}", pack=card.name),
                disabled=PacksState.running != "",
            ),
            align="end",
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        # The pack travels in the form (a handler inside rx.foreach cannot capture the loop's item).
        on_submit=PacksState.run_pack,
        reset_on_submit=False,
        width="100%",
    )


def _pack(card: PackCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(card.name, size="3", as_="h3"),
                rx.cond(
                    card.shared,
                    rx.badge(t("shared"), variant="soft"),
                    rx.badge(t("private"), variant="soft", color_scheme="gray"),
                ),
                rx.text(
                    t(
                        "{count} prompts · by {owner} · {updated}",
                        count=card.prompt_count,
                        owner=card.owner,
                        updated=card.updated,
                    ),
                    size="1",
                    color_scheme="gray",
                ),
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            _run_form(card),
            rx.hstack(
                rx.el.a(
                    rx.icon("download", size=14),
                    t("Export JSON"),
                    href=rx.get_upload_url(card.export_path),
                    download=True,
                    # Reflex renders <a> as a React Router link, which would swallow the click as navigation.
                    custom_attrs={"reloadDocument": True},
                    aria_label=t("Export {pack} as JSON", pack=card.name),
                    class_name="rt-reset rt-BaseButton rt-r-size-1 rt-variant-soft rt-Button",
                ),
                rx.cond(
                    card.compare_link != "",
                    rx.link(
                        rx.button(rx.icon("columns-3", size=14), t("Compare runs"), size="1", variant="soft"),
                        href=card.compare_link,
                    ),
                ),
                rx.cond(
                    card.mine,
                    rx.hstack(
                        rx.button(
                            rx.cond(card.shared, t("Make private"), t("Share with everyone")),
                            size="1",
                            variant="soft",
                            on_click=PacksState.set_shared(card.id, ~card.shared),
                        ),
                        rx.button(
                            t("Delete"),
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=PacksState.delete_pack(card.id),
                            aria_label=t("Delete {pack}", pack=card.name),
                        ),
                        spacing="2",
                    ),
                ),
                wrap="wrap",
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def pack_list() -> rx.Component:
    return rx.cond(
        PacksState.packs.length() > 0,
        rx.vstack(rx.foreach(PacksState.packs, _pack), spacing="3", width="100%"),
        rx.text(t("No packs yet. Save a batch as a pack from its page, or import one."), size="2", color_scheme="gray"),
    )
