"""Compare: pick results in the studio or the gallery, see them side by side or under a slider."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import generate_and_wait, newest_run
from tests.e2e.test_gallery import open_gallery


def test_two_results_side_by_side_then_under_a_slider(studio):
    studio.get_by_label("Prompt", exact=True).fill("two lighthouses")
    studio.get_by_role("radio", name="2").click()
    generate_and_wait(studio, count=2)
    run = newest_run(studio)
    seeds = [
        re.search(
            r"seed (\d+)", run.get_by_role("img", name=re.compile(rf"^Generated image {n},")).get_attribute("alt")
        )[1]
        for n in (1, 2)
    ]

    tray = studio.get_by_role("region", name="Comparison")
    expect(tray).to_have_count(0)
    run.get_by_role("button", name="Compare image 1").click()
    expect(run.get_by_role("button", name="Compare image 1")).to_have_attribute("aria-pressed", "true")
    expect(tray).to_contain_text("1 picked for comparison")
    expect(tray.get_by_role("button", name="Compare", exact=True)).to_be_disabled()
    # Putting a pick back, then clearing the rest, empties the tray.
    run.get_by_role("button", name="Compare image 1").click()
    expect(tray).to_have_count(0)
    run.get_by_role("button", name="Compare image 1").click()
    run.get_by_role("button", name="Compare image 2").click()
    expect(tray).to_contain_text("2 picked for comparison")
    tray.get_by_role("button", name="Clear").click()
    expect(tray).to_have_count(0)
    expect(run.get_by_role("button", name="Compare image 1")).to_have_attribute("aria-pressed", "false")

    run.get_by_role("button", name="Compare image 1").click()
    run.get_by_role("button", name="Compare image 2").click()
    expect(tray).to_contain_text("2 picked for comparison")
    tray.get_by_role("button", name="Compare", exact=True).click()

    dialog = studio.get_by_role("dialog", name="Compare images")
    for number, seed in enumerate(seeds, start=1):
        expect(dialog.get_by_role("img", name=f"Compared image {number}: two lighthouses, seed {seed}")).to_be_visible()

    dialog.get_by_role("radio", name="Slider").click()
    expect(dialog.get_by_role("img", name=f"Left: two lighthouses, seed {seeds[0]}")).to_be_visible()
    expect(dialog.get_by_role("img", name=f"Right: two lighthouses, seed {seeds[1]}")).to_be_visible()
    slider = dialog.get_by_role("slider", name="Split between the two images")
    slider.fill("20")
    stage = dialog.locator("[data-compare-stage]")
    expect(stage).to_have_attribute("style", re.compile(r"--split: 20%"))
    studio.keyboard.press("Escape")

    # Closing the comparison ends it: the tray does not float on over the feed.
    expect(dialog).to_have_count(0)
    expect(tray).to_have_count(0)
    expect(run.get_by_role("button", name="Compare image 2")).to_have_attribute("aria-pressed", "false")


def test_picks_from_the_studio_and_the_gallery_compare_together(studio, app_url):
    for prompt in ("a red door", "a blue door"):
        studio.get_by_label("Prompt", exact=True).fill(prompt)
        generate_and_wait(studio)
    newest_run(studio).get_by_role("button", name="Compare image 1").click()
    open_gallery(studio, app_url)
    studio.get_by_role("button", name=re.compile(r"^Pick for comparison: a red door, seed")).click()
    tray = studio.get_by_role("region", name="Comparison")
    expect(tray).to_contain_text("2 picked for comparison")
    tray.get_by_role("button", name="Compare", exact=True).click()
    dialog = studio.get_by_role("dialog", name="Compare images")
    expect(dialog.get_by_role("img", name=re.compile(r"^Compared image 1: a blue door"))).to_be_visible()
    expect(dialog.get_by_role("img", name=re.compile(r"^Compared image 2: a red door"))).to_be_visible()
