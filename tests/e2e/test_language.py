"""German for browsers that prefer it, English otherwise; a switch in the header, remembered per user."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, choose_language, forget_language, sign_up


def german_page(browser):
    context = browser.new_context(locale="de-DE")
    return context, context.new_page()


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


def test_the_chosen_language_is_remembered_for_the_user_on_any_browser(page, browser, app_url, administrator):
    # `administrator` first: the app's first account becomes its administrator, and the Admin area's
    # tests act by English names; the German account made here must not be that one.
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


def test_a_german_administrator_gets_the_studio_admin_area_batches_and_account_in_german(
    browser, administrator, app_url, app_data_dir
):
    _, name = administrator
    forget_language(app_data_dir, name)
    context, page = german_page(browser)
    page.goto(f"{app_url}/sign-in")
    page.get_by_label("Benutzername").fill(name)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("link", name="Galerie")).to_be_visible()
    expect(page.get_by_text("Text zu Bild", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Erweiterte Einstellungen")).to_be_visible()
    expect(page.locator("#effective-parameters")).to_contain_text("Schritte")

    page.goto(f"{app_url}/admin")
    expect(page.get_by_role("heading", name="Verwaltung")).to_be_visible()
    expect(page.get_by_role("switch", name="Bildgenerierung für alle")).to_be_visible()
    expect(page.get_by_role("button", name="Speichern")).to_be_visible()
    admin_area = page.get_by_role("navigation", name="Verwaltung")
    admin_area.get_by_role("link", name="Benutzer").click()
    expect(page.get_by_role("columnheader", name="Zuletzt gesehen")).to_be_visible()
    expect(page.get_by_role("button", name=f"Passwort von {name} zurücksetzen")).to_be_visible()
    admin_area.get_by_role("link", name="Protokoll").click()
    expect(page.get_by_role("combobox", name="Nach Ereignis filtern")).to_be_visible()
    # The sign-in just made, at a German time ("21.11.2026, 14:05:03 UTC").
    signed_in = page.get_by_role("row").filter(has_text="Angemeldet").filter(has_text=name).first
    expect(signed_in).to_contain_text(re.compile(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d UTC"))
    admin_area.get_by_role("link", name="Nutzung").click()
    expect(page.get_by_text("Geschätzte Ausgaben:")).to_be_visible()
    expect(page.get_by_role("button", name="Kontingent hinzufügen")).to_be_visible()

    page.goto(f"{app_url}/batches")
    expect(page.get_by_role("heading", name="Stapel", exact=True)).to_be_visible()
    expect(page.get_by_label("Prompts, einer pro Zeile")).to_be_visible()
    expect(page.get_by_role("button", name="Zur Tabelle hinzufügen")).to_be_visible()
    expect(page.get_by_role("button", name="Stapel starten")).to_be_disabled()

    page.goto(f"{app_url}/account")
    expect(page.get_by_role("heading", name="Konto")).to_be_visible()
    expect(page.get_by_label("Name des Tokens")).to_be_visible()
    expect(page.get_by_role("button", name="Token erstellen")).to_be_visible()
    context.close()
