"""WebP thumbnails for the gallery, made once when an image is saved."""

from __future__ import annotations

import io

from PIL import Image

MAX_SIDE = 384


def make_thumbnail(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        image.convert("RGBA" if "A" in image.getbands() else "RGB").save(output, format="WEBP", quality=82, method=2)
        return output.getvalue()
