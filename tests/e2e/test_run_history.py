"""The studio keeps the session in view: a feed of runs, newest first, earlier ones paged in from the database."""

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import IMAGE_TIMEOUT_MS, generate_and_wait, image_action, newest_run, wait_for_studio

RUNS_PAGE = 8


def run_named(page, prompt: str):
    return page.get_by_role("article", name=f"Run: {prompt}", exact=True)


def test_each_generate_adds_a_run_on_top_and_earlier_runs_keep_their_images_and_actions(studio):
    studio.get_by_label("Prompt", exact=True).fill("the first run")
    generate_and_wait(studio)
    first_seed = re.search(
        r"seed (\d+)",
        newest_run(studio).get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("alt"),
    )[1]
    studio.get_by_label("Prompt", exact=True).fill("the second run")
    studio.get_by_role("radio", name="2").click()
    generate_and_wait(studio, count=2)

    runs = studio.get_by_role("article")
    expect(runs).to_have_count(2)
    expect(runs.nth(0)).to_have_accessible_name("Run: the second run")
    expect(runs.nth(1)).to_have_accessible_name("Run: the first run")
    earlier = run_named(studio, "the first run")
    expect(earlier.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible()
    # Each run names its model and parameters.
    expect(earlier).to_contain_text("Demo vLLM-Omni")
    expect(earlier).to_contain_text("1024 × 1024 px")
    expect(earlier).to_contain_text(f"seed {first_seed}")
    expect(run_named(studio, "the second run")).to_contain_text(re.compile(r"seeds \d+–\d+"))

    image_action(earlier, 1, "Reuse seed")
    studio.get_by_role("button", name="Advanced settings").click()
    expect(studio.get_by_label("Seed", exact=True)).to_have_value(first_seed)


def test_generate_stays_available_while_a_run_is_going_and_each_run_cancels_on_its_own(studio, demo_server):
    httpx.post(f"http://127.0.0.1:{demo_server.port}/_demo/fault", json={"fault": "hang", "times": 1})
    studio.get_by_label("Prompt", exact=True).fill("a slow one")
    studio.get_by_role("button", name="Generate").click()
    slow = run_named(studio, "a slow one")
    expect(slow.get_by_role("status", name="Image 1 is being generated")).to_contain_text(re.compile(r"\d+ s"))

    studio.get_by_label("Prompt", exact=True).fill("a quick one")
    expect(studio.get_by_role("button", name="Generate")).to_be_enabled()
    generate_and_wait(studio)
    expect(studio.get_by_role("article").first).to_have_accessible_name("Run: a quick one")
    expect(slow.get_by_role("status", name="Image 1 is being generated")).to_be_visible()

    slow.get_by_role("button", name="Cancel").click()
    expect(slow.get_by_text("Image 1: cancelled.")).to_be_visible()
    expect(run_named(studio, "a quick one").get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible()


def test_earlier_runs_load_from_the_database_page_by_page_as_the_feed_is_scrolled(studio):
    total = RUNS_PAGE + 2
    runs = studio.get_by_role("article")
    for number in range(1, total + 1):
        studio.get_by_label("Prompt", exact=True).fill(f"history run {number}")
        studio.get_by_role("button", name="Generate").click()
        expect(runs.first).to_have_accessible_name(f"Run: history run {number}")
    for number in range(1, total + 1):
        expect(run_named(studio, f"history run {number}").get_by_role("img")).to_be_visible(timeout=IMAGE_TIMEOUT_MS)

    # A new visit starts with the newest page, read from the database, and the prompt of the last run.
    studio.reload()
    wait_for_studio(studio)
    expect(runs.first).to_have_accessible_name(f"Run: history run {total}")
    expect(runs).to_have_count(RUNS_PAGE)
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value(f"history run {total}")
    studio.get_by_role("button", name="Load earlier runs").scroll_into_view_if_needed()
    expect(runs).to_have_count(total)
    expect(runs.last).to_have_accessible_name("Run: history run 1")
    expect(run_named(studio, "history run 1").get_by_role("img")).to_be_visible()
    expect(studio.get_by_role("button", name="Load earlier runs")).to_have_count(0)


def test_the_feed_and_the_large_view_speak_the_users_language(studio):
    studio.get_by_role("combobox", name="Language").click()
    studio.get_by_role("option", name="Deutsch").click()
    expect(studio.get_by_role("button", name="Generieren")).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("ein Leuchtturm")
    studio.get_by_role("button", name="Generieren").click()
    run = newest_run(studio)
    expect(run).to_have_accessible_name("Lauf: ein Leuchtturm")
    expect(run).to_contain_text("20 Schritte")
    image = run.get_by_role("img", name=re.compile(r"^Generiertes Bild 1, Seed \d+"))
    expect(image).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    run.get_by_role("button", name="Bild 1 groß anzeigen").click()
    dialog = studio.get_by_role("dialog", name="Bilddetails")
    for action in ("Als Referenz verwenden", "Seed wiederverwenden", "Reproduzieren"):
        expect(dialog.get_by_role("button", name=action, exact=True)).to_be_visible()
    expect(dialog.get_by_role("rowheader", name="Schritte")).to_be_visible()
