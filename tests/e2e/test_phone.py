"""The studio on a phone (390×844, touch): one-line header, Generate always at hand, the new run in view."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import IMAGE_TIMEOUT_MS, newest_run, sign_in, sign_up, wait_for_studio

PHONE = {"width": 390, "height": 844}
HINT = "Ctrl+Enter (⌘+Enter on a Mac) also generates."


@pytest.fixture
def phone(browser, app_url):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    sign_up(page, app_url)
    yield page
    context.close()


def test_the_header_is_one_line_with_the_pages_and_the_account_in_a_menu(phone, app_url):
    header = phone.get_by_role("heading", name="bildgen")
    menu = phone.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    # Brand, language and menu share one line, and nothing scrolls sideways.
    assert abs(menu.bounding_box()["y"] - header.bounding_box()["y"]) < 20
    assert phone.get_by_role("combobox", name="Language").bounding_box()["y"] < header.bounding_box()["y"] + 20
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu.click()
    phone.get_by_role("menuitem", name="Gallery").click()
    expect(phone.get_by_role("heading", name="Gallery")).to_be_visible()
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("menuitem", name="Sign out").click()
    expect(phone.get_by_text("You are signed out.")).to_be_visible()


def test_generate_stays_in_reach_and_the_new_run_comes_into_view(phone):
    generate = phone.get_by_role("button", name="Generate")
    # Without the keyboard hint a touch screen cannot use.
    expect(phone.get_by_text(HINT)).to_be_hidden()
    phone.get_by_label("Prompt", exact=True).fill("a phone picture")
    # At the prompt, at the end of the form and down in the results: Generate is at the bottom of the screen.
    phone.get_by_label("Prompt", exact=True).scroll_into_view_if_needed()
    at_the_bottom(generate)
    generate.tap()
    run = newest_run(phone)
    expect(run).to_have_accessible_name("Run: a phone picture")
    expect(run).to_be_in_viewport()
    expect(run.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=IMAGE_TIMEOUT_MS)
    at_the_bottom(generate)
    phone.get_by_label("Prompt", exact=True).fill("the next one")
    phone.get_by_role("button", name="Advanced settings").scroll_into_view_if_needed()
    at_the_bottom(generate)
    generate.tap()
    expect(newest_run(phone)).to_have_accessible_name("Run: the next one")
    expect(newest_run(phone)).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def at_the_bottom(button) -> None:
    expect(button).to_be_in_viewport(ratio=1)
    box = button.bounding_box()
    assert box["y"] + box["height"] > PHONE["height"] - 40


def test_a_desktop_keeps_the_keyboard_hint_and_the_inline_header(studio):
    expect(studio.get_by_text(HINT)).to_have_count(0)  # no prompt yet: the hint says to type one
    studio.get_by_label("Prompt", exact=True).fill("a desk picture")
    expect(studio.get_by_text(HINT)).to_be_visible()
    expect(studio.get_by_role("button", name="Menu")).to_be_hidden()
    expect(studio.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery")).to_be_visible()
    expect(studio.get_by_role("button", name="Sign out")).to_be_visible()


def test_an_administrator_on_a_phone_reaches_every_users_actions(browser, app_url, administrator):
    _, name = administrator
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    sign_in(page, app_url, name)
    wait_for_studio(page)
    page.goto(f"{app_url}/admin/users")
    for action in (f"Reset the password of {name}", f"End all sessions of {name}"):
        button = page.get_by_role("button", name=action)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], f"{action} is off the screen"
    context.close()
