import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_up


def generate_and_wait(page, count=1):
    german = page.locator("html").get_attribute("lang") == "de"
    runs = page.get_by_role("article")
    before = runs.first.get_attribute("id") if runs.count() else None
    page.get_by_role("button", name="Generieren" if german else "Generate").click()
    expect(runs.first).not_to_have_attribute("id", before or "", timeout=30000)
    for n in range(1, count + 1):
        name = re.compile(rf"^(Generiertes Bild|Generated image) {n},")
        expect(runs.first.get_by_role("img", name=name)).to_be_visible(timeout=30000)


def shoot(page, lang, size, name):
    page.wait_for_timeout(800)
    page.screenshot(path=f"/tmp/s15-shot-{name}-{lang}.png")


def test_debug(browser, app_url):
    for lang in ("en", "de"):
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, locale="de-DE" if lang == "de" else "en-US"
        )
        page = context.new_page()
        sign_up(page, app_url) if lang == "en" else None
        if lang == "de":
            page.goto(f"{app_url}/sign-up")
            page.get_by_label("Benutzername").fill("anna-de-" + str(id(page))[-5:])
            page.get_by_label("Passwort").fill("a long enough passphrase")
            page.get_by_role("button", name="Konto erstellen").click()
            page.get_by_role("status").filter(has_text="Demo").wait_for(timeout=30_000)
        page.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff at dusk, storm clouds, oil painting")
        generate_and_wait(page)
        page.get_by_label("Prompt", exact=True).fill("four little boats in a harbour at dawn, watercolour, soft light")
        page.get_by_role("radio", name="4").click()
        generate_and_wait(page, count=4)
        shoot(page, lang, "desktop", "desktop")
        page.get_by_role("article").first.get_by_role("img").first.click()
        shoot(page, lang, "desktop", "lightbox")
        page.keyboard.press("Escape")
        page.set_viewport_size({"width": 390, "height": 844})
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, lang, "phone", "phone-top")
        page.get_by_role("article").first.scroll_into_view_if_needed()
        shoot(page, lang, "phone", "phone-feed")
        page.goto(f"{app_url}/gallery")
        page.wait_for_timeout(1500)
        shoot(page, lang, "phone", "phone-gallery")
        page.set_viewport_size({"width": 1400, "height": 900})
        shoot(page, lang, "desktop", "gallery")
        context.close()
