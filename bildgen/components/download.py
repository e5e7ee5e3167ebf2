import reflex as rx

from bildgen.components.i18n import t


def download_link(image_path, filename, *, size: str = "1", **props) -> rx.Component:
    """A button-looking link that downloads the image under its descriptive filename."""
    return rx.el.a(
        rx.icon("download", size=14),
        t("Download"),
        href=rx.get_upload_url(image_path) + "?download=1",
        download=filename,
        # Reflex renders <a> as a React Router link, which would swallow the click as navigation.
        custom_attrs={"reloadDocument": True},
        class_name=f"rt-reset rt-BaseButton rt-r-size-{size} rt-variant-soft rt-Button",
        **props,
    )
