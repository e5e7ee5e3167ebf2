"""Reference images people upload: checked before decoding, cleaned, re-encoded, stored by hash.

Checks run cheapest first so a hostile file costs little: byte size, then the format's magic
bytes, then the pixel count read from the header (a decompression bomb never gets decoded), then a
full decode. What is kept is a fresh PNG: EXIF orientation applied, every metadata chunk dropped.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from bildgen.inference.decoding import sniff_format

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")


class ReferenceRejected(ValueError):
    """The upload cannot be used; the message says why in words a user understands."""


def clean_reference(data: bytes, *, name: str = "the file") -> bytes:
    if len(data) > MAX_BYTES:
        raise ReferenceRejected(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise ReferenceRejected(f"{name} is empty.")
    image_format = sniff_format(data)
    if image_format not in ALLOWED_FORMATS:
        raise ReferenceRejected(f"{name} is not a PNG, JPEG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ReferenceRejected(
                        f"{name} is {width}×{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
                mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
                clean = upright.convert(mode)
    except ReferenceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired while reading the header: far beyond our limit.
        raise ReferenceRejected(
            f"{name} has too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ReferenceRejected(f"{name} is damaged or incomplete and cannot be read.") from None
    output = io.BytesIO()
    clean.save(output, format="PNG")  # a new file: no EXIF, no text chunks, no ICC surprises
    return output.getvalue()
