"""Both modes against more than one server flavor, chosen with the model picker."""

import re

import pytest
from playwright.sync_api import expect

from bildgen.inference.demo.renderer import render
from tests.e2e.conftest import DEMO_LABEL, FLUX_LABEL, LEGACY_LABEL, QWEN_LABEL, choose_model, generate_and_wait

GENERATION_PATHS = ("/v1/images/generations", "/v1/images/edits", "/v1/chat/completions")


@pytest.fixture
def reference_png(tmp_path):
    path = tmp_path / "reference.png"
    path.write_bytes(render("a reference photo of a harbour", width=320, height=240, seed=3))
    return path


def add_references(page, *paths) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Add reference images").click()
    chooser.value.set_files([str(path) for path in paths])


def last_generation_path(server) -> str:
    return [entry["path"] for entry in server.requests() if entry["path"] in GENERATION_PATHS][-1]


@pytest.mark.parametrize(
    ("label", "server_fixture", "edit_path"),
    [
        (DEMO_LABEL, "demo_server", "/v1/images/edits"),
        (LEGACY_LABEL, "legacy_server", "/v1/chat/completions"),
    ],
    ids=["vllm-omni", "vllm-omni-legacy"],
)
def test_text_to_image_then_image_to_image_on_each_flavor(
    studio, request, reference_png, label, server_fixture, edit_path
):
    server = request.getfixturevalue(server_fixture)
    choose_model(studio, label)
    expect(studio.get_by_text("Text to image", exact=True)).to_be_visible()

    studio.get_by_label("Prompt", exact=True).fill("a harbour at night")
    generate_and_wait(studio)
    assert last_generation_path(server) == "/v1/images/generations"

    add_references(studio, reference_png)
    expect(studio.get_by_role("img", name="Reference image 1: reference.png")).to_be_visible()
    expect(studio.get_by_text("Edit with 1 reference", exact=True)).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("the same harbour in snow")
    generate_and_wait(studio)
    assert last_generation_path(server) == edit_path
    body = [entry for entry in server.requests() if entry["path"] == edit_path][-1]["body"]
    assert len(body["image_parts"]) == 1


def test_flux_hides_the_negative_prompt_and_caps_references(studio, flux_server, reference_png, tmp_path):
    expect(studio.get_by_label("Negative prompt")).to_be_visible()
    choose_model(studio, FLUX_LABEL)
    expect(studio.get_by_label("Negative prompt")).to_have_count(0)
    expect(studio.get_by_text(f"{FLUX_LABEL} takes no negative prompt.")).to_be_visible()

    second = tmp_path / "second.png"
    second.write_bytes(render("another", width=64, height=64, seed=1))
    add_references(studio, reference_png, second)
    expect(studio.get_by_role("alert")).to_contain_text("takes at most 1 reference image")
    expect(studio.get_by_role("img", name=re.compile(r"^Reference image"))).to_have_count(1)

    studio.get_by_label("Prompt", exact=True).fill("a lighthouse")
    generate_and_wait(studio)
    edit = [entry for entry in flux_server.requests() if entry["path"] == "/v1/images/edits"][-1]["body"]
    assert "negative_prompt" not in edit and "true_cfg_scale" not in edit
    assert edit["guidance_scale"] == "4.0"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.png", b"these are meeting notes, not a picture\n" * 20, "is not a PNG, JPEG or WebP image"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>',
            "is not a PNG, JPEG or WebP image",
        ),
    ],
)
def test_a_bad_upload_gets_a_clear_message_and_nothing_is_added(studio, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    add_references(studio, path)
    expect(studio.get_by_role("alert")).to_contain_text(f"{name} {words}")
    expect(studio.get_by_role("img", name=re.compile(r"^Reference image"))).to_have_count(0)
    expect(studio.get_by_text("Text to image", exact=True)).to_be_visible()


def test_a_text_model_says_which_model_serves_its_edits_and_with_what(studio, demo_server, reference_png):
    choose_model(studio, QWEN_LABEL)
    effective = studio.locator("#effective-parameters")
    expect(effective).to_contain_text("1328 × 1328 px · 30 steps · CFG scale 4")
    expect(studio.get_by_text("Edits run on")).to_have_count(0)
    studio.get_by_role("button", name="Advanced settings").click()
    expect(studio.get_by_label("CFG scale")).to_be_visible()

    add_references(studio, reference_png)
    expect(studio.get_by_role("status").filter(has_text=f"Edits run on {DEMO_LABEL}")).to_be_visible()
    expect(effective).to_contain_text("1024 × 1024 px · 20 steps · Guidance 4")
    expect(studio.get_by_label("Guidance")).to_be_visible()
    # The picker keeps the chosen model; nothing shows an API field name, and the edit model names the file.
    expect(studio.get_by_role("combobox", name="Model")).to_contain_text(QWEN_LABEL)
    expect(studio.get_by_text(re.compile("guidance_scale|true_cfg_scale"))).to_have_count(0)

    studio.get_by_label("Prompt", exact=True).fill("the harbour in spring")
    generate_and_wait(studio)
    assert last_generation_path(demo_server) == "/v1/images/edits"
    with studio.expect_download() as download:
        studio.get_by_role("link", name="Download image 1").click()
    assert download.value.suggested_filename.endswith("_demo-vllm-omni.png")
