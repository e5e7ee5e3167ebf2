import reflex as rx

from bildgen.components.boards import boards_bar
from bildgen.components.bulk_toolbar import bulk_toolbar
from bildgen.components.compare import compare
from bildgen.components.gallery_grid import filters, gallery_grid, running_jobs
from bildgen.components.header import page_header
from bildgen.components.i18n import t
from bildgen.components.lightbox import lightbox, lightbox_notice
from bildgen.components.server_badge import demo_badge
from bildgen.state.gallery import GalleryState


def gallery_page() -> rx.Component:
    return rx.container(
        rx.vstack(
            page_header(rx.cond(GalleryState.demo_in_use, demo_badge())),
            rx.heading(t("Gallery"), size="5", as_="h2"),
            boards_bar(),
            filters(),
            bulk_toolbar(),
            rx.cond(GalleryState.message != "", rx.callout(GalleryState.message, icon="info", role="status", size="1")),
            lightbox_notice(),
            running_jobs(),
            gallery_grid(),
            lightbox(),
            compare(),
            spacing="4",
            width="100%",
        ),
        size="4",
        padding_y="5",
    )
