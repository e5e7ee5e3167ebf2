"""The README's screenshots, and a set of pages to look at before a release: `scripts/screenshots`.

Not part of the suite (its name does not start with test_): it asserts nothing a test does not, it
makes pictures for a person to judge. The app and demo servers are the e2e suite's own.
"""

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
# The studio at both widths, in both languages and both themes, is kept in docs/screenshots/ (the
# README shows studio-desktop-en and studio-phone-de); the other pages go to review/ only.
SCHEMES = {"light": "", "dark": "-dark"}
NAMES = {
    "en": {"user": "Username", "password": "Password", "create": "Create account", "generate": "Generate"},
    "de": {"user": "Benutzername", "password": "Passwort", "create": "Konto erstellen", "generate": "Generieren"},
}


def _shoot(page, folder: Path, name: str, full_page: bool = False) -> None:
    page.wait_for_timeout(600)  # fonts and thumbnails settle
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def _generate(page, words: dict, prompt: str, count: int) -> None:
    runs = page.get_by_role("article")
    before = runs.first.get_attribute("id") if runs.count() else None
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("radio", name=str(count)).click()
    page.get_by_role("button", name=words["generate"], exact=True).first.click()
    expect(runs.first).not_to_have_attribute("id", before or "", timeout=30_000)
    image = re.compile(r"^(Generated image|Generiertes Bild) \d+,")
    expect(runs.first.get_by_role("img", name=image)).to_have_count(count, timeout=30_000)


def test_screenshots(browser, app_url):
    folder = Path(os.environ.get("BILDGEN_SCREENSHOTS", "docs/screenshots")).resolve()
    review = folder / "review"
    review.mkdir(parents=True, exist_ok=True)
    for (language, locale), (scheme, theme) in (
        (pair, choice) for pair in (("en", "en-US"), ("de", "de-DE")) for choice in SCHEMES.items()
    ):
        words = NAMES[language]
        context = browser.new_context(viewport=DESKTOP, locale=locale, color_scheme=scheme)
        page = context.new_page()
        page.goto(f"{app_url}/sign-up")
        page.get_by_label(words["user"]).fill(f"anna-{language}-{os.urandom(3).hex()}")
        page.get_by_label(words["password"]).fill(PASSWORD)
        page.get_by_role("button", name=words["create"]).click()
        page.get_by_role("status").filter(has_text="Demo").wait_for(timeout=30_000)
        _generate(page, words, "a lighthouse on a cliff at dusk, storm clouds, oil painting", 1)
        _generate(page, words, "four little boats in a harbour at dawn, watercolour, soft light", 4)
        page.evaluate("window.scrollTo(0, 0)")
        _shoot(page, folder, f"studio-desktop-{language}{theme}")
        page.get_by_role("article").first.get_by_role("img", name=re.compile(r"^(Generated|Generiertes)")).first.click()
        _shoot(page, review, f"lightbox-desktop-{language}{theme}")
        page.keyboard.press("Escape")
        page.goto(f"{app_url}/gallery")
        page.wait_for_timeout(2000)  # its tiles and thumbnails
        _shoot(page, review, f"gallery-desktop-{language}{theme}")
        page.goto(f"{app_url}/batches")
        _shoot(page, review, f"batches-desktop-{language}{theme}")
        page.goto(f"{app_url}/account")
        _shoot(page, review, f"account-desktop-{language}{theme}")

        # The same account on a phone: the top of the studio, then its newest run.
        phone = browser.new_context(
            viewport=PHONE, locale=locale, has_touch=True, is_mobile=True, device_scale_factor=2, color_scheme=scheme
        )
        phone.add_cookies(context.cookies())
        page = phone.new_page()
        page.goto(app_url)
        page.get_by_role("article").first.wait_for()
        _shoot(page, review, f"studio-phone-top-{language}{theme}")
        # The newest run from its top (its prompt and parameters), as after Generate on a phone.
        page.get_by_role("article").first.evaluate("run => run.scrollIntoView({block: 'start'})")
        _shoot(page, folder, f"studio-phone-{language}{theme}")
        page.get_by_role("button", name="Menu" if language == "en" else "Menü").click()
        _shoot(page, review, f"menu-phone-{language}{theme}")
        phone.close()
        context.close()
