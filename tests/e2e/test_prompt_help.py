"""Improve prompt and context elements in the studio: proposals accepted and edited, elements composed
into the effective prompt before Generate, both kept in the recipe and restored by Reproduce."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WRITER_LABEL, generate_and_wait
from tests.e2e.test_gallery import open_gallery, tiles

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5fd9c6b0000000049454e44ae426082"
)


def test_an_improved_prompt_is_offered_beside_the_original_edited_used_and_recorded(studio, app_url):
    prompt = studio.get_by_label("Prompt", exact=True)
    prompt.fill("a fox in snow")
    studio.get_by_role("button", name="Improve prompt").click()
    proposal = studio.get_by_label(f"Improved by {WRITER_LABEL}")
    expect(proposal).to_have_value(re.compile(r"^a fox in snow, "))
    expect(studio.get_by_text("Original")).to_be_visible()
    proposal.fill(proposal.input_value() + ", at dawn")
    studio.get_by_role("button", name="Use improved prompt").click()
    expect(prompt).to_have_value(re.compile(r"^a fox in snow, .*, at dawn$"))
    expect(proposal).to_have_count(0)

    generate_and_wait(studio)
    open_gallery(studio, app_url)
    tiles(studio).first.click()
    expect(studio.get_by_text(f"Improved by {WRITER_LABEL} from: a fox in snow")).to_be_visible()


def test_discarding_a_proposal_keeps_the_prompt(studio):
    prompt = studio.get_by_label("Prompt", exact=True)
    prompt.fill("a quiet lake")
    studio.get_by_role("button", name="Improve prompt").click()
    expect(studio.get_by_role("button", name="Discard")).to_be_visible()
    studio.get_by_role("button", name="Discard").click()
    expect(prompt).to_have_value("a quiet lake")


def test_context_elements_are_composed_visibly_sent_with_their_image_and_restored_by_reproduce(
    studio, app_url, demo_server, tmp_path
):
    image = tmp_path / "mira.png"
    image.write_bytes(PNG)
    studio.get_by_role("button", name="New element").click()
    studio.get_by_label("Name").fill("Mira")
    studio.get_by_label("Kind").select_option("character")
    studio.get_by_label("Description").fill("a red-haired courier with a brass arm")
    with studio.expect_file_chooser() as chooser:
        studio.get_by_role("button", name="Add an image").click()
    chooser.value.set_files(str(image))
    expect(studio.get_by_role("img", name="Image of the new element")).to_be_visible()
    studio.get_by_role("button", name="Save element").click()
    studio.get_by_label("Role of Mira").select_option("subject")

    studio.get_by_label("Prompt", exact=True).fill("a chase across the rooftops")
    effective = studio.locator("#effective-prompt")
    # The typed prompt ends as a sentence before the element's one, in the preview and in what is sent.
    expect(effective).to_have_text(
        "a chase across the rooftops. Featuring Mira: a red-haired courier with a brass arm."
    )
    generate_and_wait(studio)
    sent = [entry for entry in demo_server.requests() if entry["path"] == "/v1/images/edits"][-1]["body"]
    assert sent["prompt"] == "a chase across the rooftops. Featuring Mira: a red-haired courier with a brass arm."
    assert len(sent["image_parts"]) == 1

    studio.get_by_label("Role of Mira").select_option("none")
    studio.get_by_label("Prompt", exact=True).fill("something else")
    open_gallery(studio, app_url)
    tiles(studio).first.click()
    expect(studio.get_by_text("Context element (subject): Mira")).to_be_visible()
    studio.get_by_role("button", name="Reproduce", exact=True).click()
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value("a chase across the rooftops")
    expect(studio.get_by_label("Role of Mira")).to_have_value("subject")
    expect(studio.locator("#effective-prompt")).to_contain_text("Featuring Mira")


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_element_is_edited_and_deleted_only_after_confirming(studio, demo_server, tmp_path, viewport):
    studio.set_viewport_size(viewport)
    image = tmp_path / "harbour.png"
    image.write_bytes(PNG)
    studio.get_by_role("button", name="New element").click()
    studio.get_by_label("Name").fill("Harbour")
    studio.get_by_label("Kind").select_option("place")
    studio.get_by_label("Description").fill("rain on the docks")
    studio.get_by_role("button", name="Save element").click()
    studio.get_by_label("Role of Harbour").select_option("setting")
    studio.get_by_label("Prompt", exact=True).fill("Is it late?")
    expect(studio.locator("#effective-prompt")).to_have_text("Is it late? Setting: Harbour, rain on the docks.")

    # Edit: the dialog starts from the element's values; the new words follow into the prompt.
    studio.get_by_role("button", name="Edit element Harbour").click()
    dialog = studio.get_by_role("dialog", name="Edit Harbour")
    expect(dialog.get_by_label("Name")).to_have_value("Harbour")
    expect(dialog.get_by_label("Kind")).to_have_value("place")
    expect(dialog.get_by_label("Description")).to_have_value("rain on the docks")
    dialog.get_by_label("Name").fill("Old Harbour")
    dialog.get_by_label("Description").fill("sodium lamps in the rain")
    with studio.expect_file_chooser() as chooser:
        dialog.get_by_role("button", name="Add an image").click()
    chooser.value.set_files(str(image))
    expect(dialog.get_by_role("img", name="Image chosen for Harbour")).to_be_visible()
    dialog.get_by_role("button", name="Save element").click()
    expect(dialog).to_have_count(0)
    expect(studio.get_by_role("img", name="Image of Old Harbour")).to_be_visible()
    expect(studio.get_by_label("Role of Old Harbour")).to_have_value("setting")
    expect(studio.locator("#effective-prompt")).to_have_text(
        "Is it late? Setting: Old Harbour, sodium lamps in the rain."
    )
    generate_and_wait(studio)
    sent = [entry for entry in demo_server.requests() if entry["path"] == "/v1/images/edits"][-1]["body"]
    assert sent["prompt"] == "Is it late? Setting: Old Harbour, sodium lamps in the rain."

    # The image can be taken off again.
    studio.get_by_role("button", name="Edit element Old Harbour").click()
    dialog = studio.get_by_role("dialog", name="Edit Old Harbour")
    dialog.get_by_role("button", name="Remove image").click()
    dialog.get_by_role("button", name="Save element").click()
    expect(dialog).to_have_count(0)
    expect(studio.get_by_role("img", name="Image of Old Harbour")).to_have_count(0)

    # Delete asks first; keeping it keeps it.
    studio.get_by_role("button", name="Delete element Old Harbour").click()
    confirm = studio.get_by_role("alertdialog", name="Delete Old Harbour?")
    confirm.get_by_role("button", name="Keep it").click()
    expect(confirm).to_have_count(0)
    expect(studio.get_by_label("Role of Old Harbour")).to_be_visible()
    studio.get_by_role("button", name="Delete element Old Harbour").click()
    studio.get_by_role("alertdialog", name="Delete Old Harbour?").get_by_role("button", name="Delete").click()
    expect(studio.get_by_label("Role of Old Harbour")).to_have_count(0)
    expect(studio.locator("#effective-prompt")).to_have_count(0)
    expect(studio.get_by_text("No elements yet.")).to_be_visible()
