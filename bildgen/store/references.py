"""Reference images people upload: checked before decoding, cleaned, re-encoded, stored by hash.

Checks run cheapest first so a hostile file costs little: byte size, then the format's magic
bytes, then the pixel count read from the header (a decompression bomb never gets decoded), then a
full decode. What is kept is a fresh PNG: EXIF orientation applied, every metadata chunk dropped.
"""

from __future__ import annotations

import io

from PIL import ImageOps

from bildgen.inference.decoding import MAX_PIXELS, TooManyPixels, Undecodable, decode_checked, sniff_format

MAX_BYTES = 20 * 1024 * 1024
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
        image = decode_checked(data, image_format, MAX_PIXELS)
    except TooManyPixels as error:
        if error.size is None:
            # Pillow's own guard fired while reading the header: far beyond our limit.
            raise ReferenceRejected(
                f"{name} has too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
            ) from None
        width, height = error.size
        raise ReferenceRejected(
            f"{name} is {width}×{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        ) from None
    except Undecodable:
        raise ReferenceRejected(f"{name} is damaged or incomplete and cannot be read.") from None
    upright = ImageOps.exif_transpose(image)
    mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
    clean = upright.convert(mode)
    output = io.BytesIO()
    clean.save(output, format="PNG")  # a new file: no EXIF, no text chunks, no ICC surprises
    return output.getvalue()
