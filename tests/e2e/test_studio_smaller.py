"""Issue 25's smaller things: an empty studio says what to do, a disabled Improve prompt says why, the
improved prompt gets the panel's width, a closed comparison takes its tray along (test_compare.py),
the batch editor's headers fit a 1400 px screen and its help speaks plain words."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WRITER_LABEL, choose_language, sign_up
from tests.e2e.test_batches import open_batches

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
EMPTY = {
    "English": ("Your images appear here", "press Generate"),
    "Deutsch": ("Hier erscheinen Ihre Bilder", "drücken Sie Generieren"),
}
# The table and the boxes that would scroll it sideways (up to the first that scrolls), where their
# content is wider than they are.
SIDEWAYS = """table => {
    const found = [];
    for (let box = table; box && box !== document.body; box = box.parentElement) {
        if (box.scrollWidth > box.clientWidth + 1) found.push([box.className, box.scrollWidth, box.clientWidth]);
        if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) break;
    }
    return found;
}"""
IMPROVE = {"English": ("Improve prompt", "Type a prompt first"), "Deutsch": ("Prompt verbessern", "Geben Sie zuerst")}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["English", "Deutsch"])
def test_an_empty_studio_says_what_to_do_and_why_improve_prompt_waits(browser, app_url, viewport, language):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sign_up(page, app_url)
    if language == "Deutsch":
        choose_language(page, "Language", "Deutsch")
    heading, advice = EMPTY[language]
    results = page.get_by_role("region", name=re.compile("^(Results|Ergebnisse)$"))
    expect(results.get_by_role("heading", name=heading)).to_be_visible()
    expect(results).to_contain_text(advice)
    box = results.get_by_text(advice, exact=False).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    improve_name, why = IMPROVE[language]
    improve = page.get_by_role("button", name=improve_name)
    expect(improve).to_be_disabled()
    expect(improve).to_have_accessible_description(re.compile(f"^{why}"))
    expect(page.get_by_text(re.compile(f"^{why}"))).to_be_visible()
    page.get_by_label("Prompt", exact=True).fill("a fox")
    expect(improve).to_be_enabled()
    expect(improve).to_have_accessible_description("")
    context.close()


def test_the_improved_prompt_gets_the_width_of_the_panel(studio):
    studio.set_viewport_size(DESKTOP)
    prompt = studio.get_by_label("Prompt", exact=True)
    prompt.fill("a fox in snow")
    studio.get_by_role("button", name="Improve prompt").click()
    proposal = studio.get_by_label(f"Improved by {WRITER_LABEL}")
    expect(proposal).to_have_value(re.compile(r"^a fox in snow, "))
    assert proposal.bounding_box()["width"] >= 0.85 * prompt.bounding_box()["width"]


def test_the_batch_editor_fits_1400_px_and_its_help_speaks_plain_words(studio, app_url):
    studio.set_viewport_size(DESKTOP)
    open_batches(studio, app_url)
    help_text = studio.get_by_text(re.compile(r"^A file holds one prompt per row"))
    expect(help_text).to_be_visible()
    expect(studio.get_by_text(re.compile("negativePrompt"))).not_to_be_visible()
    studio.get_by_text("File format details").click()
    expect(studio.get_by_text(re.compile("negativePrompt"))).to_be_visible()

    studio.get_by_label("Prompts, one per line").fill("a paper boat")
    studio.get_by_role("button", name="Add to table").click()
    table = studio.get_by_role("table")
    expect(table).to_be_visible()
    # Nothing scrolls sideways: the table and every box around it fit, each header whole.
    assert table.evaluate(SIDEWAYS) == []
    headers = table.get_by_role("columnheader")
    for index in range(headers.count()):
        header = headers.nth(index)
        assert not header.evaluate("cell => cell.scrollWidth > cell.clientWidth"), header.inner_text()
        box = header.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], (header.inner_text(), box)
    remove = table.get_by_role("button", name=re.compile("^Remove row 1")).bounding_box()
    assert remove["x"] + remove["width"] <= DESKTOP["width"], remove
