"""Turn what a server sent into a validated PNG, or refuse it as the server's fault (MALFORMED): the
decoding itself is bildgen/images/decoding.py's, shared with uploads and the store."""

from __future__ import annotations

import base64
import binascii
import io

from bildgen.images.decoding import DecodedImage, TooManyPixels, Undecodable, decode_checked, sniff_format
from bildgen.inference.errors import ErrorKind, InferenceError


def decode_base64(text: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InferenceError(ErrorKind.MALFORMED, server_said="the image data is not valid base64") from None


def to_png(data: bytes) -> DecodedImage:
    image_format = sniff_format(data)
    if image_format is None:
        raise InferenceError(ErrorKind.MALFORMED, server_said="the image is not PNG, JPEG or WebP")
    try:
        image = decode_checked(data, image_format)
    except TooManyPixels as error:
        if error.size is None:
            raise InferenceError(ErrorKind.MALFORMED, server_said="the image data is damaged") from None
        width, height = error.size
        raise InferenceError(ErrorKind.MALFORMED, server_said=f"the image is too large ({width}×{height})") from None
    except Undecodable:
        raise InferenceError(ErrorKind.MALFORMED, server_said="the image data is damaged") from None
    width, height = image.size
    if image_format == "PNG":
        return DecodedImage(png=data, width=width, height=height)
    converted = io.BytesIO()
    image.convert("RGBA" if "A" in image.getbands() else "RGB").save(converted, format="PNG")
    return DecodedImage(
        png=converted.getvalue(),
        width=width,
        height=height,
        received=data,
        received_type=f"image/{image_format.lower()}",
    )
