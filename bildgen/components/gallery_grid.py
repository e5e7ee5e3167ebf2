import reflex as rx

from bildgen import routes
from bildgen.components.bulk_toolbar import SELECT_STYLE, select_toggle
from bildgen.components.compare import compare_toggle
from bildgen.components.i18n import t
from bildgen.state.gallery import ALL_MODELS, GalleryCard, GalleryState, JobCard
from bildgen.state.lightbox import LightboxState


def filters() -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder=t("Words in the prompt"),
                value=GalleryState.search,
                on_change=GalleryState.set_search,
                aria_label=t("Search prompts"),
                type="search",
            ),
            min_width="220px",
        ),
        rx.select.root(
            rx.select.trigger(aria_label=t("Filter by model"), placeholder=t("All models")),
            rx.select.content(
                rx.select.item(t("All models"), value=ALL_MODELS),
                rx.foreach(GalleryState.models_used, lambda model: rx.select.item(model, value=model)),
            ),
            value=GalleryState.model_filter,
            on_change=GalleryState.set_model_filter,
        ),
        rx.cond(
            GalleryState.batch_filter != "",
            rx.badge(
                rx.icon("layers", size=14),
                t("Batch:"),
                " ",
                rx.link(GalleryState.batch_name, href="/batches/" + GalleryState.batch_filter),
                rx.link(t("show all images"), href=routes.GALLERY, size="1"),
                size="2",
                variant="soft",
            ),
        ),
        rx.el.label(
            rx.hstack(
                rx.switch(checked=GalleryState.favourites_only, on_change=GalleryState.set_favourites_only),
                rx.text(t("Favourites only"), size="2"),
                align="center",
                spacing="2",
            ),
        ),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
    )


def _job(job: JobCard) -> rx.Component:
    return rx.hstack(
        rx.spinner(size="2"),
        rx.text(t("{done} of {total} ready", done=job.done, total=job.total), " · ", rx.text.em(job.prompt), size="2"),
        align="center",
    )


def running_jobs() -> rx.Component:
    return rx.cond(
        GalleryState.jobs.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(t("Generating now"), weight="bold", size="2"), rx.foreach(GalleryState.jobs, _job), spacing="1"
            ),
            icon="loader",
            role="status",
            width="100%",
        ),
    )


# A tile is rebuilt 48 times per 'Load more': its elements carry class names only, styled once by
# the grid (no per-tile Emotion styles, no wrapper boxes, a native title instead of a Radix tooltip).
TILE_STYLE = {
    "& .gallery-tile": {"position": "relative", "min_width": "0"},
    "& .gallery-open": {
        "position": "relative",
        "padding": "0",
        "border": "none",
        "background": "none",
        "cursor": "pointer",
        "width": "100%",
        "display": "block",
    },
    "& .gallery-thumb": {
        "width": "100%",
        "aspect_ratio": "1",
        "object_fit": "cover",
        "border_radius": "var(--radius-3)",
        "display": "block",
    },
    "& .gallery-favourite": {"position": "absolute", "top": "6px", "right": "6px", "color": "var(--amber-9)"},
    "& .gallery-compare": {"position": "absolute", "top": "6px", "left": "6px"},
    "& .gallery-select": {"position": "absolute", "bottom": "28px", "left": "6px"},  # above the caption
    # One line of the prompt under the image; the tile's title and accessible name carry the rest.
    "& .gallery-caption": {
        "margin": "4px 0 0",
        "font_size": "var(--font-size-1)",
        "color": "var(--gray-11)",
        "white_space": "nowrap",
        "overflow": "hidden",
        "text_overflow": "ellipsis",
        "line_height": "18px",
        "height": "18px",
    },
    **SELECT_STYLE,
}


def _tile(card: GalleryCard) -> rx.Component:
    return rx.el.div(
        rx.el.button(
            rx.el.img(
                src=rx.get_upload_url(routes.thumbnail_upload_path(card.id)),
                alt="",
                loading="lazy",
                class_name="gallery-thumb",
            ),
            rx.cond(card.favourite, rx.icon("star", size=16, fill="currentColor", class_name="gallery-favourite")),
            type="button",
            on_click=LightboxState.open_image(card.id, GalleryState.card_ids),
            aria_label=rx.cond(
                card.seed_sent,
                t("Open image: {prompt}, seed {seed}", prompt=card.prompt, seed=card.seed),
                t("Open image: {prompt}", prompt=card.prompt),
            ),
            title=card.prompt,
            class_name="gallery-open",
        ),
        compare_toggle(
            card.id,
            rx.cond(
                card.seed_sent,
                t("Pick for comparison: {prompt}, seed {seed}", prompt=card.prompt, seed=card.seed),
                t("Pick for comparison: {prompt}", prompt=card.prompt),
            ),
            unpicked="surface",
            tooltip=False,
            class_name="gallery-compare",
        ),
        select_toggle(card, "gallery-select"),
        rx.el.p(card.prompt, class_name="gallery-caption"),
        # Keyed by the image, not its place: when 'Load more' slides the window of pages, the tiles
        # that stay keep their elements instead of every tile getting another image's src and labels.
        key=card.id,
        class_name="gallery-tile",
    )


def gallery_grid() -> rx.Component:
    return rx.vstack(
        rx.cond(
            GalleryState.newer_hidden,
            rx.button(
                rx.icon("arrow-up", size=14),
                t("Back to the newest images"),
                variant="soft",
                on_click=GalleryState.open_gallery,
            ),
        ),
        rx.cond(
            GalleryState.cards.length() > 0,
            rx.grid(
                rx.foreach(GalleryState.cards, _tile),
                columns=rx.breakpoints(initial="2", sm="3", md="4", lg="6"),
                spacing="3",
                width="100%",
                style=TILE_STYLE,
            ),
            rx.center(
                rx.cond(
                    GalleryState.filtering,
                    rx.vstack(
                        rx.text(t("No images match these filters."), color_scheme="gray"),
                        rx.button(t("Clear filters"), variant="soft", on_click=GalleryState.clear_filters),
                        align="center",
                    ),
                    rx.text(t("No images yet. Generate some in the studio."), color_scheme="gray"),
                ),
                min_height="160px",
                width="100%",
            ),
        ),
        rx.cond(
            GalleryState.next_cursor != "",
            rx.center(
                # assets/studio.js presses this when it scrolls into view: infinite scroll.
                rx.button(t("Load more"), id="gallery-more", variant="soft", on_click=GalleryState.load_more),
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
    )
