"""Two people on one bildgen: neither can reach anything of the other's."""

import json
import re
import socket
import sqlite3
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from bildgen.auth import throttle
from tests.e2e.conftest import (
    PASSWORD,
    events_handled,
    generate_and_wait,
    image_action,
    sign_in,
    sign_up,
    wait_for_studio,
)


def first_image_url(page) -> str:
    return page.get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("src")


@pytest.fixture
def anna(browser, app_url):
    """Anna, signed in in a browser of her own, with one generated image."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    name = sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("annas private picture")
    generate_and_wait(page)
    yield page, name
    context.close()


def test_without_a_session_every_page_leads_to_sign_in(page, app_url):
    page.goto(app_url)
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_another_user_cannot_view_or_download_an_image_by_url(anna, page, app_url):
    anna_page, _ = anna
    url = first_image_url(anna_page)
    assert anna_page.request.get(url).status == 200

    sign_up(page, app_url)
    missing = re.sub(r"images/[0-9a-f]{32}", "images/" + "0" * 32, url)
    for attempt in (url, url + "?download=1", missing):
        response = page.request.get(attempt)
        assert (response.status, response.text()) == (404, "Not found")


def test_another_user_cannot_reuse_an_image_by_sending_its_id_in_an_event(anna, page, app_url):
    anna_page, _ = anna
    anna_image_id = re.search(r"images/([0-9a-f]{32})", first_image_url(anna_page)).group(1)

    def swap_image_id(route):
        server = route.connect_to_server()

        def to_server(message):
            if isinstance(message, str) and "use_as_reference" in message:
                message = re.sub(r'"image_id":"[0-9a-f]{32}"', f'"image_id":"{anna_image_id}"', message)
            server.send(message)

        route.on_message(to_server)

    page.route_web_socket(re.compile(r".*/_event.*"), swap_image_id)
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("bobs own picture")
    generate_and_wait(page)
    image_action(page, 1, "Use as reference")
    expect(page.get_by_role("alert")).to_contain_text("That image does not exist (any more).")
    expect(page.get_by_role("img", name=re.compile(r"^Reference image"))).to_have_count(0)


def test_a_forged_user_sent_to_a_helper_over_the_websocket_reaches_nothing(anna, page, app_url, app_data_dir):
    """Helpers that act for a user are private: calling one by name with Anna as "user" does nothing."""
    anna_page, anna_name = anna
    anna_image_id = re.search(r"images/([0-9a-f]{32})", first_image_url(anna_page)).group(1)
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        anna_id = db.execute("SELECT id FROM user WHERE username = ?", (anna_name,)).fetchone()[0]
    forged_user = {"id": anna_id, "username": anna_name, "password_hash": "x", "is_admin": True}

    def call_the_helper(route):
        server = route.connect_to_server()

        def to_server(message):
            if isinstance(message, str) and ".use_as_reference" in message:
                message = message.replace(".use_as_reference", ".use_image_as_reference")
                message = re.sub(
                    r'"payload":\{"image_id":"[0-9a-f]{32}"\}',
                    '"payload":' + json.dumps({"user": forged_user, "image_id": anna_image_id}),
                    message,
                )
            server.send(message)

        route.on_message(to_server)

    page.route_web_socket(re.compile(r".*/_event.*"), call_the_helper)
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("bobs own picture")
    generate_and_wait(page)
    image_action(page, 1, "Use as reference")
    events_handled(page)
    expect(page.get_by_role("img", name=re.compile(r"^Reference image"))).to_have_count(0)
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        bobs_references = db.execute(
            "SELECT count(*) FROM referenceimage WHERE source_image_id = ? AND owner_id != ?", (anna_image_id, anna_id)
        ).fetchone()[0]
    assert bobs_references == 0


def test_after_sign_out_neither_the_back_button_nor_image_urls_show_anything(anna, app_url):
    page, _ = anna
    url = first_image_url(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_role("img", name=re.compile(r"^Generated image"))).to_have_count(0)
    assert page.request.get(url).status == 404


def test_signing_in_again_in_the_same_tab_as_someone_else_shows_none_of_the_first_users_results(anna, app_url):
    page, _ = anna
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    other = sign_up(page, app_url)
    expect(page.get_by_text(other)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Generated image"))).to_have_count(0)
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("")


def test_throttling_engages_after_repeated_failures_and_does_not_block_others(page, browser, app_url):
    victim = sign_up(page, app_url)
    page.get_by_role("button", name="Sign out").click()
    for _ in range(throttle.PAIR.capacity):
        sign_in(page, app_url, victim, "not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, app_url, victim)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")

    # Someone else, from the same address, signs in as usual.
    context = browser.new_context()
    other_page = context.new_page()
    other = sign_up(other_page, app_url)
    other_page.get_by_role("button", name="Sign out").click()
    sign_in(other_page, app_url, other)
    wait_for_studio(other_page)
    context.close()


def websocket_handshake_status(app_url: str, origin: str) -> int:
    parts = urlsplit(app_url)
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request.encode())
        return int(connection.recv(1024).split(b" ", 2)[1])


def test_a_websocket_from_a_foreign_origin_is_refused(app_url):
    assert websocket_handshake_status(app_url, app_url) == 101
    assert websocket_handshake_status(app_url, "https://evil.example") != 101


def test_a_refused_sign_up_keeps_the_typed_username_and_only_the_first_account_is_told_it_administers(
    page, app_url, administrator
):
    page.goto(f"{app_url}/sign-up")
    # An administrator exists already: this account will be an ordinary one.
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("note")).to_have_count(0)
    page.get_by_label("Username").fill("carla-typed-this")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
    expect(page.get_by_label("Username")).to_have_value("carla-typed-this")
    expect(page.get_by_label("Password")).to_have_value("")
    assert "carla" not in page.url  # never in the address


def test_a_user_changes_their_own_password_from_the_account_page(page, app_url):
    username = sign_up(page, app_url)
    page.goto(f"{app_url}/account")
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("an even longer passphrase")
    page.get_by_label("New password again").fill("an even longer passphrase")
    page.get_by_role("button", name="Change password").click()
    wait_for_studio(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, app_url, username, "an even longer passphrase")
    wait_for_studio(page)
