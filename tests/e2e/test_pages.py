"""What every page owes a user before anything is generated: it loads cleanly and says what answers."""

from playwright.sync_api import expect

from tests.e2e.conftest import sign_up


def icons_of(page, app_url) -> list[str]:
    """The tab icons a browser fetches for this page: its <link rel=icon>s, else /favicon.ico."""
    linked = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(link => link.href)")
    return linked or [f"{app_url}/favicon.ico"]


def test_no_page_asks_for_something_that_is_not_there(page, app_url):
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    page.goto(f"{app_url}/sign-in")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    icons = icons_of(page, app_url)
    sign_up(page, app_url)
    page.goto(f"{app_url}/gallery")
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    page.wait_for_load_state("networkidle")
    icons += icons_of(page, app_url)
    # The browser's own icon request is not a page response: ask for each icon as it would.
    for icon in set(icons):
        answer = page.request.get(icon)
        if answer.status == 404 or not answer.headers.get("content-type", "").startswith("image/"):
            missing.append(icon)
    assert missing == []


def test_the_gallery_says_when_the_demo_renderer_answers_as_the_studio_does(page, app_url):
    sign_up(page, app_url)
    page.goto(f"{app_url}/gallery")
    expect(page.get_by_role("status").filter(has_text="Demo renderer — no AI model connected")).to_be_visible()
