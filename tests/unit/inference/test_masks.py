"""An edit mask reaches an OpenAI-compatible server as images/edits' `mask`, and only the masked area changes."""

import dataclasses
import io

import pytest
from PIL import Image, ImageChops, ImageDraw

from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.masks import with_alpha
from tests.unit.inference import test_contract
from tests.unit.inference.test_contract import EDIT, REFERENCE, ask, generation_requests

flavor_server = test_contract.flavor_server

CHANGED = (64, 64, 191, 127)  # the painted rectangle, inclusive


def painted_mask() -> bytes:
    mask = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(mask).rectangle(CHANGED, fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


MASKED = dataclasses.replace(EDIT, references=(REFERENCE,), mask=painted_mask())


def test_the_mask_travels_as_an_alpha_mask_where_transparent_means_change():
    sent = Image.open(io.BytesIO(with_alpha(painted_mask())))
    assert sent.mode == "RGBA" and sent.size == (256, 256)
    assert sent.getpixel((100, 100)) == (255, 255, 255, 0)  # painted: white and transparent
    assert sent.getpixel((5, 5)) == (0, 0, 0, 255)  # kept: black and opaque


def test_a_masked_edit_changes_only_the_painted_area(flavor_server):
    server = flavor_server("vllm-omni")
    edited = Image.open(io.BytesIO(ask(server, MASKED).png)).convert("RGB")
    [request] = generation_requests(server)
    assert request["path"] == "/v1/images/edits"
    assert [part["field"] for part in request["body"]["image_parts"]] == ["image[]", "mask"]

    changed = ImageChops.difference(edited, Image.open(io.BytesIO(REFERENCE)).convert("RGB")).getbbox()
    left, top, right, bottom = CHANGED
    assert changed is not None, "the painted area must change"
    assert left <= changed[0] and top <= changed[1] and changed[2] <= right + 1 and changed[3] <= bottom + 1


def test_without_a_mask_the_whole_picture_may_change(flavor_server):
    server = flavor_server("vllm-omni")
    edited = Image.open(io.BytesIO(ask(server, dataclasses.replace(MASKED, mask=None)).png)).convert("RGB")
    assert [part["field"] for part in generation_requests(server)[0]["body"]["image_parts"]] == ["image[]"]
    changed = ImageChops.difference(edited, Image.open(io.BytesIO(REFERENCE)).convert("RGB")).getbbox()
    assert changed[:3] == (0, 0, 256)  # far beyond the painted rectangle


def test_a_server_without_the_edits_route_refuses_a_masked_edit_instead_of_repainting_everything(flavor_server):
    server = flavor_server("vllm-omni-legacy")
    with pytest.raises(InferenceError) as caught:
        ask(server, MASKED)
    assert caught.value.kind is ErrorKind.REJECTED
    assert "mask" in caught.value.user_message
    assert [request["path"] for request in generation_requests(server)] == ["/v1/images/edits"]


def test_the_demo_refuses_a_mask_of_another_size_as_openai_does(flavor_server):
    server = flavor_server("openai")
    with pytest.raises(InferenceError) as caught:
        ask(server, dataclasses.replace(MASKED, references=(square_png(128),)))
    assert caught.value.kind is ErrorKind.REJECTED
    assert "Invalid mask" in caught.value.user_message


def square_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "teal").save(buffer, format="PNG")
    return buffer.getvalue()
