"""Descriptive download names: <YYYYMMDD-HHMMSS>_<prompt-slug>_<seed>_<model>.png (no seed part for an
image whose request carried none: store/image_library.shown_seed)"""

from __future__ import annotations

from datetime import datetime

from slugify import slugify

SLUG_MAX = 40


def prompt_slug(prompt: str) -> str:
    # Unicode is transliterated to ASCII ("Füchse" → "fuchse"); nothing left means "untitled".
    return slugify(prompt, max_length=SLUG_MAX, word_boundary=True, save_order=True) or "untitled"


def model_slug(model_id: str) -> str:
    # "Qwen/Qwen-Image-2512" → "qwen-image-2512": the organisation prefix adds nothing.
    return slugify(model_id.rsplit("/", 1)[-1], max_length=SLUG_MAX) or "model"


def download_filename(*, created: datetime, prompt: str, seed: int | None, model_id: str) -> str:
    seed_part = "" if seed is None else f"_{seed}"
    return f"{created:%Y%m%d-%H%M%S}_{prompt_slug(prompt)}{seed_part}_{model_slug(model_id)}.png"
