"""Masks from API clients: OpenAI's transparent = change and the gateway's white = change both become
the studio's white = change; what cannot be a mask is refused with a reason."""

import io

import pytest
from PIL import Image

from bildgen.api.masks import MaskUnusable, white_is_change


def encoded(image: Image.Image, image_format: str = "PNG") -> bytes:
    output = io.BytesIO()
    image.save(output, format=image_format)
    return output.getvalue()


def change_area(mask: bytes) -> set[tuple[int, int]]:
    image = Image.open(io.BytesIO(mask)).convert("L")
    return {(x, y) for x in range(image.width) for y in range(image.height) if image.getpixel((x, y)) == 255}


def test_openais_transparent_area_is_the_part_to_change():
    mask = Image.new("RGBA", (4, 2), (0, 0, 0, 255))  # OpenAI: opaque = keep …
    mask.putpixel((1, 0), (0, 0, 0, 0))  # … transparent = change
    assert change_area(white_is_change(encoded(mask))) == {(1, 0)}


def test_a_mask_without_transparency_means_white_is_the_part_to_change():
    mask = Image.new("L", (4, 2), 0)
    mask.putpixel((3, 1), 255)
    assert change_area(white_is_change(encoded(mask))) == {(3, 1)}
    opaque = Image.new("RGBA", (4, 2), (0, 0, 0, 255))  # an alpha channel that is opaque everywhere
    opaque.putpixel((0, 1), (255, 255, 255, 255))
    assert change_area(white_is_change(encoded(opaque))) == {(0, 1)}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (encoded(Image.new("RGB", (4, 4)), "JPEG"), "must be a PNG"),
        (encoded(Image.new("L", (4, 4)))[:40], "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_what_cannot_be_a_mask_is_refused_with_a_reason(data, reason):
    with pytest.raises(MaskUnusable, match=reason):
        white_is_change(data)
