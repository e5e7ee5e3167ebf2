"""German for browsers that prefer it, English otherwise; a switch in the header, remembered per user."""

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, sign_up


def german_page(browser):
    context = browser.new_context(locale="de-DE")
    return context, context.new_page()


def choose_language(page, current_label: str, language: str) -> None:
    page.get_by_role("combobox", name=current_label).click()
    page.get_by_role("option", name=language).click()


def test_a_browser_that_prefers_german_gets_german_and_may_switch_to_english(browser, app_url):
    context, page = german_page(browser)
    page.goto(f"{app_url}/sign-in")
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    expect(page.get_by_label("Benutzername")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    choose_language(page, "Sprache", "English")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # A refusal is worded in the page's language too.
    page.get_by_label("Username").fill("nobody-here")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    context.close()


def test_the_chosen_language_is_remembered_for_the_user_on_any_browser(page, browser, app_url):
    username = sign_up(page, app_url)
    choose_language(page, "Language", "Deutsch")
    expect(page.get_by_role("link", name="Galerie")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Galerie")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    # Another (English) browser: German again once this user has signed in.
    other = browser.new_context(locale="en-US")
    elsewhere = other.new_page()
    elsewhere.goto(f"{app_url}/sign-in")
    elsewhere.get_by_label("Username").fill(username)
    elsewhere.get_by_label("Password").fill(PASSWORD)
    elsewhere.get_by_role("button", name="Sign in").click()
    expect(elsewhere.get_by_role("link", name="Galerie")).to_be_visible()
    other.close()
