import reflex as rx

from bildgen.components.i18n import t


def download_link(
    image_path, filename, *, size: str | dict[str, str] = "1", icon_only: bool = False, **props
) -> rx.Component:
    """A button-looking link that downloads the image under its descriptive filename (icon_only:
    looks like an icon button; give it an aria_label then). `size` may differ by breakpoint, as
    rx.breakpoints gives it: {"initial": "2", "md": "1"}."""
    kind = "rt-IconButton" if icon_only else "rt-Button"
    sizes = size if isinstance(size, dict) else {"initial": size}
    size_classes = " ".join(
        f"rt-r-size-{value}" if point == "initial" else f"{point}:rt-r-size-{value}" for point, value in sizes.items()
    )
    return rx.el.a(
        rx.icon("download", size=14),
        *([] if icon_only else [t("Download")]),
        href=rx.get_upload_url(image_path) + "?download=1",
        download=filename,
        # Reflex renders <a> as a React Router link, which would swallow the click as navigation.
        custom_attrs={"reloadDocument": True},
        class_name=f"rt-reset rt-BaseButton {size_classes} rt-variant-soft {kind}",
        **props,
    )
