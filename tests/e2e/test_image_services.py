"""The studio with other image services: an AUTOMATIC1111 WebUI (mask, denoising strength, progress)
and Black Forest Labs' cloud API (cloud marker, its own fields and limits, moderation)."""

import re

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from bildgen.inference.demo.renderer import render
from tests.e2e.conftest import A1111_LABEL, BFL_LABEL, DEMO_LABEL, choose_model
from tests.e2e.test_masks import generated_image, paint_left_half
from tests.e2e.test_models_and_modes import add_references

WIDTH, HEIGHT = 384, 256


@pytest.fixture
def reference_png(tmp_path):
    path = tmp_path / "harbour.png"
    path.write_bytes(render("a reference photo of a harbour", width=WIDTH, height=HEIGHT, seed=3))
    return path


def posted(server, path_part: str) -> list[dict]:
    return [entry["body"] for entry in server.requests() if entry["method"] == "POST" and path_part in entry["path"]]


def test_automatic1111_edits_only_the_painted_area_and_shows_progress(studio, app_url, a1111_server, reference_png):
    choose_model(studio, A1111_LABEL)
    expect(studio.get_by_role("note")).to_have_count(0)  # self-hosted: no cloud notice
    studio.get_by_role("button", name="Advanced settings").click()
    expect(studio.get_by_label("CFG scale")).to_be_visible()
    expect(studio.get_by_label("Denoising strength")).to_have_count(0)  # only for an edit

    add_references(studio, reference_png)
    studio.get_by_label("Denoising strength").fill("0.6")
    studio.get_by_role("button", name="Paint mask").click()
    paint_left_half(studio)
    studio.get_by_role("dialog", name="Paint mask").get_by_role("button", name="Use mask").click()
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_be_visible()
    studio.get_by_label("Width").fill(str(WIDTH))
    studio.get_by_label("Height").fill(str(HEIGHT))
    expect(studio.locator("#effective-parameters")).to_contain_text(
        "CFG scale 7 · 1 image · random seed · Denoising strength 0.6"
    )
    studio.get_by_label("Prompt", exact=True).fill("a red boat in the harbour")
    studio.get_by_role("button", name="Generate").click()

    # The WebUI reports how far it is: a bar and the time left, while the image is made.
    expect(studio.get_by_role("progressbar", name="Image 1: progress")).to_be_visible(timeout=15_000)
    expect(studio.get_by_role("img", name="Image 1: preview while it is made")).to_be_visible()
    studio.wait_for_function(
        "() => document.querySelector('img[alt=\"Image 1: preview while it is made\"]')?.naturalWidth > 0",
        timeout=10_000,
    )
    expect(studio.get_by_role("status", name="Image 1 is being generated")).to_contain_text(
        re.compile(r"\d+ % · about \d+ s left")
    )
    expect(studio.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=30_000)

    [sent] = posted(a1111_server, "/sdapi/v1/img2img")[-1:]
    assert sent["mask"] is True and sent["denoising_strength"] == 0.6
    changed = ImageChops.difference(generated_image(studio, app_url), Image.open(reference_png).convert("RGB"))
    left, top, right, bottom = changed.getbbox()
    assert right <= WIDTH // 2 and left < WIDTH * 0.15 < right


def test_bfl_is_marked_as_a_cloud_service_takes_its_own_fields_and_says_when_moderation_declines(studio, bfl_server):
    # Before anything is chosen, the picker says where this model sends data.
    studio.get_by_role("combobox", name="Model").click()
    expect(studio.get_by_role("option", name=f"{BFL_LABEL} — sends data to Black Forest Labs")).to_be_visible()
    expect(studio.get_by_role("option", name=DEMO_LABEL, exact=True)).to_be_visible()
    studio.get_by_role("option", name=f"{BFL_LABEL} — sends data to Black Forest Labs").click()
    expect(studio.get_by_role("note")).to_have_text(
        "Sends data to Black Forest Labs: the prompt and any reference images leave your organisation."
    )
    expect(studio.get_by_label("Negative prompt")).to_have_count(0)

    # Its own fields, under human names, with its own limits.
    studio.get_by_label("Safety tolerance").fill("5")
    studio.get_by_role("switch", name="Prompt upsampling").click()
    studio.get_by_role("button", name="Advanced settings").click()
    studio.get_by_label("Width").fill("1000")
    expect(studio.get_by_text("Width must be a multiple of 32 from 256 to 1440.")).to_be_visible()
    studio.get_by_label("Width").fill("1024")
    studio.get_by_label("Safety tolerance").fill("9")
    expect(studio.get_by_text("Safety tolerance must be a whole number from 0 (strictest) to 6.")).to_be_visible()
    studio.get_by_label("Safety tolerance").fill("5")
    expect(studio.locator("#effective-parameters")).to_contain_text("Prompt upsampling · Safety tolerance 5")

    # The service's moderation declines one of two images: said as such, the other is kept.
    bfl_server.inject("request-moderated", times=1)
    studio.get_by_role("radio", name="2").click()
    studio.get_by_label("Prompt", exact=True).fill("a lighthouse in a storm")
    studio.get_by_role("button", name="Generate").click()
    declined = studio.get_by_role("status").filter(has_text="declined by moderation")
    expect(declined).to_have_count(1, timeout=30_000)
    expect(declined).to_contain_text("moderation declined this prompt")
    expect(studio.get_by_role("img", name=re.compile(r"^Generated image \d,"))).to_have_count(1, timeout=30_000)
    expect(studio.get_by_role("alert")).to_have_count(0)  # a decision about the content, not a fault

    sent = posted(bfl_server, "/v1/flux-dev")[-2:]
    assert all(body["safety_tolerance"] == 5 and body["prompt_upsampling"] is True for body in sent)
    assert all(body["width"] == 1024 for body in sent)
