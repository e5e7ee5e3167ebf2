import io

import pytest
from PIL import Image, ImageChops

from bildgen.inference.demo import renderer
from bildgen.inference.demo.renderer import render


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def differing_fraction(a: bytes, b: bytes) -> float:
    difference = ImageChops.difference(pixels(a), pixels(b)).convert("L").point(lambda value: 255 if value > 24 else 0)
    return difference.histogram()[255] / (difference.width * difference.height)


def test_same_recipe_gives_byte_identical_png():
    recipe = dict(width=512, height=384, seed=1234, steps=20, guidance=4.0)
    assert render("a lighthouse in a storm", **recipe) == render("a lighthouse in a storm", **recipe)


@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (1664, 928), (928, 1664), (64, 64)])
def test_image_has_exactly_the_requested_size(width, height):
    image = Image.open(io.BytesIO(render("size check", width=width, height=height, seed=1)))
    assert image.format == "PNG"
    assert image.size == (width, height)


def test_another_seed_gives_a_visibly_different_picture():
    one = render("a lighthouse in a storm", width=512, height=512, seed=1)
    other = render("a lighthouse in a storm", width=512, height=512, seed=2)
    assert differing_fraction(one, other) > 0.2


def test_another_prompt_gives_a_visibly_different_picture():
    fox = render("a red fox", width=512, height=512, seed=7)
    ship = render("a sailing ship", width=512, height=512, seed=7)
    assert differing_fraction(fox, ship) > 0.2


@pytest.mark.parametrize("changed", [dict(steps=21), dict(guidance=5.0)])
def test_every_recipe_field_changes_the_result(changed):
    recipe = dict(width=256, height=256, seed=3, steps=20, guidance=4.0)
    assert render("knobs", **recipe) != render("knobs", **{**recipe, **changed})


def caption_band(png: bytes, *, lines: int = 2) -> Image.Image:
    """The black caption banner at the bottom (prompt lines + the seed line)."""
    image = pixels(png)
    text_size = max(12, min(image.size) // 24)
    return image.crop((0, image.height - int(text_size * 1.3) * lines - text_size, image.width, image.height))


def test_umlauts_dashes_and_symbols_are_drawn_not_left_as_empty_boxes():
    from bildgen.inference.demo.renderer import _font, drawable

    font = _font(24)
    missing = bytes(font.getmask("\U000f0000"))
    text = drawable("Äpfel, Öl, Übermut, süß – ja — 😀 🎨")
    assert all(bytes(font.getmask(character)) != missing for character in text if not character.isspace())
    # What the font lacks is spelled out, so the caption still tells prompts apart.
    assert "[artist palette]" in text and "Äpfel" in text and "süß" in text


def test_an_edits_caption_is_its_own_not_blended_with_the_references():
    from bildgen.inference.demo.renderer import render_edit

    reference = render("an old photo", width=512, height=512, seed=1)
    edit = render_edit("an old photo, but blue", [reference], width=512, height=512, seed=99)
    plain = render("an old photo, but blue", width=512, height=512, seed=99)
    # The caption band is drawn last: identical to the one of a plain render of the same recipe.
    assert ImageChops.difference(caption_band(edit), caption_band(plain)).getbbox() is None


@pytest.mark.parametrize("prompt", ["0\x850", "line\nbreak\ttab", "zero\u200bwidth", "para\u2029graph", "\x00nul"])
def test_any_text_renders_whatever_control_characters_it_holds(prompt):
    image = Image.open(io.BytesIO(render(prompt, width=256, height=256, seed=1)))
    assert image.size == (256, 256)


@pytest.mark.parametrize("side", [256, 512, 1024])
def test_the_caption_fits_the_image_whole_words_and_all(side):
    # Capitals are wider than a count of characters allows for: "DEMO RENDERER – no AI m" was cut off.
    font = renderer._font(max(12, side // 24))
    text = f"seed 4080146009 – {renderer.DEMO_LABEL}"
    lines = renderer._wrapped(text, font, side - font.size)
    assert " ".join(lines) == text
    assert all(font.getlength(line) <= side - font.size for line in lines)
