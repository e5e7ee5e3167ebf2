import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.admin_queue import QueueRow, QueueState


def _row(row: QueueRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.user),
        rx.table.cell(row.prompt),
        rx.table.cell(row.model),
        rx.table.cell(row.variants),
        rx.table.cell(row.status),
        rx.table.cell(rx.text(row.since, white_space="nowrap")),
        rx.table.cell(row.place),
        rx.table.cell(
            rx.button(
                t("Cancel"),
                on_click=QueueState.cancel_job(row.id),
                disabled=row.cancelling,
                aria_label=row.cancel_label,
                color_scheme="red",
                variant="soft",
                size="1",
            )
        ),
    )


def queue_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(title)
                    for title in (
                        t("User"),
                        t("Prompt"),
                        t("Model"),
                        t("Variants"),
                        t("Status"),
                        t("Since"),
                        t("Place"),
                        "",
                    )
                ]
            )
        ),
        rx.table.body(rx.foreach(QueueState.rows, _row)),
        size="1",
        width="100%",
    )
