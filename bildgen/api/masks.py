"""An API client's edit mask in the studio's convention (white = change, black = keep).

OpenAI's images API marks the area to change as *transparent* in a PNG with an alpha channel; the
organisation's gateway and AUTOMATIC1111 take a mask without transparency where *white* is the area
to change. Both arrive here; what leaves is a greyscale PNG where white = change, for the studio's
mask store (store/masks.py) to check against the reference and keep.
"""

from __future__ import annotations

import io

from bildgen.images.decoding import MAX_PIXELS, TooManyPixels, Undecodable, decode_checked, sniff_format

MAX_MASK_BYTES = 5 * 1024 * 1024


class MaskUnusable(ValueError):
    """The mask cannot be read; the message says why, for the user."""


def white_is_change(data: bytes) -> bytes:
    """Blocking (Pillow): run it in the image pool."""
    if not data:
        raise MaskUnusable("The mask is empty.")
    if len(data) > MAX_MASK_BYTES:
        raise MaskUnusable(f"The mask is larger than {MAX_MASK_BYTES // (1024 * 1024)} MB.")
    if sniff_format(data) != "PNG":
        raise MaskUnusable("The mask must be a PNG image.")
    try:
        image = decode_checked(data, "PNG", MAX_PIXELS)
    except TooManyPixels:
        raise MaskUnusable(f"The mask has more than {MAX_PIXELS // 1_000_000} megapixels.") from None
    except Undecodable:
        raise MaskUnusable("The mask is damaged or incomplete and cannot be read.") from None
    if "A" in image.getbands() or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:  # OpenAI's form: the transparent part is to change
            change = alpha.point(lambda value: 255 if value < 128 else 0)
        else:
            change = image.convert("L")
    else:
        change = image.convert("L")
    output = io.BytesIO()
    change.save(output, format="PNG")
    return output.getvalue()
