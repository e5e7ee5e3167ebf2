"""Inference packs and the comparison grid from the browser: a batch saved as a pack, run on two
models (one run with an extra prompt), compared in one grid; exported and imported again."""

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_LABEL, FLUX_LABEL
from tests.e2e.test_batches import open_batches, small_images

BATCH_URL = re.compile(r"/batches/[0-9a-f]{32}/?$")
# A native select's chosen label fits between its left padding and its arrow (about 20 px).
LABEL_FITS = """select => {
    const context = document.createElement("canvas").getContext("2d");
    const style = getComputedStyle(select);
    context.font = style.font;
    const text = context.measureText(select.selectedOptions[0].text).width;
    return text + parseFloat(style.paddingLeft) + 20 <= select.clientWidth;
}"""


def run_pasted_batch(page, app_url, prompts: list[str]) -> None:
    open_batches(page, app_url)
    page.get_by_label("Prompts, one per line").fill("\n".join(prompts))
    page.get_by_role("button", name="Add to table").click()
    small_images(page)
    page.get_by_role("button", name="Run batch").click()
    expect(page).to_have_url(BATCH_URL)


def wait_until_finished(page, count: int) -> None:
    expect(page.locator("#batch-progress")).to_contain_text(f"{count} of {count} prompts finished", timeout=45_000)


def test_a_batch_run_again_on_another_model_is_compared_in_one_grid(studio, app_url):
    run_pasted_batch(studio, app_url, ["a wooden chair", "a marble bust"])
    wait_until_finished(studio, 2)
    first_name = studio.get_by_role("heading", name=re.compile(r"a wooden chair$")).inner_text()
    studio.get_by_role("combobox", name="Model for another run").click()
    studio.get_by_role("option", name=FLUX_LABEL).click()
    studio.get_by_role("button", name="Run again on this model").click()
    expect(studio.get_by_role("cell", name=FLUX_LABEL).first).to_be_visible()
    # The run again is told apart by name and says its model.
    expect(studio.get_by_role("heading", name=f"{first_name} on {FLUX_LABEL}", exact=True)).to_be_visible()
    expect(studio.get_by_text(f"Model: {FLUX_LABEL}", exact=True)).to_be_visible()
    wait_until_finished(studio, 2)
    studio.get_by_role("link", name="Compare 2 runs").click()
    expect(studio.get_by_role("status").filter(has_text="2 prompts · 2 runs")).to_be_visible()
    for label in (DEMO_LABEL, FLUX_LABEL):
        expect(studio.get_by_role("img", name=re.compile(rf"^{re.escape(label)} · .*: a marble bust"))).to_have_count(1)


def test_a_pack_runs_on_two_models_with_an_extra_prompt_and_travels_as_json(studio, app_url, tmp_path):
    run_pasted_batch(studio, app_url, ["a red tram", "a blue bus", "a green ferry"])
    wait_until_finished(studio, 3)
    studio.get_by_label("Pack name").fill("Transport")
    studio.get_by_role("button", name="Save as pack").click()
    expect(studio.get_by_role("status").filter(has_text="Saved as the private pack “Transport”")).to_be_visible()

    studio.get_by_role("link", name="Packs").click()
    expect(studio.get_by_role("heading", name="Transport")).to_be_visible()
    studio.get_by_label("Model to run Transport on").select_option(label=DEMO_LABEL)
    studio.get_by_role("button", name="Run Transport").click()
    expect(studio).to_have_url(BATCH_URL)
    wait_until_finished(studio, 3)

    studio.get_by_role("link", name="Packs").click()
    model = studio.get_by_label("Model to run Transport on")
    model.select_option(label=FLUX_LABEL)
    # The chosen model's whole label is seen, not clipped by the field.
    assert model.evaluate(LABEL_FITS), FLUX_LABEL
    studio.get_by_label("Extra prompts for Transport").fill("a yellow taxi")
    studio.get_by_role("button", name="Run Transport").click()
    expect(studio).to_have_url(BATCH_URL)
    expect(studio.get_by_role("heading", name=f"Transport on {FLUX_LABEL}")).to_be_visible()
    wait_until_finished(studio, 4)

    studio.get_by_role("link", name="Packs").click()
    studio.get_by_role("link", name="Compare runs").click()
    expect(studio.get_by_role("status").filter(has_text="4 prompts · 2 runs")).to_be_visible()
    # Same prompt, same seed, both models: one row holds both images.
    tram = studio.get_by_role("row").filter(has_text="a red tram")
    expect(tram.get_by_role("img")).to_have_count(2)
    taxi = studio.get_by_role("row").filter(has_text="a yellow taxi")
    expect(taxi.get_by_role("img")).to_have_count(1)

    studio.get_by_role("link", name="Packs").click()
    with studio.expect_download() as download:
        studio.get_by_role("link", name="Export Transport as JSON").click()
    exported = json.loads(open(download.value.path()).read())
    assert [image["prompt"] for image in exported["images"]] == ["a red tram", "a blue bus", "a green ferry"]
    assert exported["width"] == 256 and all(isinstance(image["seed"], int) for image in exported["images"])

    copy = tmp_path / "transport-copy.json"
    copy.write_text(json.dumps({**exported, "name": "Transport copy"}))
    with studio.expect_file_chooser() as chooser:
        studio.get_by_role("button", name="Import a pack (JSON)").click()
    chooser.value.set_files(str(copy))
    expect(studio.get_by_role("heading", name="Transport copy")).to_be_visible()
