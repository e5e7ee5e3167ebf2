"""The large view of a result (studio and gallery), its named actions, and the list of shortcuts."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import generate_and_wait
from tests.e2e.test_gallery import open_gallery, tiles


def seed_of(page, number: int) -> str:
    alt = page.get_by_role("img", name=re.compile(rf"^Generated image {number},")).first.get_attribute("alt")
    return re.search(r"seed (\d+)", alt).group(1)


def shown_seed(dialog) -> str:
    return re.search(r"seed (\d+)", dialog.get_by_role("img", name=re.compile(r"^Image, seed")).get_attribute("alt"))[1]


def test_a_result_opens_large_and_the_arrow_keys_walk_through_its_run(studio):
    studio.get_by_label("Prompt", exact=True).fill("three lanterns")
    studio.get_by_role("radio", name="3").click()
    generate_and_wait(studio, count=3)
    seeds = [seed_of(studio, number) for number in (1, 2, 3)]

    studio.get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog", name="Image details")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("1 / 3")).to_be_visible()
    assert shown_seed(dialog) == seeds[0]
    expect(dialog.get_by_role("button", name="Previous image")).to_be_disabled()

    studio.keyboard.press("ArrowRight")
    expect(dialog.get_by_text("2 / 3")).to_be_visible()
    assert shown_seed(dialog) == seeds[1]
    studio.keyboard.press("ArrowRight")
    expect(dialog.get_by_text("3 / 3")).to_be_visible()
    expect(dialog.get_by_role("button", name="Next image")).to_be_disabled()
    studio.keyboard.press("ArrowLeft")
    expect(dialog.get_by_text("2 / 3")).to_be_visible()

    # Fit by default; Z shows the pixels 1:1 and back.
    zoom = dialog.get_by_role("button", name="Actual size (1:1)")
    expect(zoom).to_have_attribute("aria-pressed", "false")
    studio.keyboard.press("z")
    expect(zoom).to_have_attribute("aria-pressed", "true")
    picture = dialog.get_by_role("img", name=re.compile(r"^Image, seed"))
    expect(picture).to_have_js_property("clientWidth", 1024)
    studio.keyboard.press("z")
    expect(zoom).to_have_attribute("aria-pressed", "false")

    studio.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_the_large_view_in_the_studio_offers_every_action_but_delete(studio):
    studio.get_by_label("Prompt", exact=True).fill("a paper boat")
    generate_and_wait(studio)
    seed = seed_of(studio, 1)
    studio.get_by_role("img", name=re.compile(r"^Generated image 1,")).click()
    dialog = studio.get_by_role("dialog", name="Image details")
    for action in ("Use as reference", "Reuse seed", "Reproduce"):
        expect(dialog.get_by_role("button", name=action, exact=True)).to_be_visible()
    expect(dialog.get_by_role("link", name="Download")).to_be_visible()
    expect(dialog.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    # The recipe in human words: the guidance row names what the model calls it, never the API field.
    expect(dialog.get_by_role("row", name="Guidance 4")).to_be_visible()
    expect(dialog.get_by_text("guidance_scale")).to_have_count(0)

    dialog.get_by_role("button", name="Reuse seed", exact=True).click()
    expect(dialog).to_have_count(0)
    studio.get_by_role("button", name="Advanced settings").click()
    expect(studio.get_by_label("Seed", exact=True)).to_have_value(seed)

    studio.get_by_role("button", name="View image 1 large").click()
    studio.get_by_role("dialog").get_by_role("button", name="Use as reference", exact=True).click()
    expect(studio.get_by_role("img", name=re.compile(r"^Reference image 1: generated image"))).to_be_visible()


def test_the_gallery_opens_large_walks_through_the_loaded_images_and_deletes(studio, app_url):
    for prompt in ("an early apple", "a late pear"):
        studio.get_by_label("Prompt", exact=True).fill(prompt)
        generate_and_wait(studio)
    open_gallery(studio, app_url)
    tiles(studio, "a late pear").click()
    dialog = studio.get_by_role("dialog", name="Image details")
    expect(dialog.get_by_text("1 / 2")).to_be_visible()
    expect(dialog.get_by_role("img", name=re.compile(r"^Image, seed \d+: a late pear"))).to_be_visible()
    studio.keyboard.press("ArrowRight")
    expect(dialog.get_by_role("img", name=re.compile(r"^Image, seed \d+: an early apple"))).to_be_visible()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    studio.get_by_role("button", name="Delete image").click()
    expect(studio.get_by_role("status").filter(has_text="Image deleted.")).to_be_visible()
    expect(tiles(studio)).to_have_count(1)


def test_result_actions_are_named_reachable_by_keyboard_and_explained_by_tooltips(studio):
    studio.get_by_label("Prompt", exact=True).fill("a named action")
    generate_and_wait(studio)
    seed = seed_of(studio, 1)
    view = studio.get_by_role("button", name="View image 1 large, run “a named action”", exact=True)
    view.hover()
    expect(studio.get_by_role("tooltip", name="View large")).to_be_visible()
    expect(studio.get_by_role("link", name="Download image 1, run “a named action”", exact=True)).to_be_visible()
    expect(studio.get_by_role("button", name="Compare image 1, run “a named action”", exact=True)).to_be_visible()
    more = studio.get_by_role("button", name="More actions for image 1, run “a named action”", exact=True)

    # Tab from the first action reaches the next ones; Enter opens the menu, arrows walk it, Enter picks.
    view.focus()
    for _ in range(3):
        studio.keyboard.press("Tab")
    expect(more).to_be_focused()
    studio.keyboard.press("Enter")
    menu = studio.get_by_role("menu")
    for name in ("Use as reference", "Reuse seed", "Reproduce", "View large"):
        expect(menu.get_by_role("menuitem", name=name, exact=True)).to_be_visible()
    studio.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Reuse seed")).to_be_focused()
    studio.keyboard.press("Enter")
    expect(menu).to_have_count(0)
    studio.get_by_role("button", name="Advanced settings").click()
    expect(studio.get_by_label("Seed", exact=True)).to_have_value(seed)


def test_question_mark_lists_the_shortcuts(studio):
    studio.get_by_role("heading", name="bildgen").click()
    studio.keyboard.press("?")
    shortcuts = studio.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    for meaning in ("Generate (in the prompt", "Previous or next image", "actual size (1:1)", "Close the large view"):
        expect(shortcuts.get_by_text(meaning, exact=False)).to_be_visible()
    studio.keyboard.press("Escape")
    expect(shortcuts).to_have_count(0)
    studio.get_by_role("button", name="Keyboard shortcuts").click()
    expect(shortcuts).to_be_visible()
