"""A user makes, sees once, lists and revokes API tokens on the Account page; an administrator sees and
revokes anyone's at /admin/tokens."""

import sqlite3

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, sign_up, wait_for_studio


@pytest.fixture
def administrator(browser, app_url, app_data_dir):
    """The app's administrator in a browser of its own (whichever test signed up first owns the role)."""
    context = browser.new_context()
    page = context.new_page()
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        row = db.execute("SELECT username FROM user WHERE is_admin").fetchone()
    if row is None:
        name = sign_up(page, app_url)
    else:
        name = row[0]
        sign_in(page, app_url, name)
        wait_for_studio(page)
    yield page, name
    context.close()


def create_token(page, name: str) -> str:
    page.get_by_label("Token name").fill(name)
    page.get_by_role("button", name="Create token").click()
    field = page.get_by_label("New API token")
    expect(page.get_by_role("status").filter(has_text="shown only this once")).to_be_visible()
    expect(field).not_to_have_value("")
    return field.input_value()


def test_a_token_is_shown_once_listed_and_revoked(page, app_url):
    username = sign_up(page, app_url)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    token = create_token(page, "Open WebUI")
    assert token.startswith("bgk_") and len(token) > 40
    row = page.get_by_role("row").filter(has_text="Open WebUI")
    expect(row).to_contain_text(token[:10])
    expect(row).to_contain_text("never")  # never used yet
    assert token not in page.get_by_role("table").inner_text()  # only its first characters are listed

    # Shown once: after a reload the value is gone, the token stays listed.
    page.reload()
    expect(row).to_be_visible()
    expect(page.get_by_label("New API token")).to_have_value("")
    expect(page.get_by_role("status").filter(has_text="shown only this once")).to_be_hidden()

    page.get_by_role("button", name=f"Revoke token Open WebUI of {username}").click()
    expect(page.get_by_role("status").filter(has_text="Open WebUI is revoked")).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()


def test_an_administrator_sees_and_revokes_anyones_token(administrator, browser, app_url):
    admin, _ = administrator
    context = browser.new_context()
    user = context.new_page()
    name = sign_up(user, app_url)
    user.goto(f"{app_url}/account")
    create_token(user, "nightly renders")

    admin.goto(f"{app_url}/admin/tokens")
    revoke = admin.get_by_role("button", name=f"Revoke token nightly renders of {name}")
    expect(revoke).to_be_visible()
    revoke.click()
    expect(admin.get_by_role("status").filter(has_text=f"Revoked nightly renders of {name}")).to_be_visible()
    expect(revoke).to_have_count(0)

    user.reload()
    expect(user.get_by_text("You have no API tokens.")).to_be_visible()
    admin.get_by_role("link", name="Audit log").click()
    expect(admin.get_by_role("row").filter(has_text="API token revoked").first).to_contain_text(name)
    context.close()


def test_someone_who_is_not_an_administrator_is_refused_the_tokens_page(studio, app_url):
    studio.goto(f"{app_url}/admin/tokens")
    expect(studio.get_by_role("alert").filter(has_text="Only administrators")).to_be_visible()


def test_a_token_from_the_account_page_generates_into_the_gallery_through_the_served_app(page, app_url):
    sign_up(page, app_url)
    page.goto(f"{app_url}/account")
    expect(page.get_by_text(f"{app_url}/v1")).to_be_visible()  # the base URL to give a client
    token = create_token(page, "script")
    headers = {"Authorization": f"Bearer {token}"}

    models = httpx.get(f"{app_url}/v1/models", headers=headers, timeout=30)
    assert models.status_code == 200 and "demo" in [model["id"] for model in models.json()["data"]]
    answer = httpx.post(
        f"{app_url}/v1/images/generations",
        headers=headers,
        json={
            "model": "demo",
            "prompt": "a tiny robot waving",
            "size": "256x256",
            "seed": 11,
            "response_format": "url",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    (image,) = answer.json()["data"]
    assert image["url"].startswith(f"{app_url}/_upload/private/images/")
    assert httpx.get(image["url"], timeout=30).headers["content-type"] == "image/png"  # no cookie needed

    page.get_by_role("link", name="Gallery").click()
    expect(page.get_by_role("button", name="Open image: a tiny robot waving, seed 11")).to_be_visible()
    page.goto(f"{app_url}/account")
    expect(page.get_by_role("row").filter(has_text="script").get_by_role("cell").nth(3)).to_contain_text("UTC")
