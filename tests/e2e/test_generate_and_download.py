"""A new user's first minutes: type a prompt, get images, download one as a PNG."""

import re

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import IMAGE_TIMEOUT_MS, newest_run


def requested_size(page) -> tuple[int, int]:
    """The size the form says it will ask for, as the user reads it."""
    line = page.get_by_label("Effective parameters").inner_text()
    width, height = re.search(r"(\d+) × (\d+) px", line).groups()
    return int(width), int(height)


def test_two_images_appear_and_one_downloads_as_a_descriptive_png(studio, tmp_path):
    studio.get_by_label("Prompt", exact=True).fill("A red fox in the snow, at dawn!")
    studio.get_by_role("radio", name="2").click()
    studio.get_by_role("button", name="Generate").click()

    # Each image has its own placeholder with elapsed seconds until it arrives.
    expect(studio.get_by_role("status", name="Image 1 is being generated")).to_contain_text(re.compile(r"\d+ s"))
    expect(studio.get_by_role("status", name="Image 2 is being generated")).to_be_visible()
    first = studio.get_by_role("img", name=re.compile(r"^Generated image 1, seed \d+$"))
    second = studio.get_by_role("img", name=re.compile(r"^Generated image 2, seed \d+$"))
    expect(first).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    expect(second).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    seed = re.search(r"seed (\d+)", first.get_attribute("alt")).group(1)

    with studio.expect_download() as download_info:
        studio.get_by_role("link", name="Download image 1").click()
    download = download_info.value
    assert re.fullmatch(
        rf"\d{{8}}-\d{{6}}_a-red-fox-in-the-snow-at-dawn_{seed}_demo-vllm-omni\.png", download.suggested_filename
    ), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with Image.open(saved) as image:
        assert image.format == "PNG"
        assert image.size == requested_size(studio)


def test_ctrl_enter_in_the_prompt_generates(studio):
    prompt = studio.get_by_label("Prompt", exact=True)
    prompt.fill("lighthouse in a storm")
    prompt.press("Control+Enter")
    expect(studio.get_by_role("img", name=re.compile(r"^Generated image 1"))).to_be_visible(timeout=IMAGE_TIMEOUT_MS)


def test_generate_is_disabled_until_there_is_a_prompt(studio):
    generate = studio.get_by_role("button", name="Generate")
    expect(generate).to_be_disabled()
    expect(studio.get_by_text("Type a prompt to enable Generate.")).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("   ")
    expect(generate).to_be_disabled()
    studio.get_by_label("Prompt", exact=True).fill("a teapot")
    expect(generate).to_be_enabled()


def test_a_server_outage_gives_a_clear_message_and_keeps_the_form_usable(studio, demo_server, app_data_dir):
    images_before = sorted((app_data_dir / "images").rglob("*.png"))
    demo_server.stop()
    try:
        studio.get_by_label("Prompt", exact=True).fill("a castle on a hill")
        studio.get_by_role("button", name="Generate").click()
        failure = studio.get_by_role("alert").first
        expect(failure).to_contain_text("The image service isn't answering", timeout=IMAGE_TIMEOUT_MS)
        expect(failure).not_to_contain_text("address")  # the operator's detail is not the user's business
        expect(studio.get_by_text("Traceback")).to_have_count(0)
        expect(studio.get_by_role("button", name="Generate")).to_be_enabled()
        expect(studio.get_by_label("Prompt", exact=True)).to_have_value("a castle on a hill")
        assert sorted((app_data_dir / "images").rglob("*.png")) == images_before
    finally:
        demo_server.start()
    # Once the service is back, Retry on the failed run's card makes its image.
    newest_run(studio).get_by_role("button", name="Retry").click()
    expect(newest_run(studio).get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(
        timeout=IMAGE_TIMEOUT_MS
    )
    expect(newest_run(studio)).to_contain_text("a castle on a hill")
