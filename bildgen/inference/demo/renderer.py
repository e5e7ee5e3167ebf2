"""Deterministic stand-in for a diffusion model: draws a picture from the prompt and the seed.

The same inputs always give byte-identical PNGs, so reproducibility can be tested end to end;
colours come from the prompt's words and the layout from the seed, so a person can tell two
prompts (and two seeds) apart at a glance.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEMO_LABEL = "DEMO RENDERER – no AI model"
# DejaVu Sans (bundled, so that captions look the same on every machine): umlauts, ß, dashes, many
# symbols; Pillow's built-in font draws all of those as empty boxes.
FONT_FILE = Path(__file__).with_name("fonts") / "DejaVuSans.ttf"


def _word_colour(word: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(word.lower().encode("utf-8")).digest()
    # Keep colours away from black and white so shapes and text stay readable.
    return tuple(48 + b % 176 for b in digest[:3])  # type: ignore[return-value]


def _recipe_rng(prompt: str, width: int, height: int, steps: int, guidance: float, seed: int) -> random.Random:
    key = f"{prompt}\x00{width}x{height}\x00{steps}\x00{guidance:.4f}\x00{seed}"
    return random.Random(hashlib.sha256(key.encode("utf-8")).digest())


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), max(10, size))


@functools.cache
def _has_glyph(character: str) -> bool:
    font = _font(24)
    # A character the font lacks is drawn as its "missing glyph" box: compare with a private-use one.
    return bytes(font.getmask(character)) != bytes(font.getmask("\U000f0000"))


def drawable(text: str) -> str:
    """The text with every character the font cannot draw spelled out by name ("🎨" → "[artist palette]");
    line breaks, tabs and other control characters as spaces (the text layout refuses some of them)."""
    return "".join(
        " "
        if character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")
        else character
        if _has_glyph(character)
        else f"[{unicodedata.name(character, 'symbol').lower()}]"
        for character in text
    )


def render(
    prompt: str,
    *,
    width: int,
    height: int,
    seed: int,
    steps: int = 20,
    guidance: float = 4.0,
) -> bytes:
    """Return a PNG of exactly width×height pixels for this recipe."""
    image = _picture(prompt, width=width, height=height, seed=seed, steps=steps, guidance=guidance)
    _draw_caption(ImageDraw.Draw(image), prompt, width=width, height=height, seed=seed)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _picture(prompt: str, *, width: int, height: int, seed: int, steps: int, guidance: float) -> Image.Image:
    words = [w for w in prompt.split() if w.strip()] or ["empty"]
    palette = [_word_colour(w) for w in words]
    rng = _recipe_rng(prompt, width, height, steps, guidance, seed)

    top, bottom = palette[0], palette[-1] if len(palette) > 1 else tuple(255 - c for c in palette[0])
    mask = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask)

    draw = ImageDraw.Draw(image)
    shortest = min(width, height)
    # More steps, more detail: a visible (if playful) link between the knobs and the picture.
    for index in range(min(4 + steps // 5, 40)):
        colour = palette[index % len(palette)]
        radius = rng.randint(shortest // 16, max(shortest // 16 + 1, shortest // 4))
        x, y = rng.randint(0, width), rng.randint(0, height)
        box = (x - radius, y - radius, x + radius, y + radius)
        shape = rng.choice(("ellipse", "rectangle", "triangle"))
        outline = tuple(max(0, c - 60) for c in colour)
        if shape == "ellipse":
            draw.ellipse(box, fill=colour, outline=outline, width=max(1, shortest // 200))
        elif shape == "rectangle":
            draw.rectangle(box, fill=colour, outline=outline, width=max(1, shortest // 200))
        else:
            draw.polygon(
                [(x, y - radius), (x - radius, y + radius), (x + radius, y + radius)], fill=colour, outline=outline
            )
    return image


def _wrapped(text: str, font: ImageFont.FreeTypeFont, room: float) -> list[str]:
    """Lines of whole words that fit `room` pixels as drawn (capitals are wider than a count of
    characters allows for); a single word too long for a line is cut."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= room:
            lines[-1] = candidate
        else:
            lines.append(word)
    return [_cut_to(line, font, room) for line in lines] or [""]


def _cut_to(line: str, font: ImageFont.FreeTypeFont, room: float) -> str:
    while len(line) > 1 and font.getlength(line) > room:
        line = line[:-1]
    return line


def _draw_caption(draw: ImageDraw.ImageDraw, prompt: str, *, width: int, height: int, seed: int) -> None:
    text_size = max(12, min(width, height) // 24)
    font = _font(text_size)
    room = width - text_size  # half a text size of margin on each side
    lines = _wrapped(drawable(prompt.strip()) or "(empty prompt)", font, room)[:4]
    lines += _wrapped(f"seed {seed} – {DEMO_LABEL}", font, room)
    line_height = int(text_size * 1.3)
    banner_top = height - line_height * len(lines) - text_size
    draw.rectangle((0, banner_top, width, height), fill=(0, 0, 0))
    for number, line in enumerate(lines):
        draw.text(
            (text_size // 2, banner_top + text_size // 2 + number * line_height), line, fill=(255, 255, 255), font=font
        )


def render_edit(
    prompt: str,
    references: list[bytes],
    *,
    width: int,
    height: int,
    seed: int,
    steps: int = 20,
    guidance: float = 4.0,
) -> bytes:
    """An "edit": the first reference, tinted by the prompt's picture, with every reference shown small.

    The output is visibly made from the references, so a test (or a person) can tell that the
    edit path was taken and which images went into it.
    """
    drawn = _picture(prompt, width=width, height=height, seed=seed, steps=steps, guidance=guidance)
    with Image.open(io.BytesIO(references[0])) as first:
        base = first.convert("RGB").resize((width, height))
    image = Image.blend(base, drawn, 0.35)
    thumb_side = max(16, min(width, height) // 6)
    for index, reference in enumerate(references):
        with Image.open(io.BytesIO(reference)) as source:
            thumb = source.convert("RGB").resize((thumb_side, thumb_side))
        x = 8 + index * (thumb_side + 8)
        if x + thumb_side <= width:
            image.paste(thumb, (x, 8))
    # The caption last and unblended: it names this edit's prompt and seed, not the reference's.
    _draw_caption(ImageDraw.Draw(image), prompt, width=width, height=height, seed=seed)
    return _png(image)


def mask_problem(mask: bytes, image: bytes) -> str | None:
    """What OpenAI's images/edits would say about this mask: a PNG with an alpha channel, of the
    image's size. None when it is usable."""
    try:
        with Image.open(io.BytesIO(mask)) as opened, Image.open(io.BytesIO(image)) as edited:
            if opened.format != "PNG" or "A" not in opened.getbands():
                return "Invalid mask: it must be a PNG with an alpha channel (transparent = the area to edit)."
            if opened.size != edited.size:
                return f"Invalid mask: it is {opened.width}x{opened.height}, the image {edited.width}x{edited.height}."
    except Exception:
        return "Invalid mask: it could not be decoded."
    return None


def repaint_masked(original: bytes, edit: bytes, mask: bytes) -> bytes:
    """Only the masked area changes: the edit where the mask is transparent, the original elsewhere
    (scaled to the edit's size), so a test or a person can see that the mask was honoured."""
    with Image.open(io.BytesIO(edit)) as drawn:
        result = drawn.convert("RGB")
    with Image.open(io.BytesIO(original)) as source:
        kept = source.convert("RGB").resize(result.size)
    with Image.open(io.BytesIO(mask)) as opened:
        change = opened.getchannel("A").point(lambda alpha: 255 if alpha == 0 else 0).resize(result.size)
    kept.paste(result, mask=change)
    return _png(kept)
