"""Expiring view-only links in the browser: an administrator allows them, an owner makes a link to a
board, someone without an account opens it in a browser of their own and sees the image read-only;
the owner revokes it and the same address then says so (and serves no image); a link to one image
from the lightbox shows that image only."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import generate_and_wait, sign_up
from tests.e2e.test_accessibility import severe_findings
from tests.e2e.test_boards import make_board, open_gallery, select_box, show_board, tiles

SWITCH = "View-only links for people without an account"


def switch_view_links(admin, app_url, *, on: bool) -> None:
    admin.goto(f"{app_url}/admin")
    switch = admin.get_by_role("switch", name=SWITCH)
    expect(switch).to_be_visible()
    if (switch.get_attribute("aria-checked") == "true") != on:
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true" if on else "false")


@pytest.fixture
def links_allowed(administrator, app_url):
    admin, _ = administrator
    switch_view_links(admin, app_url, on=True)
    yield
    switch_view_links(admin, app_url, on=False)


def test_an_owner_shares_a_board_by_link_with_someone_without_an_account_and_revokes_it(
    links_allowed, browser, app_url
):
    owner_context = browser.new_context()
    owner = owner_context.new_page()
    sign_up(owner, app_url)
    prompt = "a linked lighthouse at dawn"
    owner.get_by_label("Prompt", exact=True).fill(prompt)
    generate_and_wait(owner)
    owner.get_by_label("Prompt", exact=True).fill("a private sketch")
    generate_and_wait(owner)
    open_gallery(owner, app_url)
    make_board(owner, "For the client")
    select_box(owner, prompt).click()
    owner.get_by_role("button", name="Add to board").click()
    owner.get_by_role("menuitem", name="For the client (0)").click()
    expect(owner.get_by_role("status").filter(has_text="added to the board.")).to_be_visible()
    show_board(owner, "For the client (1)")

    owner.get_by_role("button", name="Manage board").click()
    owner.get_by_role("combobox", name="Link works for").click()
    owner.get_by_role("option", name="1 day").click()
    owner.get_by_role("button", name="Make link").click()
    new_link = owner.get_by_label("New link")
    expect(new_link).to_have_value(re.compile(r"^http://.+/_upload/private/links/[A-Za-z0-9_-]{43}$"))
    link = new_link.input_value()
    expect(owner.get_by_text(re.compile(r"^works until \d{4}-\d\d-\d\d"))).to_be_visible()

    # Someone without an account, in a browser of their own.
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="For the client")).to_be_visible()
    expect(visitor.get_by_role("img", name=re.compile(r"^Open image"))).to_have_count(1)  # not the private sketch
    assert severe_findings(visitor) == []
    visitor.get_by_role("img", name="Open image 1").click()
    large = visitor.get_by_role("img", name=prompt)
    expect(large).to_be_visible()
    visitor.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=large.element_handle())
    expect(visitor.get_by_role("heading", name="Recipe")).to_be_visible()
    assert severe_findings(visitor) == []
    image_url = large.get_attribute("src")
    # Read-only: nothing on the page changes anything.
    expect(visitor.get_by_role("button")).to_have_count(0)

    owner.get_by_role("button", name=re.compile(r"^Revoke the link made ")).click()
    expect(owner.get_by_role("status").filter(has_text="Link revoked")).to_be_visible()

    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="This link was revoked")).to_be_visible()
    expect(visitor.get_by_role("alert")).to_contain_text("stopped sharing")
    assert visitor.request.get(f"{app_url}{image_url}").status == 410

    # One image by link, from the lightbox: the visitor sees it large, and nothing else.
    open_gallery(owner, app_url)
    tiles(owner, "a private sketch").click()
    owner.get_by_role("button", name="Share by link").click()
    owner.get_by_role("button", name="Make link").click()
    expect(owner.get_by_label("New link")).to_have_value(re.compile(r"/_upload/private/links/[A-Za-z0-9_-]{43}$"))
    visitor.goto(owner.get_by_label("New link").input_value())
    expect(visitor.get_by_role("img", name="a private sketch")).to_be_visible()
    expect(visitor.get_by_role("img", name=prompt)).to_have_count(0)
    owner_context.close()
    visitor_context.close()


def test_a_german_visitor_reads_the_refusal_in_german(links_allowed, browser, app_url):
    context = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"})
    page = context.new_page()
    page.goto(f"{app_url}/_upload/private/links/{'x' * 43}")
    expect(page.get_by_role("heading", name="Diesen Link gibt es nicht")).to_be_visible()
    context.close()
