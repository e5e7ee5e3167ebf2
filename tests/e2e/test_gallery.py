"""Nothing generated is lost: the gallery across reloads and closed tabs, reproduce, delete, filters."""

import io
import re

import httpx
from PIL import Image, PngImagePlugin
from playwright.sync_api import expect

from tests.e2e.conftest import A1111_LABEL, choose_model, downloaded_pixels, generate_and_wait, sign_up, wait_for_studio

TILE = re.compile(r"^Open image: ")


def open_gallery(page, app_url) -> None:
    page.goto(f"{app_url}/gallery")
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()


def tiles(page, prompt: str | None = None):
    return page.get_by_role("button", name=re.compile(rf"^Open image: {re.escape(prompt)}, seed") if prompt else TILE)


def test_generated_images_are_in_the_gallery_after_a_reload(studio, app_url):
    studio.get_by_label("Prompt", exact=True).fill("a lasting memory")
    studio.get_by_role("radio", name="2").click()
    generate_and_wait(studio, count=2)
    open_gallery(studio, app_url)
    expect(tiles(studio, "a lasting memory")).to_have_count(2)
    studio.reload()
    expect(tiles(studio, "a lasting memory")).to_have_count(2)


def test_closing_the_tab_mid_generation_still_saves_the_result(page, context, app_url):
    sign_up(page, app_url)
    # A model that takes seconds per image: the 1 s demo can finish before its status is ever seen.
    choose_model(page, A1111_LABEL)
    page.get_by_label("Prompt", exact=True).fill("finished without me")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status", name="Image 1 is being generated")).to_be_visible()
    page.close()

    later = context.new_page()
    open_gallery(later, app_url)
    # Either still running (shown as such, then refreshed) or already done.
    expect(tiles(later, "finished without me")).to_have_count(1, timeout=30_000)


def test_reproduce_restores_every_parameter_and_gives_byte_identical_pixels(studio, app_url):
    studio.get_by_label("Prompt", exact=True).fill("reproduce me exactly")
    studio.get_by_label("Negative prompt").fill("fog")
    studio.get_by_role("button", name="Advanced settings").click()
    studio.get_by_label("Width").fill("640")
    studio.get_by_label("Steps").fill("9")
    generate_and_wait(studio)
    original = downloaded_pixels(studio, "Download image 1")
    studio.get_by_label("Prompt", exact=True).fill("something else entirely")

    open_gallery(studio, app_url)
    tiles(studio, "reproduce me exactly").click()
    studio.get_by_role("button", name="Reproduce", exact=True).click()
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value("reproduce me exactly")
    expect(studio.get_by_label("Negative prompt")).to_have_value("fog")
    expect(studio.locator("#effective-parameters")).to_contain_text("640 × 1024 px · 9 steps")
    generate_and_wait(studio)
    assert downloaded_pixels(studio, "Download image 1") == original


def test_delete_asks_first_then_removes_the_image_for_good(studio, app_url):
    studio.get_by_label("Prompt", exact=True).fill("delete me")
    generate_and_wait(studio)
    url = studio.get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("src")
    open_gallery(studio, app_url)
    tiles(studio, "delete me").click()
    studio.get_by_role("button", name="Delete", exact=True).click()
    studio.get_by_role("button", name="Keep it").click()
    expect(studio.get_by_role("img", name=re.compile(r"^Image, seed \d+: delete me"))).to_be_visible()
    studio.get_by_role("button", name="Delete", exact=True).click()
    studio.get_by_role("button", name="Delete image").click()
    # Said once the row and the file are gone (the tiles alone also vanish while a reconnect reloads them).
    expect(studio.get_by_role("status").filter(has_text="Image deleted.")).to_be_visible()
    expect(tiles(studio, "delete me")).to_have_count(0)
    assert studio.request.get(url).status == 404
    studio.reload()
    expect(tiles(studio, "delete me")).to_have_count(0)


def test_filters_by_words_and_favourites(studio, app_url):
    for prompt in ("a green meadow", "a stormy sea"):
        studio.get_by_label("Prompt", exact=True).fill(prompt)
        generate_and_wait(studio)
    open_gallery(studio, app_url)
    expect(tiles(studio)).to_have_count(2)
    studio.get_by_label("Search prompts").fill("stormy")
    expect(tiles(studio)).to_have_count(1)
    expect(tiles(studio, "a stormy sea")).to_have_count(1)
    studio.get_by_label("Search prompts").fill("")
    expect(tiles(studio)).to_have_count(2)

    tiles(studio, "a green meadow").click()
    studio.get_by_role("button", name="Favourite", exact=True).click()
    expect(studio.get_by_role("button", name="Favourite", exact=True)).to_have_attribute("aria-pressed", "true")
    studio.keyboard.press("Escape")
    studio.get_by_role("switch").click()
    expect(tiles(studio)).to_have_count(1)
    expect(tiles(studio, "a green meadow")).to_have_count(1)

    # A search that matches nothing says so (not "No images yet"), and one click shows everything again.
    studio.get_by_label("Search prompts").fill("volcano")
    expect(studio.get_by_text("No images match these filters.")).to_be_visible()
    expect(studio.get_by_text("No images yet")).to_have_count(0)
    studio.get_by_role("button", name="Clear filters").click()
    expect(tiles(studio)).to_have_count(2)
    expect(studio.get_by_label("Search prompts")).to_have_value("")
    expect(studio.get_by_role("switch")).not_to_be_checked()


def test_each_tile_shows_its_prompt_in_one_line(studio, app_url):
    prompt = "a lighthouse keeper's cat asleep on a coil of rope beside the lamp"
    studio.get_by_label("Prompt", exact=True).fill(prompt)
    generate_and_wait(studio)
    open_gallery(studio, app_url)
    tile = tiles(studio, prompt)
    caption = studio.get_by_text(prompt, exact=True)
    expect(caption).to_be_visible()
    # One line under the image, cut short with an ellipsis rather than wrapping beyond the tile.
    shown, image = caption.bounding_box(), tile.bounding_box()
    assert shown["height"] < 30
    assert shown["y"] >= image["y"] + image["height"] - 1
    assert shown["width"] <= image["width"] + 1
    # The tile's controls keep their names.
    expect(studio.get_by_role("button", name=f"Pick for comparison: {prompt}, seed", exact=False)).to_be_visible()
    expect(studio.get_by_role("checkbox", name=f"Select: {prompt}, seed", exact=False)).to_be_visible()


def test_lineage_shows_what_an_image_was_made_from(studio, app_url):
    studio.get_by_label("Prompt", exact=True).fill("the parent picture")
    generate_and_wait(studio)
    open_gallery(studio, app_url)
    tiles(studio, "the parent picture").click()
    studio.get_by_role("button", name="Use as reference", exact=True).click()
    expect(studio.get_by_text("Edit with 1 reference", exact=True)).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("the child picture")
    generate_and_wait(studio)
    open_gallery(studio, app_url)
    tiles(studio, "the child picture").click()
    expect(studio.get_by_role("button", name=re.compile(r"^Made from: seed \d+"))).to_have_count(1)
    studio.get_by_role("button", name=re.compile(r"^Made from: seed")).click()
    expect(studio.get_by_role("button", name=re.compile(r"^Made into: seed \d+"))).to_have_count(1)


def a1111_png(tmp_path) -> str:
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters",
        "a castle on a hill at sunset\nNegative prompt: lowres\nSteps: 28, Sampler: Euler a, CFG scale: 7, Seed: 123456, Size: 832x1216, Model: sdxl",
    )
    path = tmp_path / "castle.png"
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(buffer, format="PNG", pnginfo=info)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_dropping_a_png_with_a_recipe_restores_it(studio, tmp_path):
    with studio.expect_file_chooser() as chooser:
        studio.get_by_role("button", name="Add reference images").click()
    chooser.value.set_files(a1111_png(tmp_path))
    expect(studio.get_by_text("Restored the recipe of castle.png.")).to_be_visible()
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value("a castle on a hill at sunset")
    expect(studio.get_by_label("Negative prompt")).to_have_value("lowres")
    expect(studio.locator("#effective-parameters")).to_have_text(
        "832 × 1216 px · 28 steps · Guidance 7 · 1 image · seed 123456 · negative prompt"
    )
    expect(studio.get_by_text("Text to image", exact=True)).to_be_visible()
    studio.get_by_role("button", name="Use it as a reference instead").click()
    expect(studio.get_by_role("img", name="Reference image 1: castle.png")).to_be_visible()


def test_a_run_started_in_one_tab_shows_in_another_and_completes_there(page, context, app_url, demo_server):
    sign_up(page, app_url)
    httpx.post(f"http://127.0.0.1:{demo_server.port}/_demo/fault", json={"fault": "slow", "times": 1})
    page.get_by_label("Prompt", exact=True).fill("seen from the other tab")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status", name="Image 1 is being generated")).to_be_visible()

    other = context.new_page()
    other.goto(app_url)
    wait_for_studio(other)
    expect(other.get_by_role("status", name="Image 1 is being generated")).to_be_visible()
    expect(other.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=30_000)
