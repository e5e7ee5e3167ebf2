"""The recipe inside the PNG: written as text chunks without touching the pixel data, read back
from ours and from AUTOMATIC1111's.

Two chunks are written before the first IDAT (so reading them back needs no pixel decoding):
- `parameters`, in AUTOMATIC1111's format, which many tools read:
  "<prompt>\\nNegative prompt: <negative>\\nSteps: 30, CFG scale: 4, Seed: 1, Size: 1024x1024, Model: m"
- `bildgen`, the full recipe as JSON.
The recipe holds no timestamps or ids, so the same recipe always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BILDGEN_KEY = "bildgen"
A1111_KEY = "parameters"
RECIPE_VERSION = 1
TEXT_CHUNKS = (b"tEXt", b"iTXt", b"zTXt")
XMP_KEY = "XML:com.adobe.xmp"


@dataclasses.dataclass(frozen=True)
class StoredRecipe:
    prompt: str
    negative_prompt: str | None = None
    steps: int | None = None
    guidance: float | None = None
    guidance_field: str | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    model: str | None = None
    model_profile: str | None = None
    mode: str | None = None
    reference_count: int = 0
    # Only the area painted on the first reference was to change (the mask is stored with the generation).
    masked: bool = False
    # The provider options the image was made with (quality, aspect_ratio, denoising_strength…).
    options: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"version": RECIPE_VERSION, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def to_a1111(self) -> str:
        lines = [self.prompt]
        if self.negative_prompt and self.negative_prompt.strip():
            lines.append(f"Negative prompt: {self.negative_prompt}")
        settings = []
        if self.steps is not None:
            settings.append(f"Steps: {self.steps}")
        if self.guidance is not None:
            settings.append(f"CFG scale: {self.guidance:g}")
        if self.seed is not None:
            settings.append(f"Seed: {self.seed}")
        if self.width and self.height:
            settings.append(f"Size: {self.width}x{self.height}")
        if self.model:
            settings.append(f"Model: {self.model.replace(',', ' ')}")
        denoising = (self.options or {}).get("denoising_strength")
        if isinstance(denoising, int | float) and not isinstance(denoising, bool):
            settings.append(f"Denoising strength: {denoising:g}")
        lines.append(", ".join(settings))
        return "\n".join(lines)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _text_chunk(key: str, text: str) -> bytes:
    try:
        return _chunk(b"tEXt", key.encode("latin-1") + b"\0" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt: keyword, no compression, no language, no translated keyword, UTF-8 text.
        return _chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8"))


def chunk_spans(png: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk up to IEND; whatever follows IEND is not part of the PNG."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(png):
        (length,) = struct.unpack_from(">I", png, position)
        end = position + 12 + length
        if end > len(png):
            raise ValueError("truncated PNG")
        kind = png[position + 4 : position + 8]
        yield kind, position, end
        if kind == b"IEND":
            return
        position = end
    raise ValueError("PNG without IEND")


def _text_after_pixels(png: bytes) -> bool:
    try:
        kinds = [kind for kind, _, _ in chunk_spans(png)]
    except ValueError:
        return True  # damaged: let Pillow read what it can, as it always did
    return b"IDAT" in kinds and any(kind in TEXT_CHUNKS for kind in kinds[kinds.index(b"IDAT") :])


def _keyword(chunk: bytes) -> bytes:
    return chunk[8:88].partition(b"\0")[0]  # keywords are at most 79 bytes


def embed(png: bytes, recipe: StoredRecipe, *, xmp: str | None = None) -> bytes:
    """The same PNG with the recipe chunks (and an XMP packet) before its pixel data; the pixels are
    left as they are.

    This is where every generated image passes before it is stored: bytes a server sent after IEND
    are dropped here, and so are text chunks of its own under our keywords.
    """
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    ours = {A1111_KEY.encode(), BILDGEN_KEY.encode()}
    recipe_chunks = _text_chunk(A1111_KEY, recipe.to_a1111()) + _text_chunk(BILDGEN_KEY, recipe.to_json())
    if xmp is not None:
        ours.add(XMP_KEY.encode())
        # The PNG standard's place for XMP: an uncompressed iTXt chunk.
        recipe_chunks += _chunk(b"iTXt", XMP_KEY.encode("latin-1") + b"\0\0\0\0\0" + xmp.encode("utf-8"))
    parts, written = [PNG_SIGNATURE], False
    for kind, start, end in chunk_spans(png):
        chunk = png[start:end]
        if kind in TEXT_CHUNKS and _keyword(chunk) in ours:
            continue
        if kind == b"IDAT" and not written:
            parts.append(recipe_chunks)
            written = True
        parts.append(chunk)
    if not written:
        raise ValueError("PNG without image data")
    return b"".join(parts)


def read(data: bytes) -> StoredRecipe | None:
    """The recipe a PNG carries (ours first, then AUTOMATIC1111's), or None."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    try:
        text_after_pixels = _text_after_pixels(data)
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            # Opening parses the text chunks before the pixel data; only later ones need a full decode.
            found = image.text if text_after_pixels else image.info
            texts = {key: value for key, value in found.items() if isinstance(value, str)}
    except Exception:
        return None
    if BILDGEN_KEY in texts:
        recipe = _from_json(texts[BILDGEN_KEY])
        if recipe is not None:
            return recipe
    if A1111_KEY in texts:
        return parse_a1111(texts[A1111_KEY])
    return None


def _from_json(text: str) -> StoredRecipe | None:
    try:
        raw: dict[str, Any] = json.loads(text)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("prompt"), str):
        return None
    known = {field.name for field in dataclasses.fields(StoredRecipe)}
    return StoredRecipe(**{key: value for key, value in raw.items() if key in known})


_SETTING = re.compile(r"\s*([\w ]+):\s*(\"(?:[^\"\\]|\\.)*\"|[^,]*)(?:,|$)")


def parse_a1111(text: str) -> StoredRecipe:
    """AUTOMATIC1111's "parameters": prompt lines, an optional "Negative prompt:", a settings line."""
    lines = text.strip().split("\n")
    settings_line = lines[-1] if len(lines) > 1 and re.match(r"\s*Steps:\s*\d+", lines[-1]) else ""
    body = lines[:-1] if settings_line else lines
    prompt_lines, negative_lines, in_negative = [], [], False
    for line in body:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line.removeprefix("Negative prompt:").strip()
        (negative_lines if in_negative else prompt_lines).append(line)
    settings = {key.strip(): value.strip().strip('"') for key, value in _SETTING.findall(settings_line)}

    def number(key: str, kind: type):
        try:
            return kind(settings[key])
        except (KeyError, ValueError):
            return None

    denoising = number("Denoising strength", float)
    width = height = None
    size = re.fullmatch(r"(\d+)x(\d+)", settings.get("Size", ""))
    if size:
        width, height = int(size.group(1)), int(size.group(2))
    return StoredRecipe(
        prompt="\n".join(prompt_lines).strip(),
        negative_prompt="\n".join(negative_lines).strip() or None,
        steps=number("Steps", int),
        guidance=number("CFG scale", float),
        seed=number("Seed", int),
        width=width,
        height=height,
        model=settings.get("Model"),
        options={"denoising_strength": denoising} if denoising is not None else None,
    )
