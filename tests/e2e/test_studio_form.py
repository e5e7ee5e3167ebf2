"""The complete studio form: presets, overrides, seeds, variants, references, cancel, layout."""

import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from bildgen.inference.demo.renderer import render
from tests.e2e.conftest import downloaded_pixels, eventually, generate_and_wait, image_action

EFFECTIVE = "#effective-parameters"


def choose(page, combobox: str, option: str) -> None:
    page.get_by_role("combobox", name=combobox).click()
    page.get_by_role("option", name=option, exact=True).click()


def open_advanced(page) -> None:
    trigger = page.get_by_role("button", name="Advanced settings")
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()


def test_presets_set_the_effective_parameters_and_manual_values_win(studio):
    choose(studio, "Mode preset", "Landscape 16:9")
    expect(studio.locator(EFFECTIVE)).to_contain_text("1360 × 768 px")
    expect(studio.locator(EFFECTIVE)).to_contain_text("2 images")
    choose(studio, "Quality preset", "Best")
    expect(studio.locator(EFFECTIVE)).to_contain_text("30 steps")
    expect(studio.get_by_text("modified")).to_have_count(0)

    open_advanced(studio)
    expect(studio.get_by_label("Width")).to_have_attribute("placeholder", "1360")
    studio.get_by_label("Width").fill("512")
    studio.get_by_label("Steps").fill("7")
    expect(studio.locator(EFFECTIVE)).to_contain_text("512 × 768 px · 7 steps")
    expect(studio.get_by_text("modified")).to_have_count(2)

    studio.get_by_label("Height").fill("500")
    expect(studio.get_by_text("Height must be a multiple of 16")).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("a valid prompt")
    expect(studio.get_by_role("button", name="Generate")).to_be_disabled()

    # Picking a preset again means its values: the overrides it governs are cleared.
    choose(studio, "Mode preset", "Portrait 9:16")
    expect(studio.locator(EFFECTIVE)).to_contain_text("768 × 1360 px · 7 steps")
    expect(studio.get_by_role("button", name="Generate")).to_be_enabled()


def test_the_sent_request_matches_the_effective_parameters(studio, demo_server):
    open_advanced(studio)
    studio.get_by_label("Width").fill("640")
    studio.get_by_label("Height").fill("384")
    studio.get_by_label("Steps").fill("12")
    studio.get_by_label("Guidance").fill("6.5")
    studio.get_by_label("Seed", exact=True).fill("4242")
    studio.get_by_label("Negative prompt").fill("blurry")
    studio.get_by_label("Prompt", exact=True).fill("a kite over dunes")
    expect(studio.locator(EFFECTIVE)).to_have_text(
        "640 × 384 px · 12 steps · Guidance 6.5 · 1 image · seed 4242 · negative prompt"
    )
    generate_and_wait(studio)
    sent = [entry for entry in demo_server.requests() if entry["path"] == "/v1/images/generations"][-1]["body"]
    assert {key: sent[key] for key in ("size", "num_inference_steps", "guidance_scale", "seed", "negative_prompt")} == {
        "size": "640x384",
        "num_inference_steps": 12,
        "guidance_scale": 6.5,
        "seed": 4242,
        "negative_prompt": "blurry",
    }
    # A typed seed stays for the next runs (issue 15, bug 1).
    expect(studio.get_by_label("Seed", exact=True)).to_have_value("4242")


def test_four_variants_appear_each_with_its_own_seed(studio):
    studio.get_by_label("Prompt", exact=True).fill("four little boats")
    studio.get_by_role("radio", name="4").click()
    generate_and_wait(studio, count=4)
    seeds = [
        int(
            re.search(
                r"seed (\d+)",
                studio.get_by_role("img", name=re.compile(rf"^Generated image {n},")).get_attribute("alt"),
            ).group(1)
        )
        for n in range(1, 5)
    ]
    assert seeds == [seeds[0] + offset for offset in range(4)]


def test_a_kept_seed_reproduces_byte_identical_pixels(studio):
    studio.get_by_label("Prompt", exact=True).fill("reproducible lighthouse")
    open_advanced(studio)
    studio.get_by_label("Seed", exact=True).fill("777")
    expect(studio.locator(EFFECTIVE)).to_contain_text("seed 777")
    generate_and_wait(studio)
    first = downloaded_pixels(studio, "Download image 1")
    generate_and_wait(studio)
    expect(studio.get_by_label("Seed", exact=True)).to_have_value("777")
    assert downloaded_pixels(studio, "Download image 1") == first

    studio.get_by_label("Seed", exact=True).fill("778")
    generate_and_wait(studio)
    assert downloaded_pixels(studio, "Download image 1") != first


def test_reuse_seed_fills_in_and_keeps_the_seed(studio):
    studio.get_by_label("Prompt", exact=True).fill("a seed to keep")
    generate_and_wait(studio)
    seed = re.search(
        r"seed (\d+)", studio.get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("alt")
    ).group(1)
    image_action(studio, 1, "Reuse seed")
    open_advanced(studio)
    expect(studio.get_by_label("Seed", exact=True)).to_have_value(seed)
    expect(studio.get_by_text("Used for every run until you clear it or press the dice.")).to_be_visible()


def test_use_as_reference_switches_to_image_to_image(studio, demo_server):
    studio.get_by_label("Prompt", exact=True).fill("a red balloon")
    generate_and_wait(studio)
    image_action(studio, 1, "Use as reference")
    expect(studio.get_by_role("img", name=re.compile(r"^Reference image 1: generated image, seed \d+"))).to_be_visible()
    expect(studio.get_by_text("Edit with 1 reference", exact=True)).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("the balloon, now blue")
    generate_and_wait(studio)
    edits = [entry for entry in demo_server.requests() if entry["path"] == "/v1/images/edits"]
    assert len(edits[-1]["body"]["image_parts"]) == 1


def disconnects(server) -> int:
    return sum(1 for entry in server.requests() if entry["method"] == "DISCONNECT")


def test_cancel_stops_outstanding_variants_and_frees_the_form(studio, demo_server):
    before = disconnects(demo_server)
    httpx.post(f"http://127.0.0.1:{demo_server.port}/_demo/fault", json={"fault": "hang", "times": 2})
    studio.get_by_label("Prompt", exact=True).fill("this will take forever")
    studio.get_by_role("radio", name="2").click()
    studio.get_by_role("button", name="Generate").click()
    expect(studio.get_by_role("status", name="Image 2 is being generated")).to_be_visible()
    studio.get_by_role("button", name="Cancel").click()
    expect(studio.get_by_text("Image 1: cancelled.")).to_be_visible()
    expect(studio.get_by_text("Image 2: cancelled.")).to_be_visible()
    expect(studio.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(studio.get_by_role("button", name="Generate")).to_be_enabled()
    # Cancelling closed both requests: the server saw each client go away.
    eventually(studio, lambda: disconnects(demo_server) - before >= 2, "the server did not see both requests closed")
    assert disconnects(demo_server) - before == 2


def png_file(path, *, size=(64, 48), text="") -> str:
    path.write_bytes(render(text or path.stem, width=size[0], height=size[1], seed=1))
    return str(path)


def test_pasting_an_image_adds_it_as_a_reference(studio, tmp_path):
    data = list(render("pasted", width=64, height=64, seed=9))
    studio.evaluate(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
            document.querySelector("#prompt").dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
        }""",
        data,
    )
    expect(studio.get_by_role("img", name="Reference image 1: pasted-image-1.png")).to_be_visible()


def test_dropping_an_image_onto_the_form_adds_it_as_a_reference(studio, tmp_path):
    data = list(render("dropped", width=64, height=64, seed=9))
    handle = studio.evaluate_handle(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
            return transfer;
        }""",
        data,
    )
    target = studio.get_by_label("Prompt", exact=True)
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": handle})
    expect(studio.get_by_role("img", name="Reference image 1: dropped.png")).to_be_visible()


def big_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("truncated.png", lambda: render("cut", width=256, height=256, seed=2)[:900], "is damaged or incomplete"),
        ("bomb.png", lambda: big_png(20000), "has too many pixels"),
        ("huge.jpg", lambda: b"\xff\xd8" + b"\x00" * (21 * 1024 * 1024), "is larger than 20 MB"),
    ],
    ids=["truncated", "pixel-bomb", "over-20-mb"],
)
def test_each_bad_upload_has_its_message_and_nothing_is_added(studio, tmp_path, name, make, words):
    path = tmp_path / name
    path.write_bytes(make())
    with studio.expect_file_chooser() as chooser:
        studio.get_by_role("button", name="Add reference images").click()
    chooser.value.set_files(str(path))
    expect(studio.get_by_role("alert")).to_contain_text(f"{name} {words}")
    expect(studio.get_by_role("img", name=re.compile(r"^Reference image"))).to_have_count(0)


def test_on_a_phone_the_form_and_results_stack_without_horizontal_scrolling(studio, tmp_path):
    studio.set_viewport_size({"width": 390, "height": 844})
    studio.get_by_label("Prompt", exact=True).fill("a phone-sized picture")
    open_advanced(studio)
    generate_and_wait(studio)
    studio.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    assert studio.evaluate("document.documentElement.scrollWidth") <= 390
    # The results come after the form (Generate itself stays at the bottom of the screen, test_phone.py).
    form = studio.get_by_label("Effective parameters").bounding_box()
    result = studio.get_by_role("img", name=re.compile(r"^Generated image 1,")).bounding_box()
    assert result["y"] > form["y"]


def test_overrides_still_apply_after_advanced_settings_is_closed(studio, demo_server):
    open_advanced(studio)
    studio.get_by_label("Width").fill("768")
    studio.get_by_label("Seed", exact=True).fill("31")
    expect(studio.locator(EFFECTIVE)).to_contain_text("768 × 1024 px")
    studio.get_by_role("button", name="Advanced settings").click()
    studio.get_by_label("Prompt", exact=True).fill("closed accordion")
    generate_and_wait(studio)
    sent = [entry for entry in demo_server.requests() if entry["path"] == "/v1/images/generations"][-1]["body"]
    assert (sent["size"], sent["seed"]) == ("768x1024", 31)
