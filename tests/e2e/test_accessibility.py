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
    page.get_by_role("radio", name="2").click()
    generate_and_wait(page, count=2)
    findings["studio"] = severe_findings(page)
    page.get_by_role("button", name="View image 1 large").click()
    lightbox = page.get_by_role("dialog", name="Image details")
    expect(lightbox).to_be_visible()
    # Colours are judged once the dialog has faded in, not halfway.
    lightbox.evaluate("dialog => Promise.all(dialog.getAnimations({subtree: true}).map(a => a.finished))")
    findings["lightbox"] = severe_findings(page)
    page.keyboard.press("Escape")
    for number in (1, 2):
        page.get_by_role("button", name=f"Compare image {number}").click()
    findings["compare tray"] = severe_findings(page)
    page.get_by_role("region", name="Comparison").get_by_role("button", name="Compare", exact=True).click()
    comparison = page.get_by_role("dialog", name="Compare images")
    expect(comparison).to_be_visible()
    comparison.evaluate("dialog => Promise.all(dialog.getAnimations({subtree: true}).map(a => a.finished))")
    findings["compare"] = severe_findings(page)
    page.keyboard.press("Escape")
    page.goto(f"{app_url}/gallery")
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    page.get_by_role("button", name="Open image: a quiet harbour at dawn, seed", exact=False).first.wait_for()
    findings["gallery"] = severe_findings(page)
    assert findings == {"sign-in": [], "studio": [], "lightbox": [], "compare tray": [], "compare": [], "gallery": []}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_studio_on_a_phone_with_its_menu_open_has_no_serious_accessibility_problems(browser, app_url, scheme):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("a quiet harbour at dawn")
    generate_and_wait(page)
    findings = {"phone studio": severe_findings(page)}
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("menuitem", name="Gallery")).to_be_visible()
    findings["phone menu"] = severe_findings(page)
    context.close()
    assert findings == {"phone studio": [], "phone menu": []}
