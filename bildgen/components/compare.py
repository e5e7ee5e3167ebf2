"""Compare: a pick button on every result, a tray while some are picked, and the comparison itself,
side by side or two images under a slider (moved in the browser by assets/studio.js)."""

import reflex as rx

from bildgen.components.i18n import t
from bildgen.state.compare import SIDE_BY_SIDE, SLIDER, CompareState, PickedImage


def compare_toggle(image_id, label, *, size="1", unpicked: str = "soft", tooltip: bool = True, **props) -> rx.Component:
    """Pick this result for comparison, or put it back (a toggle: aria-pressed says which).

    Where many are built at once (a gallery page of tiles), `tooltip=False` gives the button a native
    title instead of a Radix tooltip, which costs a popper and its context per button."""
    picked = CompareState.picked_ids.contains(image_id)
    if not tooltip:
        props["title"] = t("Pick for comparison")
    button = rx.icon_button(
        rx.icon("columns-2", size=14),
        size=size,
        variant=rx.cond(picked, "solid", unpicked),
        type="button",
        on_click=CompareState.toggle_pick(image_id),
        aria_label=label,
        aria_pressed=picked,
        **props,
    )
    return rx.tooltip(button, content=t("Pick for comparison")) if tooltip else button


def compare_tray() -> rx.Component:
    """While results are picked: how many, Compare, Clear."""
    count = CompareState.picked.length()
    return rx.cond(
        count > 0,
        rx.card(
            rx.hstack(
                rx.icon("columns-2", size=16),
                rx.text(t("{count} picked for comparison", count=count), size="2"),
                rx.button(
                    t("Compare"),
                    size="2",
                    disabled=count < 2,
                    on_click=CompareState.open_comparison,
                    title=rx.cond(count < 2, t("Pick at least two results"), ""),
                ),
                rx.button(t("Clear"), size="2", variant="soft", color_scheme="gray", on_click=CompareState.clear),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                CompareState.message != "",
                rx.text(CompareState.message, size="1", color_scheme="red", role="alert"),
            ),
            role="region",
            aria_label=t("Comparison"),
            position="fixed",
            bottom=rx.breakpoints(initial="72px", md="16px"),
            left="50%",
            transform="translateX(-50%)",
            z_index="5",
            box_shadow="var(--shadow-4)",
            max_width="calc(100vw - 16px)",
        ),
    )


def _figure(item: PickedImage, index) -> rx.Component:
    return rx.el.figure(
        rx.image(
            src=rx.get_upload_url(item.image_path),
            alt=rx.cond(
                item.seed_sent,
                t("Compared image {number}: {label}, seed {seed}", number=index + 1, label=item.label, seed=item.seed),
                t("Compared image {number}: {label}", number=index + 1, label=item.label),
            ),
            width="100%",
            max_height="62dvh",
            object_fit="contain",
            border_radius="var(--radius-3)",
            background_color=rx.color("gray", 2),
        ),
        rx.el.figcaption(
            rx.text(item.label, size="2", weight="medium"),
            rx.cond(item.seed_sent, rx.text(t("seed {seed}", seed=item.seed), size="1", color_scheme="gray")),
        ),
        style={"margin": "0", "display": "flex", "flexDirection": "column", "gap": "6px"},
    )


def _caption(item: PickedImage) -> rx.Component:
    seed = rx.cond(item.seed_sent, rx.fragment(" · ", t("seed {seed}", seed=item.seed)))
    return rx.text(item.label, seed, size="1", color_scheme="gray")


def _side_by_side() -> rx.Component:
    return rx.grid(
        rx.foreach(CompareState.picked, _figure),
        spacing="4",
        width="100%",
        style={"gridTemplateColumns": "repeat(auto-fit, minmax(min(100%, 260px), 1fr))"},
    )


def _slider() -> rx.Component:
    """The second image over the first, cut at the slider: drag (or arrow keys) to move the cut."""
    first, second = CompareState.picked[0], CompareState.picked[1]
    layer = {
        "position": "absolute",
        "inset": "0",
        "width": "100%",
        "height": "100%",
        "objectFit": "contain",
    }
    return rx.vstack(
        rx.box(
            rx.image(
                src=rx.get_upload_url(first.image_path),
                alt=rx.cond(
                    first.seed_sent,
                    t("Left: {label}, seed {seed}", label=first.label, seed=first.seed),
                    t("Left: {label}", label=first.label),
                ),
                style=layer,
            ),
            rx.image(
                src=rx.get_upload_url(second.image_path),
                alt=rx.cond(
                    second.seed_sent,
                    t("Right: {label}, seed {seed}", label=second.label, seed=second.seed),
                    t("Right: {label}", label=second.label),
                ),
                style={**layer, "clipPath": "inset(0 0 0 var(--split, 50%))"},
            ),
            rx.box(
                position="absolute",
                top="0",
                bottom="0",
                width="2px",
                background_color="white",
                box_shadow="0 0 0 1px rgba(0, 0, 0, 0.4)",
                style={"left": "var(--split, 50%)"},
            ),
            position="relative",
            width="100%",
            overflow="hidden",
            style={"aspectRatio": first.width.to(str) + " / " + first.height.to(str)},
            custom_attrs={"data-compare-stage": "true"},
        ),
        rx.el.input(
            type="range",
            min="0",
            max="100",
            default_value="50",
            aria_label=t("Split between the two images"),
            custom_attrs={"data-compare-slider": "true"},
            style={"width": "100%"},
        ),
        rx.hstack(
            _caption(first),
            rx.spacer(),
            _caption(second),
            width="100%",
        ),
        # Exactly the picture's box (as wide as fits, at most 62 % of the window's height), so that
        # the cut at n % of the slider is n % into the picture.
        margin_x="auto",
        spacing="2",
        custom_attrs={"data-compare": "true"},
        style={"width": "min(100%, calc(62dvh * " + first.width.to(str) + " / " + first.height.to(str) + "))"},
    )


def compare_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(t("Compare images"), margin="0"),
                rx.spacer(),
                rx.segmented_control.root(
                    rx.segmented_control.item(t("Side by side"), value=SIDE_BY_SIDE),
                    rx.segmented_control.item(t("Slider"), value=SLIDER, disabled=CompareState.picked.length() != 2),
                    value=CompareState.mode,
                    on_change=CompareState.set_mode,
                    aria_label=t("How to compare"),
                ),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x", size=16), variant="soft", color_scheme="gray", aria_label=t("Close"))
                ),
                align="center",
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                CompareState.picked.length() != 2,
                rx.text(t("The slider compares exactly two images."), size="1", color_scheme="gray"),
            ),
            rx.box(
                rx.cond(
                    (CompareState.mode == SLIDER) & (CompareState.picked.length() == 2), _slider(), _side_by_side()
                ),
                margin_top="12px",
            ),
            max_width="1400px",
            width="calc(100vw - 32px)",
        ),
        open=CompareState.is_open,
        on_open_change=CompareState.set_open,
    )


def compare() -> rx.Component:
    """The tray and the comparison, for a page that shows results."""
    return rx.fragment(compare_tray(), compare_dialog())
