"""Decode image bytes completely and safely, or refuse them: nothing corrupt is ever saved."""

from __future__ import annotations

import dataclasses
import io
import warnings

from PIL import Image

MAX_PIXELS = 40_000_000


@dataclasses.dataclass(frozen=True)
class DecodedImage:
    png: bytes
    width: int
    height: int
    # What the server sent, where it was converted to PNG (a JPEG's Content Credentials live in it).
    received: bytes | None = None
    received_type: str = "image/png"


def sniff_format(data: bytes) -> str | None:
    """The format by magic bytes, never by what the server claims."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


class TooManyPixels(Exception):
    """More pixels than allowed; `size` is None when Pillow's own guard fired on the header."""

    def __init__(self, size: tuple[int, int] | None) -> None:
        super().__init__(size)
        self.size = size


class Undecodable(Exception):
    """Damaged, truncated or not what its magic bytes claim."""


def decode_checked(data: bytes, image_format: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Every pixel decoded, after the header's pixel count was checked: a bomb is never decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[image_format])
            if image.width * image.height > max_pixels:
                raise TooManyPixels(image.size)
            image.load()  # decodes every pixel: a truncated file fails here
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(None) from None
    except (OSError, SyntaxError, ValueError):
        raise Undecodable() from None
