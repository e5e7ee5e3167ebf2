"""Edit masks people paint on a reference image: checked, scaled to the reference, made black and white.

A mask says which part of the first reference image the model may change: white = change, black =
keep (AUTOMATIC1111's convention; the OpenAI-compatible client turns it into OpenAI's transparent =
change when it sends it). The painter in the browser works at a reduced resolution, so a mask is
accepted in the reference's proportions and scaled to its exact size here. Checks run cheapest
first, as for references: byte size, magic bytes, the header's pixel count, then a full decode.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from PIL import Image

from bildgen.cpu import in_image_pool
from bildgen.i18n import _
from bildgen.images.decoding import MAX_PIXELS, TooManyPixels, Undecodable, decode_checked, sniff_format
from bildgen.params import Size
from bildgen.refusal import Refusal

# A painted mask compresses to a few kilobytes; anything near this is not one.
MAX_MASK_BYTES = 5 * 1024 * 1024
# The painter works on a smaller canvas rounded to whole pixels: its height may be off by that much.
ROUNDING_PX = 1.0


class MaskRejected(Refusal, ValueError):
    """The mask cannot be used; the message says why in words a user understands."""


def too_large() -> str:
    return _("The mask is larger than {size} MB.", size=MAX_MASK_BYTES // (1024 * 1024))


def clean_mask(data: bytes, *, reference_size: Size) -> bytes:
    """A greyscale PNG of exactly the reference's size, every pixel 0 (keep) or 255 (change)."""
    if not data:
        raise MaskRejected(_("The mask is empty."))
    if len(data) > MAX_MASK_BYTES:
        raise MaskRejected(too_large())
    if sniff_format(data) != "PNG":
        raise MaskRejected(_("The mask must be a PNG image."))
    try:
        image = decode_checked(data, "PNG", MAX_PIXELS)
    except TooManyPixels:
        raise MaskRejected(_("The mask has more than {count} megapixels.", count=MAX_PIXELS // 1_000_000)) from None
    except Undecodable:
        raise MaskRejected(_("The mask is damaged or incomplete and cannot be read.")) from None
    width, height = image.size
    reference_width, reference_height = reference_size
    if not _same_proportions((width, height), reference_size):
        raise MaskRejected(
            _(
                "The mask is {size} pixels but the reference image is {reference}: they must have the same proportions.",
                size=f"{width}×{height}",
                reference=f"{reference_width}×{reference_height}",
            )
        )
    grey = _painted_area(image)
    if grey.size != (reference_width, reference_height):
        grey = grey.resize((reference_width, reference_height), Image.Resampling.BILINEAR)
    binary = grey.point(lambda value: 255 if value >= 128 else 0)
    if binary.getextrema() == (0, 0):
        raise MaskRejected(_("The mask is empty: paint the area the model should change."))
    output = io.BytesIO()
    binary.save(output, format="PNG", optimize=True)
    return output.getvalue()


async def clean_mask_for(data: bytes, reference_png: Path) -> bytes:
    """clean_mask for a stored reference file, in the image pool: decoding and scaling stay off the event loop."""
    return await in_image_pool(functools.partial(_clean_mask_for, data, reference_png))


def _clean_mask_for(data: bytes, reference_png: Path) -> bytes:
    with Image.open(reference_png) as reference:  # the header only: no pixels are decoded
        size = reference.size
    return clean_mask(data, reference_size=size)


def _same_proportions(size: Size, reference: Size) -> bool:
    """Equal up to rounding the shorter side of a scaled-down canvas to whole pixels."""
    (width, height), (reference_width, reference_height) = size, reference
    height_fits = abs(height - width * reference_height / reference_width) <= ROUNDING_PX + 0.01 * height
    width_fits = abs(width - height * reference_width / reference_height) <= ROUNDING_PX + 0.01 * width
    return height_fits or width_fits


def _painted_area(image: Image.Image) -> Image.Image:
    """Brightness as the painted area; on a canvas with transparent parts, the strokes (whatever
    their colour) are what is not transparent."""
    if "A" in image.getbands() or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:
            return alpha
    return image.convert("L")
