"""URL paths in one place.

Image routes live under /_upload/private/ because Reflex's rx.get_upload_url() prefixes that with
the backend's address in every run mode; the files themselves are kept in the data folder and
served by bildgen's own route, never by the public /_upload static mount.
"""

STUDIO = "/"
IMAGE_ROUTE = "/_upload/private/images/{image_id}.png"
REFERENCE_ROUTE = "/_upload/private/references/{sha256}.png"


def image_upload_path(image_id: str) -> str:
    """The image's path relative to the upload prefix, for rx.get_upload_url()."""
    return f"private/images/{image_id}.png"


def reference_upload_path(sha256: str) -> str:
    return f"private/references/{sha256}.png"
