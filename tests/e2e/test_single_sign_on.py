"""Signing in with the organisation's identity provider (tests/oidc_provider.py), in the browser."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import choose_language, wait_for_studio
from tests.oidc_provider import Person


def a_colleague(identity_provider) -> str:
    username = f"sso-{uuid.uuid4().hex[:8]}"
    identity_provider.people[username] = Person(email=f"{username}@example.org")
    return username


def at_the_provider(page, username: str) -> None:
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Continue").click()


def test_a_colleague_signs_in_with_the_organisations_provider_and_lands_where_they_were_going(
    page, app_url, identity_provider
):
    username = a_colleague(identity_provider)
    page.goto(f"{app_url}/gallery")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fgallery(%2F)?$"))
    page.get_by_role("link", name="Sign in with Test SSO").click()
    at_the_provider(page, username)
    expect(page).to_have_url(re.compile(r"/gallery/?$"))
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    page.goto(app_url)
    wait_for_studio(page)


def test_an_answer_bildgen_cannot_trust_leaves_the_person_signed_out_with_a_message(page, app_url, identity_provider):
    username = a_colleague(identity_provider)
    identity_provider.fault = "bad-signature"
    try:
        page.goto(f"{app_url}/sign-in")
        page.get_by_role("link", name="Sign in with Test SSO").click()
        at_the_provider(page, username)
        expect(page.get_by_role("alert")).to_contain_text("cannot trust")
        expect(page).to_have_url(re.compile(r"/sign-in/?\?error=sso-refused"))
    finally:
        identity_provider.fault = None


def test_the_button_speaks_german(page, app_url):
    page.goto(f"{app_url}/sign-in")
    choose_language(page, "Language", "Deutsch")
    expect(page.get_by_role("link", name="Mit Test SSO anmelden")).to_be_visible()


def test_signing_out_ends_the_session_at_the_provider_too_and_comes_back_to_sign_in(page, app_url, identity_provider):
    username = a_colleague(identity_provider)
    page.goto(f"{app_url}/sign-in")
    page.get_by_role("link", name="Sign in with Test SSO").click()
    at_the_provider(page, username)
    wait_for_studio(page)
    with page.expect_request(re.compile(rf"^{re.escape(identity_provider.issuer)}/logout\?")) as logout:
        page.get_by_role("button", name="Sign out").click()
    assert "id_token_hint=" in logout.value.url
    # The provider ended its session and sent the browser back to bildgen's sign-in page.
    expect(page).to_have_url(re.compile(r"/sign-in/?\?notice=signed-out$"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert identity_provider.signed_out[-1] == identity_provider.people[username].subject
    page.goto(f"{app_url}/gallery")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
