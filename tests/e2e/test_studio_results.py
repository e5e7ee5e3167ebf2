"""The studio's results come first: a run of four fills the width, one image is shown big, and each
image's actions sit over it (on hover or focus; always on a touch screen) with names that say which
image of which run they act on."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_language, eventually, generate_and_wait, newest_run, sign_up

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def images_of(run):
    return run.get_by_role("img", name=re.compile(r"^(Generated image|Generiertes Bild) \d"))


EFFECTIVE_OPACITY = """element => {
    let opacity = 1;
    for (let node = element; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    return opacity;
}"""


def shown(page, control, expected: float) -> None:
    """Waits until the control is seen as expected (its own opacity times its ancestors')."""
    eventually(
        page, lambda: control.evaluate(EFFECTIVE_OPACITY) == expected, f"opacity {expected} expected", timeout_s=10
    )


def set_count(page, count: int) -> None:
    page.get_by_role("radio", name=str(count), exact=True).click()


def test_a_run_of_four_fills_the_width_and_one_image_is_shown_big(browser, app_url):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("four foxes")
    set_count(page, 4)
    generate_and_wait(page, count=4)
    results = page.get_by_role("region", name="Results").bounding_box()
    boxes = [image.bounding_box() for image in images_of(newest_run(page)).all()]
    assert len(boxes) == 4
    assert len({round(box["y"]) for box in boxes}) == 1, "the four images share one row"
    row = boxes[-1]["x"] + boxes[-1]["width"] - boxes[0]["x"]
    assert row >= 0.9 * results["width"], (row, results["width"])
    assert results["width"] >= 900, "the feed takes the room a 1400 px screen has"

    page.get_by_label("Prompt", exact=True).fill("one fox")
    set_count(page, 1)
    generate_and_wait(page, count=1)
    big = images_of(newest_run(page)).first.bounding_box()
    assert big["width"] >= 2.5 * boxes[0]["width"], (big, boxes[0])
    expect(images_of(newest_run(page)).first).to_be_in_viewport(ratio=0.99)
    context.close()


def test_each_images_actions_show_on_hover_and_name_the_run(browser, app_url):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_up(page, app_url)
    for prompt in ("a red fox in the snow at dawn, seen from far above the trees", "a blue whale"):
        page.get_by_label("Prompt", exact=True).fill(prompt)
        generate_and_wait(page)
    fox_download = page.get_by_role(
        "link", name="Download image 1, run “a red fox in the snow at dawn, seen fro…”", exact=True
    )
    whale_download = page.get_by_role("link", name="Download image 1, run “a blue whale”", exact=True)
    expect(fox_download).to_have_count(1)
    expect(whale_download).to_have_count(1)
    # Out of the way until the image is hovered (or an action focused).
    shown(page, whale_download, 0)
    images_of(newest_run(page)).first.hover()
    shown(page, whale_download, 1)
    page.mouse.move(0, 0)
    shown(page, whale_download, 0)
    whale_download.focus()
    shown(page, whale_download, 1)

    choose_language(page, "Language", "Deutsch")
    expect(page.get_by_role("link", name="Bild 1 herunterladen, Lauf „a blue whale“", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Weitere Aktionen für Bild 1, Lauf „a blue whale“", exact=True).click()
    expect(page.get_by_role("menuitem", name="Seed wiederverwenden")).to_be_visible()
    context.close()


@pytest.mark.parametrize("language", ["English", "Deutsch"])
def test_on_a_phone_the_actions_are_always_shown_and_the_image_takes_the_width(browser, app_url, language):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_up(page, app_url)
    if language == "Deutsch":
        choose_language(page, "Language", "Deutsch")
    page.get_by_label("Prompt", exact=True).fill("a phone fox")
    page.get_by_role("button", name=re.compile("^(Generate|Generieren)$")).first.click()
    image = images_of(page.get_by_role("article").first).first
    expect(image).to_be_visible(timeout=30_000)
    assert image.bounding_box()["width"] >= 0.8 * PHONE["width"]
    more = page.get_by_role("button", name=re.compile(r"^(More actions for image 1|Weitere Aktionen für Bild 1), "))
    shown(page, more, 1)
    box = more.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 30, box
    more.tap()
    expect(page.get_by_role("menuitem", name=re.compile("^(Reuse seed|Seed wiederverwenden)$"))).to_be_in_viewport()
    context.close()
