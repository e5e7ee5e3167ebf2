"""The studio on a desktop: Generate is always at hand, whatever the form and the feed hold."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import generate_and_wait, sign_up


def test_generate_is_in_view_on_opening_with_advanced_settings_and_far_down_the_feed(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    sign_up(page, app_url)
    generate = page.get_by_role("button", name="Generate")
    expect(generate).to_be_in_viewport(ratio=1)

    page.get_by_role("button", name="Advanced settings").click()
    expect(page.get_by_label("Steps", exact=True)).to_be_visible()
    expect(generate).to_be_in_viewport(ratio=1)

    page.get_by_label("Prompt", exact=True).fill("a lighthouse at night")
    for _ in range(4):
        generate_and_wait(page, count=1)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")  # down the feed
    assert page.evaluate("window.scrollY") > 200
    expect(generate).to_be_in_viewport(ratio=1)
    generate.click()  # and it works from there
    expect(page.get_by_role("article")).to_have_count(5)
    context.close()


def test_the_theme_follows_the_system_until_light_or_dark_is_chosen(browser, app_url):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    sign_up(page, app_url)
    html = page.locator("html")
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    page.get_by_role("button", name="Theme").click()
    page.get_by_role("menuitem", name="Light").click()
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.reload()  # kept in this browser
    expect(page.get_by_role("button", name="Generate")).to_be_visible()
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.get_by_role("button", name="Theme").click()
    page.get_by_role("menuitem", name="As the system").click()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    context.close()
