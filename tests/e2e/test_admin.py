"""The Admin area: an administrator runs bildgen for a team from the browser."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_model, generate_and_wait, sign_up


@pytest.fixture
def user_page(browser, app_url):
    """An ordinary user (the administrator exists already), signed in in a browser of their own."""
    context = browser.new_context()
    page = context.new_page()
    name = sign_up(page, app_url)
    yield page, name
    context.close()


def switch_generation(admin, app_url, *, on: bool) -> None:
    admin.goto(f"{app_url}/admin")
    switch = admin.get_by_role("switch", name="Image generation for everyone")
    expect(switch).to_be_visible()
    if (switch.get_attribute("aria-checked") == "true") != on:
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true" if on else "false")


def test_while_generation_is_switched_off_users_see_the_message_and_generate_is_refused(
    administrator, user_page, app_url
):
    admin, admin_name = administrator
    user, _ = user_page
    admin.goto(f"{app_url}/admin")
    admin.get_by_label("Message while generation is off").fill("The GPUs are being upgraded until 14:00.")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    try:
        switch_generation(admin, app_url, on=False)
        # A studio opened before the switch: Generate is refused by the queue, with the message.
        user.get_by_label("Prompt", exact=True).fill("a fox that must wait")
        user.get_by_role("button", name="Generate").click()
        expect(user.get_by_role("alert").filter(has_text="The GPUs are being upgraded until 14:00.")).to_be_visible()
        expect(user.get_by_role("status", name="Image 1 is being generated")).to_have_count(0)
        # A studio opened now says so at once.
        user.reload()
        expect(user.get_by_role("alert").filter(has_text="The GPUs are being upgraded")).to_be_visible()
    finally:
        switch_generation(admin, app_url, on=True)
    user.get_by_role("button", name="Generate").click()
    expect(user.get_by_role("status", name="Image 1 is being generated")).to_be_visible()

    # Who switched it off and on is in the audit log, with the values before and after.
    admin.get_by_role("link", name="Audit log").click()
    entries = admin.get_by_role("row").filter(has_text="Settings changed").filter(has_text="generation_enabled")
    expect(entries.first).to_contain_text(admin_name)
    expect(entries.first).to_contain_text("false → true")


OFFER_TIMEOUT_MS = 15_000  # open studios look for changes every few seconds


def create_profile(admin, app_url, label: str, endpoint: str, description: str) -> None:
    admin.goto(f"{app_url}/admin/profiles")
    admin.get_by_role("button", name="New profile").click()
    admin.get_by_role("textbox", name="Name", exact=True).fill(label)
    admin.get_by_role("textbox", name="Description", exact=True).fill(description)
    admin.get_by_role("textbox", name="Endpoint", exact=True).fill(endpoint)
    admin.get_by_role("textbox", name="Sizes", exact=True).fill("1360x768, 1024x1024")
    admin.get_by_role("textbox", name="Default size", exact=True).fill("1360x768")
    admin.get_by_role("button", name="Save profile").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Saved {label}.")
    card = admin.get_by_role("heading", name=label)
    expect(card).to_be_visible()
    # The preview shows its sizes with their aspect, the default marked.
    expect(admin.get_by_role("img", name="Default size 1360 × 768")).to_be_visible()


def test_a_user_generates_with_a_profile_an_administrator_made_until_it_is_disabled(
    administrator, user_page, app_url, demo_server
):
    admin, _ = administrator
    user, _ = user_page
    label = f"Team portrait {uuid.uuid4().hex[:6]}"
    create_profile(admin, app_url, label, demo_server.base_url, "Faces and people, wide.")

    # The open studio offers it without a reload, with the administrator's help text.
    user.get_by_role("combobox", name="Model").click()
    expect(user.get_by_role("option", name=label, exact=True)).to_be_visible(timeout=OFFER_TIMEOUT_MS)
    user.keyboard.press("Escape")
    choose_model(user, label)
    expect(user.get_by_text("Faces and people, wide.")).to_be_visible()
    user.get_by_label("Prompt", exact=True).fill("a team photo on a rooftop")
    generate_and_wait(user, count=2)  # the default size is wide: the landscape preset, two images
    sent = [entry["body"] for entry in demo_server.requests() if entry["path"] == "/v1/images/generations"]
    assert [body["size"] for body in sent if body["prompt"] == "a team photo on a rooftop"] == ["1360x768"] * 2

    # Disabled while the user's studio is open: the next Generate is refused, and it is no longer offered.
    admin.get_by_role("switch", name=f"Offer {label}").click()
    expect(admin.get_by_role("status")).to_contain_text("no longer offered")
    user.get_by_role("button", name="Generate").click()
    expect(user.get_by_role("alert").filter(has_text=f"{label} is not available any more")).to_be_visible()
    user.get_by_role("combobox", name="Model").click()
    expect(user.get_by_role("option", name=label, exact=True)).to_have_count(0)
    user.keyboard.press("Escape")

    admin.get_by_role("link", name="Audit log").click()
    entry = admin.get_by_role("row").filter(has_text="Model profile changed").filter(has_text="disabled")
    expect(entry.first).to_contain_text('{"enabled": true} → {"enabled": false}')


def test_a_saved_api_key_never_reaches_a_browser_and_test_connection_explains(administrator, app_url, demo_server):
    admin, admin_name = administrator
    key = f"sk-e2e-{uuid.uuid4().hex}"
    frames: list[str] = []
    admin.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    admin.goto(f"{app_url}/admin/providers")

    admin.get_by_label("API key", exact=True).nth(3).wait_for()  # every provider's card is there
    bfl = admin.get_by_role("heading", name="Black Forest Labs").locator(
        "xpath=ancestor::div[contains(@class,'rt-Card')][1]"
    )
    bfl.get_by_label("API key", exact=True).fill(key)
    bfl.get_by_role("button", name="Save Black Forest Labs").click()
    expect(admin.get_by_role("status").filter(has_text="Saved Black Forest Labs.")).to_be_visible()
    expect(bfl).to_contain_text("In use: ********")
    expect(bfl).to_contain_text("from: Admin area")
    expect(bfl.get_by_label("API key", exact=True)).to_have_value("")

    # A connection test names the problem: here, nothing answers at the address given.
    own = admin.get_by_role("heading", name="OpenAI-compatible server").locator(
        "xpath=ancestor::div[contains(@class,'rt-Card')][1]"
    )
    own.get_by_label("Endpoint", exact=True).fill("http://127.0.0.1:9/v1")
    own.get_by_role("button", name="Save OpenAI-compatible server").click()
    own.get_by_role("button", name="Test connection to OpenAI-compatible server").click()
    expect(admin.get_by_role("status", name="Connection to OpenAI-compatible server")).to_contain_text(
        "Nothing answered at http://127.0.0.1:9/v1"
    )
    own.get_by_label("Endpoint", exact=True).fill(demo_server.base_url)
    own.get_by_role("button", name="Save OpenAI-compatible server").click()
    own.get_by_role("button", name="Test connection to OpenAI-compatible server").click()
    expect(admin.get_by_role("status", name="Connection to OpenAI-compatible server")).to_contain_text("Connected.")
    own.get_by_role("button", name="Use the file's and environment's values for OpenAI-compatible server").click()

    admin.reload()
    expect(admin.get_by_role("heading", name="Black Forest Labs")).to_be_visible()
    admin.get_by_role("link", name="Audit log").click()
    entry = admin.get_by_role("row").filter(has_text="Provider changed").filter(has_text="bfl")
    expect(entry.first).to_contain_text('"********"')
    expect(entry.first).to_contain_text(admin_name)

    assert frames, "no websocket frames were captured"
    assert not [frame for frame in frames if key in frame]
    assert key not in admin.content()
    admin.goto(f"{app_url}/admin/providers")
    expect(admin.get_by_role("heading", name="Black Forest Labs")).to_be_visible()
    assert key not in admin.content()
    bfl.get_by_role("button", name="Remove the API key of Black Forest Labs").click()
    expect(bfl).to_contain_text("In use: not set")
