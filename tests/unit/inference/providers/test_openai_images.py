"""The GPT-Image adapter against the demo server posing as OpenAI (its error envelope and routes)."""

import io

import pytest
from PIL import Image

from bildgen.inference.demo.renderer import render
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers import ProbeProblem
from bildgen.inference.providers.openai_images import openai_mask
from tests.unit.inference.providers.conftest import generate, inject, logged, probe, profile_for, request

REFERENCE = render("a reference photo", width=1024, height=1024, seed=5)


@pytest.fixture
def openai(flavor_server):
    return flavor_server("openai", model_id="gpt-image-1")


def gpt_image(server, **fields):
    return profile_for(server, "openai", served_name="gpt-image-1", **fields)


def test_text_to_image_sends_gpt_image_fields_and_no_seed_or_diffusion_knobs(openai):
    generated = generate(gpt_image(openai), request(width=1536, height=1024, options={"quality": "high"}))
    assert Image.open(io.BytesIO(generated.image.png)).size == (1536, 1024)
    [entry] = logged(openai, "/v1/images/generations")
    body = entry["body"]
    assert body == {
        "model": "gpt-image-1",
        "prompt": "a red fox",
        "n": 1,
        "size": "1536x1024",
        "quality": "high",
        "output_format": "png",
    }


def test_an_edit_sends_the_images_and_the_mask_as_multipart_parts(openai):
    mask = io.BytesIO()
    Image.new("L", (1024, 1024), 0).save(mask, format="PNG")
    generate(gpt_image(openai), request(width=1024, height=1024, references=[REFERENCE], mask=mask.getvalue()))
    [entry] = logged(openai, "/v1/images/edits")
    assert [part["field"] for part in entry["body"]["image_parts"]] == ["image[]", "mask"]
    assert entry["body"]["model"] == "gpt-image-1"


def test_a_white_area_becomes_the_transparent_area_openai_edits():
    painted = Image.new("L", (64, 64), 0)
    painted.paste(255, (0, 0, 32, 64))
    buffer = io.BytesIO()
    painted.save(buffer, format="PNG")
    converted = Image.open(io.BytesIO(openai_mask(buffer.getvalue(), render("x", width=128, height=128, seed=1))))
    assert converted.size == (128, 128) and converted.mode == "RGBA"
    assert converted.getpixel((10, 10))[3] == 0  # white: edit here
    assert converted.getpixel((100, 10))[3] == 255  # black: keep


def test_a_content_refusal_is_a_refusal_and_an_unknown_model_is_named(openai):
    inject(openai, "content-refused")
    with pytest.raises(InferenceError) as caught:
        generate(gpt_image(openai), request(width=1024, height=1024))
    assert caught.value.is_refusal
    assert probe(gpt_image(openai)).ok
    missing = probe(profile_for(openai, "openai", served_name="gpt-image-9"))
    assert missing.problem is ProbeProblem.MODEL_NOT_FOUND
    with pytest.raises(InferenceError) as caught:
        generate(profile_for(openai, "openai", served_name="gpt-image-9"), request(width=1024, height=1024))
    assert caught.value.kind is ErrorKind.REJECTED
    assert "does not exist" in caught.value.user_message


def test_gpt_image_capabilities_are_qualities_sizes_and_masks_and_say_data_goes_to_openai(openai):
    capabilities = gpt_image(openai).capabilities()
    assert capabilities.qualities == ("auto", "low", "medium", "high")
    assert capabilities.masks and not (capabilities.seed or capabilities.steps or capabilities.negative_prompt)
    assert capabilities.cloud == "OpenAI"


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (
            400,
            {"error": {"code": "moderation_blocked", "message": "Your request was rejected by the safety system."}},
            ErrorKind.MODERATED_REQUEST,
            False,
        ),
        (
            429,
            {"error": {"code": "insufficient_quota", "message": "You exceeded your current quota."}},
            ErrorKind.NO_CREDITS,
            False,
        ),
        (429, {"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached."}}, ErrorKind.BUSY, True),
        (
            401,
            {"error": {"code": "invalid_api_key", "message": "Incorrect API key provided."}},
            ErrorKind.UNAUTHORIZED,
            False,
        ),
    ],
    ids=["moderation", "no-quota", "rate-limit", "wrong-key"],
)
def test_openais_error_codes_map_to_what_a_user_can_do(status, body, kind, retryable):
    from bildgen.inference.transport import status_error

    error = status_error(status, body, "", {})
    assert (error.kind, error.retryable) == (kind, retryable)
