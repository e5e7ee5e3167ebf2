"""axe-core on the batch pages, the packs page and the comparison grid: no serious or critical finding."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import severe_findings
from tests.e2e.test_batches import open_batches, small_images


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_batches_packs_and_the_comparison_have_no_serious_accessibility_problems(studio, app_url, scheme):
    studio.emulate_media(color_scheme=scheme)
    open_batches(studio, app_url)
    studio.get_by_label("Prompts, one per line").fill("an old bicycle\na tin robot")
    studio.get_by_role("button", name="Add to table").click()
    expect(studio.get_by_label("Prompt, row 2", exact=True)).to_be_visible()
    findings = {"batches": severe_findings(studio)}
    small_images(studio)
    studio.get_by_role("button", name="Run batch").click()
    expect(studio).to_have_url(re.compile(r"/batches/[0-9a-f]{32}/?$"))
    expect(studio.locator("#batch-progress")).to_contain_text("2 of 2 prompts finished", timeout=30_000)
    findings["batch"] = severe_findings(studio)
    studio.get_by_role("button", name="Save as pack").click()
    expect(studio.get_by_role("status").filter(has_text="Saved as the private pack")).to_be_visible()
    studio.get_by_role("link", name="Comparison grid").click()
    expect(studio.get_by_role("status").filter(has_text="2 prompts · 1 runs")).to_be_visible()
    findings["comparison"] = severe_findings(studio)
    studio.goto(f"{app_url}/packs")
    expect(studio.get_by_role("heading", name="Inference packs")).to_be_visible()
    findings["packs"] = severe_findings(studio)
    assert findings == {"batches": [], "batch": [], "comparison": [], "packs": []}
