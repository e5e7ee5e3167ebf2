"""Masks painted in the browser: checked, scaled to their reference, black and white; stored per owner."""

import io

import pytest
from PIL import Image, ImageDraw

from bildgen.store import library
from bildgen.store.files import ImageFiles
from bildgen.store.masks import MAX_MASK_BYTES, MaskRejected, clean_mask
from bildgen.store.sweep import sweep
from tests.unit.conftest import make_user
from tests.unit.store.test_sweep import age


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def painted(size, box, *, mode="L", background=0, paint=255) -> bytes:
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).rectangle(box, fill=paint)
    return png(image)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_half_size_painting_becomes_a_black_and_white_mask_of_the_reference_size():
    # The painter works at a reduced resolution; the server scales the mask to the reference.
    mask = opened(clean_mask(painted((160, 120), (40, 30, 119, 89), paint=200), reference_size=(320, 240)))
    assert mask.format == "PNG" and mask.mode == "L" and mask.size == (320, 240)
    assert set(mask.get_flattened_data()) == {0, 255}
    assert mask.getpixel((160, 120)) == 255  # painted: change
    assert mask.getpixel((10, 10)) == 0  # not painted: keep


@pytest.mark.parametrize(("painted_size", "reference_size"), [((1024, 15), (4000, 60)), ((15, 1024), (60, 4000))])
def test_a_canvas_rounded_to_whole_pixels_still_fits_a_very_long_reference(painted_size, reference_size):
    mask = opened(clean_mask(painted(painted_size, (0, 0, 7, 7)), reference_size=reference_size))
    assert mask.size == reference_size


def test_strokes_on_a_transparent_canvas_count_as_painted_and_the_rest_as_kept():
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((16, 16, 47, 47), fill=(255, 45, 117, 255))
    mask = opened(clean_mask(png(image), reference_size=(64, 64)))
    assert mask.getpixel((32, 32)) == 255
    assert mask.getpixel((2, 2)) == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 40, "must be a PNG"),
        (png(Image.new("L", (64, 48), 0)), "paint the area"),
        (painted((64, 64), (0, 0, 10, 10)), "same proportions"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_MASK_BYTES, "larger than 5 MB"),
    ],
    ids=["empty-file", "not-png", "nothing-painted", "other-proportions", "damaged", "too-large"],
)
def test_unusable_masks_are_refused_with_a_reason(data, words):
    with pytest.raises(MaskRejected, match=words):
        clean_mask(data, reference_size=(64, 48))


def test_a_mask_is_found_by_its_owner_only_and_its_file_survives_the_sweep(tmp_path, engine):
    references = ImageFiles(tmp_path / "references")
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    reference = library.add_reference(engine, references, owner_id=anna.id, png=png(Image.new("RGB", (8, 8))), name="r")
    mask = library.add_mask(
        engine, references, owner_id=anna.id, reference_id=reference.id, png=painted((8, 8), (2, 2, 5, 5))
    )
    assert library.find_mask(engine, mask.id, anna.id).reference_id == reference.id
    assert library.find_mask(engine, mask.id, bob.id) is None

    age(references.path_for(mask.sha256), 60)
    sweep(
        engine,
        images=ImageFiles(tmp_path / "images"),
        thumbnails=ImageFiles(tmp_path / "thumbnails", suffix=".webp"),
        references=references,
    )
    assert references.path_for(mask.sha256).exists()
