import re
from datetime import datetime

import pytest

from bildgen.filenames import download_filename

WHEN = datetime(2026, 3, 9, 14, 5, 7)
PATTERN = re.compile(r"(\d{8}-\d{6})_([a-z0-9-]{1,40})_(\d+)_([a-z0-9-]+)\.png")


def parts(prompt: str, model: str = "Qwen/Qwen-Image-2512", seed: int = 42) -> tuple[str, ...]:
    name = download_filename(created=WHEN, prompt=prompt, seed=seed, model_id=model)
    match = PATTERN.fullmatch(name)
    assert match, name
    return match.groups()


def test_name_has_timestamp_slug_seed_and_model():
    assert parts("A red fox, in the snow!", seed=3735928559) == (
        "20260309-140507",
        "a-red-fox-in-the-snow",
        "3735928559",
        "qwen-image-2512",
    )


def test_unicode_is_transliterated_to_lowercase_ascii():
    assert parts("Füchse im Schnee — Ærø")[1] == "fuchse-im-schnee-aero"
    assert parts("狐狸")[1].isascii()


def test_long_prompts_are_cut_to_forty_characters_at_a_word_boundary():
    slug = parts("an extraordinarily detailed photograph of a mountain village at sunset " * 5)[1]
    assert len(slug) <= 40
    assert slug == "an-extraordinarily-detailed-photograph"


@pytest.mark.parametrize("prompt", ["", "   ", "!!!", "🦊🔥"])
def test_prompts_with_nothing_to_slug_still_give_a_valid_name(prompt):
    assert parts(prompt)[1] == "untitled"


def test_model_without_organisation_prefix():
    assert parts("x", model="bildgen-demo")[3] == "bildgen-demo"


def test_an_image_sent_no_seed_is_named_without_one():
    name = download_filename(created=WHEN, prompt="A red fox", seed=None, model_id="gpt-image-1")
    assert name == "20260309-140507_a-red-fox_gpt-image-1.png"
