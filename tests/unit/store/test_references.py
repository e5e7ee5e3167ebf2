import asyncio
import io
import struct
import threading
import time

import pytest
from PIL import Image

from bildgen.store import references
from bildgen.store.references import MAX_BYTES, ReferenceRejected, clean_reference, clean_reference_async


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


def s15fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + s15fixed16(x) + s15fixed16(y) + s15fixed16(z)


def linear_rgb_profile() -> bytes:
    """An ICC v2 display profile with sRGB's primaries but a linear tone curve: mid grey 128 is sRGB's 188."""
    text = b"linear RGB"
    description = b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * 78
    identity_curve = b"curv\0\0\0\0" + struct.pack(">I", 0)
    tags = [
        (b"desc", description),
        (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz_tag(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz_tag(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz_tag(0.1431, 0.0606, 0.7141)),
        (b"rTRC", identity_curve),
        (b"gTRC", identity_curve),
        (b"bTRC", identity_curve),
    ]
    table, data = b"", b""
    start = 128 + 4 + 12 * len(tags)
    for name, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += name + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", start + len(data))
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + s15fixed16(0.9642)
        + s15fixed16(1.0)
        + s15fixed16(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + data


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP"])
def test_colours_in_another_profile_are_converted_to_srgb_and_the_profile_dropped(image_format):
    # Inference servers ignore ICC profiles: kept as it was, this grey would reach them far too dark.
    tagged = encoded(Image.new("RGB", (16, 16), (128, 128, 128)), image_format, icc_profile=linear_rgb_profile())
    png = clean_reference(tagged)
    assert b"iCCP" not in png
    image = opened(png)
    assert "icc_profile" not in image.info
    assert all(abs(channel - 188) <= 3 for channel in image.getpixel((8, 8)))


def test_transparency_survives_the_colour_conversion():
    colours = Image.new("RGBA", (16, 16), (128, 128, 128, 255))
    colours.putpixel((0, 0), (128, 128, 128, 0))
    image = opened(clean_reference(encoded(colours, "PNG", icc_profile=linear_rgb_profile())))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((8, 8))[3] == 255 and abs(image.getpixel((8, 8))[0] - 188) <= 3


def test_an_unreadable_profile_is_dropped_and_the_pixels_kept_as_srgb():
    tagged = encoded(Image.new("RGB", (16, 16), (128, 128, 128)), "PNG", icc_profile=b"not a profile at all")
    png = clean_reference(tagged)
    assert b"iCCP" not in png
    assert opened(png).getpixel((8, 8)) == (128, 128, 128)


def test_concurrent_uploads_are_decoded_one_after_another(monkeypatch):
    """Four 40-megapixel PNGs decoded at once took the worker from 137 MB to 1.3 GB; one at a time, they queue."""
    decoding = []
    most_at_once = 0
    lock = threading.Lock()
    real_decode = references.decode_checked

    def watched_decode(*args, **kwargs):
        nonlocal most_at_once
        with lock:
            decoding.append(1)
            most_at_once = max(most_at_once, len(decoding))
        try:
            time.sleep(0.05)  # a long decode: any overlap shows
            return real_decode(*args, **kwargs)
        finally:
            with lock:
                decoding.pop()

    monkeypatch.setattr(references, "decode_checked", watched_decode)
    pictures = [encoded(Image.new("RGB", (300, 200), colour), "PNG") for colour in ("red", "green", "blue", "white")]

    async def upload_all():
        return await asyncio.gather(
            *(clean_reference_async(data, name=f"{index}.png") for index, data in enumerate(pictures))
        )

    cleaned = asyncio.run(upload_all())
    assert [opened(png).getpixel((0, 0)) for png in cleaned] == [(255, 0, 0), (0, 128, 0), (0, 0, 255), (255, 255, 255)]
    assert most_at_once == 1


def test_the_async_cleaning_refuses_like_the_plain_one():
    with pytest.raises(ReferenceRejected) as caught:
        asyncio.run(clean_reference_async(b"GIF89a" + b"\0" * 32, name="cat.gif"))
    assert "cat.gif is not a PNG, JPEG or WebP image." == str(caught.value)
