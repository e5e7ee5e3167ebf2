import io

import pytest
from PIL import Image

from bildgen.store.references import MAX_BYTES, ReferenceRejected, clean_reference


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP"])
def test_allowed_formats_become_a_fresh_png_of_the_same_size(image_format):
    png = clean_reference(encoded(Image.new("RGB", (40, 30), "teal"), image_format))
    image = opened(png)
    assert image.format == "PNG"
    assert image.size == (40, 30)


def test_exif_orientation_is_applied_and_metadata_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    exif[0x010F] = "SecretCam"
    jpeg = encoded(Image.new("RGB", (40, 20), "red"), "JPEG", exif=exif.tobytes())
    image = opened(clean_reference(jpeg))
    assert image.size == (20, 40)
    assert not image.getexif()
    assert b"SecretCam" not in clean_reference(jpeg)


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "someone@example.org")
    png = clean_reference(encoded(Image.new("RGB", (8, 8)), "PNG", pnginfo=info))
    assert b"someone@example.org" not in png


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"just some notes, renamed to .png\n" * 10, "not a PNG, JPEG or WebP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>', "not a PNG, JPEG or WebP"),
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 32, "not a PNG, JPEG or WebP"),
    ],
    ids=["text-renamed-png", "svg", "empty", "gif"],
)
def test_files_that_are_not_allowed_images_are_refused(data, words):
    with pytest.raises(ReferenceRejected) as caught:
        clean_reference(data, name="upload.png")
    assert words in str(caught.value)
    assert "upload.png" in str(caught.value) or words == "empty"


def test_a_truncated_image_is_refused():
    whole = encoded(Image.effect_noise((200, 200), 40).convert("RGB"), "PNG")
    with pytest.raises(ReferenceRejected) as caught:
        clean_reference(whole[: len(whole) // 2])
    assert "damaged or incomplete" in str(caught.value)


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = encoded(Image.new("1", (20000, 20000)), "PNG")
    assert len(bomb) < 1_000_000  # small on disk, 400 megapixels once decoded
    with pytest.raises(ReferenceRejected) as caught:
        clean_reference(bomb)
    assert "at most 40 megapixels" in str(caught.value)


def test_an_image_just_over_forty_megapixels_is_refused():
    large = encoded(Image.new("1", (8000, 5001)), "PNG")
    with pytest.raises(ReferenceRejected) as caught:
        clean_reference(large)
    assert "8000×5001" in str(caught.value)


def test_a_file_over_the_size_limit_is_refused_before_decoding():
    with pytest.raises(ReferenceRejected) as caught:
        clean_reference(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES)
    assert "larger than 20 MB" in str(caught.value)
