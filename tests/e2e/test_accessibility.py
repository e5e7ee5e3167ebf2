"""axe-core checks the pages people use most, in light and dark, and fails on serious or critical findings."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import generate_and_wait, sign_up

SEVERE = {"serious", "critical"}


def severe_findings(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        for violation in results.response["violations"]
        if violation["impact"] in SEVERE
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sign_in_studio_and_gallery_have_no_serious_accessibility_problems(page, app_url, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{app_url}/sign-in")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    findings = {"sign-in": severe_findings(page)}
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("a quiet harbour at dawn")
    generate_and_wait(page)
    findings["studio"] = severe_findings(page)
    page.get_by_role("button", name="View image 1 large").click()
    lightbox = page.get_by_role("dialog", name="Image details")
    expect(lightbox).to_be_visible()
    # Colours are judged once the dialog has faded in, not halfway.
    lightbox.evaluate("dialog => Promise.all(dialog.getAnimations({subtree: true}).map(a => a.finished))")
    findings["lightbox"] = severe_findings(page)
    page.keyboard.press("Escape")
    page.goto(f"{app_url}/gallery")
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    page.get_by_role("button", name="Open image: a quiet harbour at dawn, seed", exact=False).first.wait_for()
    findings["gallery"] = severe_findings(page)
    assert findings == {"sign-in": [], "studio": [], "lightbox": [], "gallery": []}
