"""Batches from the browser: paste or upload prompts, fix a highlighted row, run, follow, find them in the gallery."""

import re

from playwright.sync_api import expect

TILE = re.compile(r"^Open image: ")


def open_batches(page, app_url) -> None:
    page.goto(f"{app_url}/batches")
    expect(page.get_by_role("heading", name="New batch")).to_be_visible()
    # The models are listed once the page's load event has been answered.
    expect(page.get_by_role("combobox", name="Batch model")).to_contain_text("Demo")


def small_images(page) -> None:
    """The demo draws 256² images fastest; the batch's defaults say so for every row."""
    for label, value in (("Width", "256"), ("Height", "256"), ("Steps", "2")):
        page.locator(f"#batch-default-{label.lower()}").fill(value)


def test_pasted_prompts_run_as_a_batch_and_land_in_the_gallery_grouped_under_it(studio, app_url):
    open_batches(studio, app_url)
    studio.get_by_label("Prompts, one per line").fill("1. a paper boat\n\n- a glass apple\na copper kettle\n")
    studio.get_by_role("button", name="Add to table").click()
    expect(studio.get_by_text("Rows 1–3 of 3")).to_be_visible()
    expect(studio.get_by_label("Prompt, row 1", exact=True)).to_have_value("a paper boat")
    small_images(studio)
    studio.get_by_label("Batch name").fill("kitchen things")
    studio.get_by_role("button", name="Run batch").click()

    expect(studio).to_have_url(re.compile(r"/batches/[0-9a-f]{32}/?$"))
    expect(studio.get_by_role("heading", name="kitchen things")).to_be_visible()
    progress = studio.locator("#batch-progress")
    expect(progress).to_contain_text("3 of 3 prompts finished", timeout=30_000)
    expect(progress).to_contain_text("3 images")
    rows = studio.get_by_role("row")
    expect(rows.filter(has_text="Done")).to_have_count(3)
    expect(studio.get_by_role("img", name=re.compile(r"^Prompt 2, image 1: a glass apple"))).to_be_visible()

    studio.get_by_role("link", name="Show in gallery").click()
    expect(studio.get_by_text("Batch:")).to_be_visible()
    expect(studio.get_by_role("button", name=TILE)).to_have_count(3)
    expect(studio.get_by_role("button", name=re.compile(r"^Open image: a copper kettle"))).to_have_count(1)
    studio.get_by_role("button", name=re.compile(r"^Open image: a copper kettle")).click()
    studio.get_by_role("link", name="Made in a batch: open it").click()
    expect(studio.get_by_role("heading", name="kitchen things")).to_be_visible()


def test_a_batch_goes_on_with_the_browser_closed(page, context, app_url):
    from tests.e2e.conftest import sign_up

    sign_up(page, app_url)
    open_batches(page, app_url)
    page.get_by_label("Prompts, one per line").fill("\n".join(f"left alone {n}" for n in range(4)))
    page.get_by_role("button", name="Add to table").click()
    small_images(page)
    page.get_by_role("button", name="Run batch").click()
    expect(page).to_have_url(re.compile(r"/batches/[0-9a-f]{32}/?$"))
    batch_url = page.url
    page.close()

    later = context.new_page()
    later.goto(batch_url)
    expect(later.locator("#batch-progress")).to_contain_text("4 of 4 prompts finished", timeout=30_000)


def test_a_row_that_breaks_the_size_rules_is_highlighted_and_nothing_runs(studio, app_url):
    open_batches(studio, app_url)
    studio.get_by_label("Prompts, one per line").fill("fine\nnot fine")
    studio.get_by_role("button", name="Add to table").click()
    studio.get_by_label("Width, row 2", exact=True).fill("1000")
    studio.get_by_label("Steps, row 1", exact=True).click()  # leaving the cell checks the row
    bad = studio.get_by_role("row").filter(has_text="Width must be a multiple of 16")
    expect(bad).to_have_count(1)
    expect(bad).to_have_attribute("aria-invalid", "true")
    studio.get_by_role("button", name="Run batch").click()
    expect(studio.get_by_role("alert")).to_contain_text("1 row needs attention")
    expect(studio).to_have_url(re.compile(r"/batches/?$"))

    studio.get_by_label("Width, row 2", exact=True).fill("1024")
    studio.get_by_label("Steps, row 1", exact=True).click()
    expect(studio.get_by_role("row").filter(has_text="Width must be")).to_have_count(0)


def test_an_uploaded_csv_fills_the_table_and_says_what_it_left_out(studio, app_url, tmp_path):
    csv_file = tmp_path / "prompts.csv"
    csv_file.write_text("prompt,steps,colour\na red tram,12,red\n,30,blue\na blue bus,,\n")
    open_batches(studio, app_url)
    with studio.expect_file_chooser() as chooser:
        studio.get_by_role("button", name="Upload CSV or JSON").click()
    chooser.value.set_files(str(csv_file))
    expect(studio.get_by_text("Rows 1–2 of 2")).to_be_visible()
    expect(studio.get_by_label("Steps, row 1", exact=True)).to_have_value("12")
    notes = studio.get_by_role("status").filter(has_text="Added 2 prompts")
    expect(notes).to_contain_text("Row 3: no prompt; row left out.")
    expect(notes).to_contain_text("colour")


def test_prompts_written_about_a_theme_land_in_the_table_to_edit_before_running(studio, app_url):
    open_batches(studio, app_url)
    studio.get_by_label("Write prompts about").fill("Cyberpunk world")
    studio.get_by_label("How many").fill("40")
    studio.get_by_role("button", name="Write prompts").click()
    expect(studio.get_by_role("status").filter(has_text="Added 40 prompts written by Demo writer")).to_be_visible()
    expect(studio.get_by_text("Rows 1–25 of 40")).to_be_visible()
    first = studio.get_by_label("Prompt, row 1", exact=True)
    expect(first).to_have_value(re.compile(r"^Cyberpunk world: "))
    first.fill("my own first prompt")
    studio.get_by_label("Steps, row 1", exact=True).click()
    studio.get_by_role("button", name="Next rows").click()
    expect(studio.get_by_text("Rows 26–40 of 40")).to_be_visible()
    studio.get_by_role("button", name="Previous rows").click()
    expect(studio.get_by_label("Prompt, row 1", exact=True)).to_have_value("my own first prompt")


def test_cancelling_a_batch_stops_what_has_not_started_and_keeps_what_is_saved(studio, app_url):
    open_batches(studio, app_url)
    studio.get_by_label("Prompts, one per line").fill("\n".join(f"cancel me {n}" for n in range(12)))
    studio.get_by_role("button", name="Add to table").click()
    small_images(studio)
    studio.get_by_role("button", name="Run batch").click()
    expect(studio).to_have_url(re.compile(r"/batches/[0-9a-f]{32}/?$"))
    studio.get_by_role("button", name="Cancel batch").click()
    expect(studio.get_by_role("status").filter(has_text="Cancelled: nothing more of this batch starts")).to_be_visible()
    progress = studio.locator("#batch-progress")
    expect(progress).to_contain_text("12 of 12 prompts finished", timeout=30_000)
    expect(progress).to_contain_text("cancelled")
    expect(studio.get_by_role("button", name="Cancel batch")).to_have_count(0)
    expect(studio.get_by_role("row").filter(has_text="Cancelled").first).to_be_visible()


def test_a_long_unbroken_prompt_wraps_and_keeps_every_column_on_the_page(studio, app_url):
    open_batches(studio, app_url)
    studio.get_by_label("Prompts, one per line").fill("x" * 900 + "\na short one\n")
    studio.get_by_role("button", name="Add to table").click()
    small_images(studio)
    studio.get_by_role("button", name="Run batch").click()
    expect(studio.locator("#batch-progress")).to_contain_text("2 of 2 prompts finished", timeout=30_000)
    thumbnail = studio.get_by_role("img", name=re.compile(r"^Prompt 1, image 1: x+"))
    expect(thumbnail).to_be_visible()
    box, width = thumbnail.bounding_box(), studio.viewport_size["width"]
    assert box["x"] + box["width"] <= width, "the finished image is pushed off the page"
    assert studio.evaluate("document.documentElement.scrollWidth") <= width


def test_a_paste_too_large_for_the_box_is_kept_and_explained_instead_of_lost(studio, app_url):
    open_batches(studio, app_url)
    box = studio.get_by_label("Prompts, one per line")
    huge = "\n".join(f"prompt number {number} " + "y" * 1_980 for number in range(600))  # ~1.2 MB
    box.fill(huge)
    studio.get_by_role("button", name="Add to table").click()
    expect(studio.get_by_role("alert")).to_contain_text("the box takes at most 0.9 MB at a time")
    assert box.input_value() == huge  # nothing lost
    # The page still talks to the server: a part of it goes in.
    box.fill("\n".join(huge.splitlines()[:3]))
    studio.get_by_role("button", name="Add to table").click()
    expect(studio.get_by_text("Rows 1–3 of 3")).to_be_visible()
    expect(studio.get_by_text("the box takes at most 0.9 MB")).to_have_count(0)
