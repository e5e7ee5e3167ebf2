"""Reference images people upload: checked before decoding, cleaned, re-encoded, stored by hash.

Checks run cheapest first so a hostile file costs little: byte size, then the format's magic
bytes, then the pixel count read from the header (a decompression bomb never gets decoded), then a
full decode. What is kept is a fresh PNG in sRGB: EXIF orientation applied, colours converted from
an embedded ICC profile (inference servers ignore profiles), every metadata chunk dropped.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms, ImageOps

from bildgen.cpu import in_image_pool
from bildgen.i18n import _
from bildgen.images.decoding import MAX_PIXELS, TooManyPixels, Undecodable, decode_checked, sniff_format
from bildgen.refusal import Refusal

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")

SRGB = ImageCms.createProfile("sRGB")
# The Pillow mode a profile's colour space describes, and the modes whose pixels are in that space.
PROFILE_MODES = {
    "RGB": ("RGB", ("RGB", "RGBA", "RGBX", "P", "PA")),
    "GRAY": ("L", ("L", "LA", "1")),
    "CMYK": ("CMYK", ("CMYK",)),
}


class ReferenceRejected(Refusal, ValueError):
    """The upload cannot be used; the message says why in words a user understands."""


def clean_reference(data: bytes, *, name: str = "the file") -> bytes:
    if len(data) > MAX_BYTES:
        raise ReferenceRejected(_("{name} is larger than {size} MB.", name=name, size=MAX_BYTES // (1024 * 1024)))
    if not data:
        raise ReferenceRejected(_("{name} is empty.", name=name))
    image_format = sniff_format(data)
    if image_format not in ALLOWED_FORMATS:
        raise ReferenceRejected(_("{name} is not a PNG, JPEG or WebP image.", name=name))
    try:
        image = decode_checked(data, image_format, MAX_PIXELS)
    except TooManyPixels as error:
        if error.size is None:
            # Pillow's own guard fired while reading the header: far beyond our limit.
            raise ReferenceRejected(
                _(
                    "{name} has too many pixels; at most {count} megapixels are accepted.",
                    name=name,
                    count=MAX_PIXELS // 1_000_000,
                )
            ) from None
        width, height = error.size
        raise ReferenceRejected(
            _(
                "{name} is {width}×{height} pixels; at most {count} megapixels are accepted.",
                name=name,
                width=width,
                height=height,
                count=MAX_PIXELS // 1_000_000,
            )
        ) from None
    except Undecodable:
        raise ReferenceRejected(_("{name} is damaged or incomplete and cannot be read.", name=name)) from None
    profile = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)  # in place: a 40-megapixel picture is 120 MB per copy
    mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
    clean = _in_srgb(image, profile, mode)
    clean.info.clear()  # nothing of the original's metadata (ICC, EXIF, text) reaches the new file
    output = io.BytesIO()
    clean.save(output, format="PNG")
    return output.getvalue()


async def clean_reference_async(data: bytes, *, name: str = "the file") -> bytes:
    """clean_reference in the one-thread image pool: uploads arriving together are decoded one after
    another, so memory holds one decoded picture at a time (four 40-megapixel PNGs: 181 MiB peak
    instead of 640 MiB in a thread each, bench/reference_memory.md)."""
    return await in_image_pool(functools.partial(clean_reference, data, name=name))


def _in_srgb(image: Image.Image, icc_profile: bytes | None, mode: str) -> Image.Image:
    """The pixels in `mode`, converted from the image's ICC profile to sRGB when it has a usable one."""
    source = _readable_profile(icc_profile)
    space = source.profile.xcolor_space.strip() if source else None
    if space not in PROFILE_MODES or image.mode not in PROFILE_MODES[space][1]:
        # No profile, an unreadable one, or one that does not fit the pixels: taken as sRGB, as servers would.
        return image if image.mode == mode else image.convert(mode)
    base_mode = PROFILE_MODES[space][0]
    colours = image.convert(base_mode)  # a copy: the conversion may happen in place
    try:
        if base_mode == "RGB":
            ImageCms.profileToProfile(colours, source, SRGB, inPlace=True)  # no second 40-megapixel buffer
        else:
            colours = ImageCms.profileToProfile(colours, source, SRGB, outputMode="RGB")
    except ImageCms.PyCMSError:
        return image.convert(mode)
    if mode == "RGBA":
        has_alpha_band = "A" in image.getbands()
        colours.putalpha(image.getchannel("A") if has_alpha_band else image.convert("RGBA").getchannel("A"))
    return colours


def _readable_profile(icc_profile: bytes | None) -> ImageCms.ImageCmsProfile | None:
    if not icc_profile:
        return None
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return None
