"""Edit masks: paint the area to change on a reference, generate, and Reproduce brings the mask back."""

import io
import re

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from bildgen.inference.demo.renderer import render
from tests.e2e.conftest import FLUX_LABEL, choose_model, generate_and_wait, newest_run
from tests.e2e.test_accessibility import severe_findings
from tests.e2e.test_gallery import open_gallery, tiles
from tests.e2e.test_language import choose_language
from tests.e2e.test_models_and_modes import add_references

WIDTH, HEIGHT = 384, 256


@pytest.fixture
def reference_png(tmp_path):
    path = tmp_path / "harbour.png"
    path.write_bytes(render("a reference photo of a harbour", width=WIDTH, height=HEIGHT, seed=3))
    return path


def paint_left_half(page) -> None:
    """Drag the brush over the left part of the picture, well clear of the right half."""
    canvas = page.get_by_label("Mask: drag over the image to paint the area to change")
    # Measured once the dialog has zoomed in: a box taken mid-animation puts the strokes elsewhere.
    page.get_by_role("dialog", name="Paint mask").evaluate(
        "dialog => Promise.all(dialog.getAnimations({subtree: true}).map(a => a.finished))"
    )
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * (0.3 + step * 0.04), steps=2)
    page.mouse.up()


def generated_image(page, app_url) -> Image.Image:
    src = page.get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("src")
    answer = page.request.get(src if src.startswith("http") else app_url + src)
    return Image.open(io.BytesIO(answer.body())).convert("RGB")


def masked_requests(server) -> list[dict]:
    return [entry["body"] for entry in server.requests() if entry["path"] == "/v1/images/edits"]


def mask_part(body: dict) -> dict | None:
    """The multipart `mask` file the server was sent (its size and hash), if any."""
    return next((part for part in body["image_parts"] if part["field"] == "mask"), None)


def test_a_painted_mask_limits_the_edit_and_reproduce_restores_it(studio, app_url, demo_server, reference_png):
    add_references(studio, reference_png)
    studio.get_by_role("button", name="Paint mask").click()
    painter = studio.get_by_role("dialog", name="Paint mask")
    expect(painter).to_be_visible()

    # Undo and Clear leave nothing painted, and an empty mask is not taken.
    paint_left_half(studio)
    painter.get_by_role("button", name="Undo").click()
    painter.get_by_role("button", name="Use mask").click()
    expect(painter.get_by_role("alert")).to_have_text("Paint the area the model should change first.")
    painter.get_by_role("button", name="Invert").click()
    painter.get_by_role("button", name="Clear").click()
    painter.get_by_role("button", name="Use mask").click()
    expect(painter.get_by_role("alert")).to_have_text("Paint the area the model should change first.")

    paint_left_half(studio)
    painter.get_by_role("button", name="Use mask").click()
    expect(painter).to_have_count(0)
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_be_visible()
    expect(studio.get_by_text("Edit with 1 reference · masked area only")).to_be_visible()

    studio.get_by_role("button", name="Advanced settings").click()
    studio.get_by_label("Width").fill(str(WIDTH))
    studio.get_by_label("Height").fill(str(HEIGHT))
    studio.get_by_label("Prompt", exact=True).fill("a red boat in the harbour")
    before = len(masked_requests(demo_server))
    generate_and_wait(studio)
    [sent] = masked_requests(demo_server)[before:]
    assert mask_part(sent)["bytes"] > 0
    # The run's card shows what the edit started from.
    run = newest_run(studio)
    expect(run.get_by_role("img", name="Reference image 1 of this run")).to_be_visible()
    expect(run.get_by_role("img", name="Mask of this run")).to_be_visible()
    assert run.get_by_role("img", name="Mask of this run").evaluate("image => image.naturalWidth > 0")

    # Only the painted strip (left part of the picture) changed; the right half is the reference.
    changed = ImageChops.difference(generated_image(studio, app_url), Image.open(reference_png).convert("RGB"))
    left, top, right, bottom = changed.getbbox()
    assert right <= WIDTH // 2 and left < WIDTH * 0.15 < right

    studio.get_by_role("button", name="Remove mask").click()
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_have_count(0)

    open_gallery(studio, app_url)
    tiles(studio, "a red boat in the harbour").click()
    expect(studio.get_by_role("img", name="Mask: the area of the first reference that was to change")).to_be_visible()
    studio.get_by_role("button", name="Reproduce", exact=True).click()
    expect(studio.get_by_role("img", name="Reference image 1: harbour.png")).to_be_visible()
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_be_visible()
    generate_and_wait(studio)
    again = masked_requests(demo_server)[-1]
    assert mask_part(again) == mask_part(sent)


def test_a_model_that_cannot_use_masks_says_so(studio, flux_server, reference_png):
    choose_model(studio, FLUX_LABEL)
    add_references(studio, reference_png)
    expect(studio.get_by_role("button", name="Paint mask")).to_be_disabled()
    expect(studio.get_by_text(f"{FLUX_LABEL} cannot limit an edit to a painted area.")).to_be_visible()


def test_the_painter_speaks_the_users_language(studio, reference_png):
    add_references(studio, reference_png)  # named in English until the switch
    choose_language(studio, "Language", "Deutsch")
    studio.get_by_role("button", name="Maske malen").click()
    painter = studio.get_by_role("dialog", name="Maske malen")
    painter.get_by_role("button", name="Maske verwenden").click()
    expect(painter.get_by_role("alert")).to_have_text("Malen Sie zuerst den Bereich, den das Modell ändern soll.")
    painter.get_by_role("button", name="Abbrechen").click()
    expect(painter).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_painter_and_a_painted_reference_have_no_serious_accessibility_problems(studio, reference_png, scheme):
    studio.emulate_media(color_scheme=scheme)
    add_references(studio, reference_png)
    studio.get_by_role("button", name="Paint mask").click()
    painter = studio.get_by_role("dialog", name="Paint mask")
    paint_left_half(studio)
    findings = {"painter": severe_findings(studio)}
    painter.get_by_role("button", name="Use mask").click()
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_be_visible()
    findings["studio"] = severe_findings(studio)
    assert findings == {"painter": [], "studio": []}
