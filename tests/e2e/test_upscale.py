"""Upscale ×2 / ×4 on a result and in the lightbox, by accessible names, in English and German."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import IMAGE_TIMEOUT_MS, choose_language, generate_and_wait, image_action, newest_run


def test_upscale_x2_on_a_result_makes_a_larger_image_made_from_it_and_x4_beyond_the_limit_is_refused(studio):
    studio.get_by_label("Prompt", exact=True).fill("a harbour at night")
    generate_and_wait(studio)
    source_run = newest_run(studio).get_attribute("id")

    image_action(newest_run(studio), 1, "Upscale ×2")

    # A run of its own on top of the feed, like any other.
    expect(newest_run(studio)).not_to_have_attribute("id", source_run or "")
    # An upscaler is sent no seed, so the image's name gives none.
    upscaled = newest_run(studio).get_by_role("img", name=re.compile(r"^Generated image 1$"))
    expect(upscaled).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    newest_run(studio).get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog")
    expect(dialog.get_by_role("row", name="Size 2048 × 2048")).to_be_visible()
    expect(dialog.get_by_role("row", name="Mode Upscale")).to_be_visible()
    expect(dialog.get_by_text("Upscaled ×2 with Demo upscaler.")).to_be_visible()
    expect(dialog.get_by_role("button", name=re.compile(r"^Made from: seed \d+$"))).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # 2048 × 4 is more than the upscaler makes: refused with its limit, nothing queued.
    runs_before = studio.get_by_role("article").count()
    image_action(newest_run(studio), 1, "Upscale ×4")
    expect(studio.get_by_role("alert")).to_contain_text("Demo upscaler makes at most 4096 pixels a side")
    assert studio.get_by_role("article").count() == runs_before


def test_in_german_the_lightbox_upscales_the_image_shown_by_four(studio):
    choose_language(studio, "Language", "Deutsch")
    studio.get_by_label("Prompt", exact=True).fill("ein Leuchtturm im Nebel")
    studio.get_by_role("button", name="Generieren").click()
    first = newest_run(studio).get_by_role("img", name=re.compile(r"^Generiertes Bild 1,"))
    expect(first).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    source_run = newest_run(studio).get_attribute("id")
    # The demo makes 1024 × 1024 images: ×4 is 4096, just within the upscaler's limit.
    newest_run(studio).get_by_role("button", name="Bild 1 groß anzeigen").click()
    studio.get_by_role("dialog").get_by_role("button", name="Vergrößern ×4").click()

    expect(newest_run(studio)).not_to_have_attribute("id", source_run or "")
    # No seed is sent to an upscaler, so the upscaled image's name gives none.
    expect(newest_run(studio).get_by_role("img", name=re.compile(r"^Generiertes Bild 1$"))).to_be_visible(
        timeout=IMAGE_TIMEOUT_MS
    )
    newest_run(studio).get_by_role("button", name="Bild 1 groß anzeigen").click()
    dialog = studio.get_by_role("dialog")
    expect(dialog.get_by_role("row", name="Größe 4096 × 4096")).to_be_visible()
    expect(dialog.get_by_role("row", name="Modus Vergrößern")).to_be_visible()
    expect(dialog.get_by_text("Vergrößert ×4 mit Demo upscaler.")).to_be_visible()


def test_expand_puts_the_padded_canvas_and_its_mask_into_the_form_and_generates_the_wider_image(studio):
    studio.get_by_label("Prompt", exact=True).fill("a quiet beach")
    generate_and_wait(studio)
    newest_run(studio).get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog")
    dialog.get_by_role("button", name="Expand…").click()
    studio.get_by_role("checkbox", name="Top").click()
    studio.get_by_role("checkbox", name="Bottom").click()
    studio.get_by_role("radio", name="+50 % per side").click()
    studio.get_by_role("button", name="Prepare expand").click()

    # In the studio's form: the wider canvas as reference, the new area as its mask, to adjust.
    expect(studio.get_by_role("img", name="Mask painted on reference image 1")).to_be_visible()
    expect(studio.get_by_role("button", name="Edit mask")).to_be_visible()
    generate_and_wait(studio)
    newest_run(studio).get_by_role("button", name="View image 1 large").click()
    expect(studio.get_by_role("dialog").get_by_role("row", name="Size 2048 × 1024")).to_be_visible()
    expect(studio.get_by_role("dialog").get_by_role("button", name=re.compile(r"^Made from: "))).to_be_visible()
