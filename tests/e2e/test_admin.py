"""The Admin area: an administrator runs bildgen for a team from the browser."""

import json
import re
import sqlite3
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    choose_language,
    choose_model,
    events_handled,
    eventually,
    generate_and_wait,
    sign_in,
    sign_up,
    wait_for_studio,
)


@pytest.fixture
def user_page(browser, app_url):
    """An ordinary user (the administrator exists already), signed in in a browser of their own."""
    context = browser.new_context()
    page = context.new_page()
    name = sign_up(page, app_url)
    yield page, name
    context.close()


def choose(page, label: str, option: str) -> None:
    """Pick an option of one of the Admin area's (Radix) selects, found by its label."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("combobox", name=label, exact=True)).to_contain_text(option)


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
    expect(entries.first).to_contain_text("no → yes")


OFFER_TIMEOUT_MS = 15_000  # open studios look for changes every few seconds


def create_profile(
    admin,
    app_url,
    label: str,
    endpoint: str,
    description: str,
    sizes="1360x768, 1024x1024",
    default="1360x768",
    cost="",
) -> None:
    admin.goto(f"{app_url}/admin/profiles")
    admin.get_by_role("button", name="New profile").click()
    admin.get_by_role("textbox", name="Name", exact=True).fill(label)
    admin.get_by_role("textbox", name="Description", exact=True).fill(description)
    admin.get_by_role("textbox", name="Endpoint", exact=True).fill(endpoint)
    admin.get_by_role("textbox", name="Sizes", exact=True).fill(sizes)
    admin.get_by_role("textbox", name="Default size", exact=True).fill(default)
    admin.get_by_role("textbox", name="Cost per image", exact=True).fill(cost)
    admin.get_by_role("button", name="Save profile").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Saved {label}.")
    card = admin.get_by_role("heading", name=label)
    expect(card).to_be_visible()
    # The preview shows its sizes with their aspect, the default marked.
    size = default.replace("x", " × ")
    expect(admin.get_by_role("img", name=f"Default size {size}").first).to_be_visible()


def test_a_user_generates_with_a_profile_an_administrator_made_until_it_is_disabled(
    administrator, user_page, app_url, demo_server
):
    admin, _ = administrator
    user, _ = user_page
    label = f"Team portrait {uuid.uuid4().hex[:6]}"
    create_profile(admin, app_url, label, demo_server.base_url, "Faces and people, wide.")
    # The administrator can test the profile's own model, not only its provider.
    admin.get_by_role("button", name=f"Test connection of {label}").click()
    expect(admin.get_by_role("status", name=f"Connection of {label}")).to_contain_text("Connected.")

    # The open studio offers it without a reload, with the administrator's help text.
    user.get_by_role("combobox", name="Model").click()
    expect(user.get_by_role("option", name=label, exact=True)).to_be_visible(timeout=OFFER_TIMEOUT_MS)
    user.keyboard.press("Escape")
    choose_model(user, label)
    expect(user.get_by_text("Faces and people, wide.")).to_be_visible()
    user.get_by_label("Prompt", exact=True).fill("a team photo on a rooftop")
    generate_and_wait(user, count=2)  # the default size is wide: the landscape preset, two images
    sent = [entry.get("body") or {} for entry in demo_server.requests() if entry["path"] == "/v1/images/generations"]
    assert [body["size"] for body in sent if body.get("prompt") == "a team photo on a rooftop"] == ["1360x768"] * 2

    # Disabled while the user's studio is open: the studio says so and moves to another model (a
    # Generate pressed before it learns is refused with the same words: tests/unit/admin/test_profiles.py).
    admin.get_by_role("switch", name=f"Offer {label}").click()
    expect(admin.get_by_role("status").filter(has_text="no longer offered")).to_be_visible()
    expect(user.get_by_role("alert").filter(has_text=f"{label} is not available any more")).to_be_visible(
        timeout=OFFER_TIMEOUT_MS
    )
    expect(user.get_by_role("combobox", name="Model")).not_to_have_text(label)
    user.get_by_role("combobox", name="Model").click()
    expect(user.get_by_role("option", name=label, exact=True)).to_have_count(0)
    user.keyboard.press("Escape")

    admin.get_by_role("link", name="Audit log").click()
    entry = admin.get_by_role("row").filter(has_text="Model profile changed").filter(has_text="disabled")
    expect(entry.first).to_contain_text("enabled: yes → enabled: no")


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
    # A cloud service without a key is not yet usable, and says so instead of "on".
    expect(bfl).to_contain_text("Needs an API key.")
    expect(bfl).to_contain_text("not set up")
    # Where each value comes from is said where someone set it, not for every built-in default.
    expect(bfl).not_to_contain_text("from: built-in default")
    bfl.get_by_label("API key", exact=True).fill(key)
    bfl.get_by_role("button", name="Save Black Forest Labs").click()
    expect(admin.get_by_role("status").filter(has_text="Saved Black Forest Labs.")).to_be_visible()
    expect(bfl).to_contain_text("In use: ********")
    expect(bfl).not_to_contain_text("Needs an API key.")
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
        "The service did not answer"
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
    expect(entry.first).to_contain_text("********")
    expect(entry.first).to_contain_text(admin_name)

    assert frames, "no websocket frames were captured"
    assert not [frame for frame in frames if key in frame]
    assert key not in admin.content()
    admin.goto(f"{app_url}/admin/providers")
    expect(admin.get_by_role("heading", name="Black Forest Labs")).to_be_visible()
    assert key not in admin.content()
    bfl.get_by_role("button", name="Remove the API key of Black Forest Labs").click()
    expect(bfl).to_contain_text("In use: not set")


def user_row(admin, name: str):
    return admin.get_by_role("row").filter(has=admin.get_by_text(name, exact=True))


def test_a_disabled_user_is_signed_out_at_once_and_cannot_sign_in(administrator, user_page, app_url):
    admin, _ = administrator
    user, name = user_page
    admin.goto(f"{app_url}/admin/users")
    admin.get_by_label("Search users").fill(name)
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("button", name=f"Disable {name}").click()
    expect(admin.get_by_role("status")).to_have_text(f"{name} is disabled and signed out everywhere.")
    expect(user_row(admin, name)).to_contain_text("Disabled")

    user.goto(f"{app_url}/gallery")
    expect(user).to_have_url(re.compile(r"/sign-in"))
    sign_in(user, app_url, name)
    expect(user.get_by_role("alert")).to_have_text(
        "This account has been disabled. Ask an administrator if you need it again."
    )

    admin.get_by_role("button", name=f"Enable {name}").click()
    sign_in(user, app_url, name)
    wait_for_studio(user)


def test_after_a_password_reset_the_user_chooses_a_new_one_at_sign_in(administrator, user_page, app_url):
    admin, admin_name = administrator
    user, name = user_page
    admin.goto(f"{app_url}/admin/users")
    admin.get_by_role("button", name=f"Reset the password of {name}").click()
    temporary = admin.locator("#temporary-password").inner_text()
    assert len(temporary) == 23

    user.goto(f"{app_url}/gallery")
    expect(user).to_have_url(re.compile(r"/sign-in"))
    sign_in(user, app_url, name, temporary)
    expect(user.get_by_role("status")).to_contain_text("Choose a new password")
    user.get_by_label("Current password").fill(temporary)
    user.get_by_label("New password", exact=True).fill("my own new passphrase")
    user.get_by_label("New password again").fill("my own new passphrase")
    user.get_by_role("button", name="Change password").click()
    wait_for_studio(user)

    # The last administrator cannot take the role from themself.
    admin.get_by_label("Search users").fill(admin_name)
    admin.get_by_role("button", name="Search").click()
    if admin.get_by_role("row").filter(has_text="Administrator").count() == 1:
        admin.get_by_role("button", name=f"Revoke administrator of {admin_name}").click()
        expect(admin.get_by_role("alert")).to_contain_text("at least one active administrator")


EVENT_PACKET = "42/_event,"
ADMIN_PAGES = (
    "/admin",
    "/admin/providers",
    "/admin/profiles",
    "/admin/users",
    "/admin/usage",
    "/admin/queue",
    "/admin/audit",
)


def forged_admin_events(admin_id: str) -> list[tuple[str, dict]]:
    """Every Admin area event (by its full name), with arguments that would change something."""
    from bildgen.state.admin_overview import OverviewState
    from bildgen.state.admin_profiles import ProfilesState
    from bildgen.state.admin_providers import ProvidersState
    from bildgen.state.admin_usage import UsageState
    from bildgen.state.admin_users import UsersState

    def name(state, handler):
        return f"{state.get_full_name()}.{handler}"

    return [
        (name(OverviewState, "set_generation"), {"enabled": False}),
        (name(OverviewState, "save_general"), {"form": {"paused_message": "forged", "currency": "XXX"}}),
        (name(UsersState, "open_users"), {}),
        (name(UsersState, "set_user_disabled"), {"account_id": admin_id, "disabled": True}),
        (name(UsersState, "reset_user_password"), {"account_id": admin_id}),
        (name(ProvidersState, "save_provider"), {"form": {"provider": "bfl", "base_url": "http://evil.example/v1"}}),
        (name(ProvidersState, "set_provider_enabled"), {"provider": "openai-compatible", "enabled": False}),
        (name(ProfilesState, "save_profile"), {"form": {"label": "Forged", "base_url": "http://evil.example/v1"}}),
        (name(ProfilesState, "set_profile_enabled"), {"profile_id": "demo", "enabled": False}),
        (name(UsageState, "add_quota"), {"form": {"profile": "__all__", "period": "day", "max_images": "0"}}),
        (name(UsageState, "set_admins_exempt"), {"exempt": True}),
    ]


def test_someone_who_is_not_an_administrator_is_refused_every_admin_page_and_event(
    administrator, user_page, app_url, app_data_dir
):
    _, admin_name = administrator
    user, name = user_page
    for path in ADMIN_PAGES:
        user.goto(f"{app_url}{path}")
        expect(user.get_by_role("alert")).to_contain_text("Only administrators")
        expect(user.get_by_role("navigation", name="Admin")).to_have_count(0)
    expect(user.get_by_role("link", name="Admin")).to_have_count(0)

    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        admin_id = db.execute("SELECT id FROM user WHERE username = ?", (admin_name,)).fetchone()[0]
        changes_before = db.execute("SELECT count(*) FROM auditevent WHERE old_value IS NOT NULL").fetchone()[0]
    forged = forged_admin_events(admin_id)
    received: list[str] = []
    # Armed once the studio has loaded: the page's loading events would otherwise carry the forged ones,
    # and their answers could arrive before `received` is cleared below.
    armed: list[bool] = []

    def forge(route):
        server = route.connect_to_server()
        sent = []

        def to_server(message):
            server.send(message)
            # An event of the page (Socket.IO: "42/_event,[name, data]"): follow it with the forged ones.
            if armed and isinstance(message, str) and message.startswith(EVENT_PACKET) and not sent:
                sent.append(True)
                kind, event = json.loads(message.removeprefix(EVENT_PACKET))
                for handler, payload in forged:
                    server.send(EVENT_PACKET + json.dumps([kind, {**event, "name": handler, "payload": payload}]))

        route.on_message(to_server)

    user.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(str(payload))))
    user.route_web_socket(re.compile(r".*/_event.*"), forge)
    user.goto(app_url)
    wait_for_studio(user)
    received.clear()
    armed.append(True)
    user.get_by_label("Prompt", exact=True).fill("typing sends an event; the forged ones follow it")
    # The events arrived and were answered with the refusal (the Users page's), not carried out.
    eventually(
        user,
        lambda: any("Only administrators can use the Admin area." in frame for frame in list(received)),
        "the forged events were never answered",
    )
    events_handled(user)
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        assert db.execute("SELECT disabled, must_change_password FROM user WHERE id = ?", (admin_id,)).fetchone() == (
            0,
            0,
        )
        assert db.execute("SELECT count(*) FROM adminsetting WHERE value LIKE '%forged%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM providersetting WHERE base_url LIKE '%evil%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM storedprofile WHERE config LIKE '%Forged%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM quotarule WHERE max_images = 0").fetchone()[0] == 0
        changes_after = db.execute("SELECT count(*) FROM auditevent WHERE old_value IS NOT NULL").fetchone()[0]
    assert changes_after == changes_before
    expect(user.get_by_role("button", name="Generate")).to_be_visible()


def test_a_quota_reached_refuses_generate_with_when_it_refills_and_usage_shows_the_cost(
    administrator, user_page, app_url, demo_server
):
    admin, _ = administrator
    user, name = user_page
    label = f"Metered {uuid.uuid4().hex[:6]}"
    create_profile(admin, app_url, label, demo_server.base_url, "Counted.", "1024x1024", "1024x1024", cost="0.25")
    admin.get_by_role("link", name="Usage").click()
    admin.get_by_label("Images per user").fill("1")
    choose(admin, "Period", "per day")
    choose(admin, "Profile", label)
    admin.get_by_role("button", name="Add quota").click()
    expect(admin.get_by_role("status")).to_have_text("Quota added. It applies to the next generation.")
    quota = f"1 image per day per user, with {label}"
    expect(admin.get_by_text(quota)).to_be_visible()

    user.get_by_role("combobox", name="Model").click()
    expect(user.get_by_role("option", name=label, exact=True)).to_be_visible(timeout=OFFER_TIMEOUT_MS)
    user.keyboard.press("Escape")
    choose_model(user, label)
    user.get_by_label("Prompt", exact=True).fill("the one image allowed today")
    generate_and_wait(user, count=1)
    user.get_by_role("button", name="Generate").click()
    expect(
        user.get_by_role("alert").filter(has_text=f"You have used your 1 image with {label} today.")
    ).to_contain_text("UTC")

    admin.reload()
    per_user = admin.get_by_role("region", name="Per user").get_by_role("row").filter(has_text=name)
    expect(per_user).to_contain_text("0.25 USD")
    per_profile = admin.get_by_role("region", name="Per profile").get_by_role("row").filter(has_text=label)
    expect(per_profile).to_contain_text("0.25 USD")
    admin.get_by_role("button", name=f"Remove quota: {quota}").click()
    expect(admin.get_by_text(quota)).to_have_count(0)


def test_the_overview_shows_this_instances_health_and_the_queue(administrator, app_url):
    admin, _ = administrator
    admin.goto(f"{app_url}/admin")
    checks = admin.get_by_role("region", name="Health of this instance")
    expect(checks.get_by_role("row").filter(has_text="Database")).to_contain_text("OK")
    expect(checks.get_by_role("row").filter(has_text="Data folder")).to_contain_text("OK")
    expect(admin.get_by_role("region", name="Summary")).to_contain_text(re.compile(r"\d+ waiting, \d+ running"))
    admin.get_by_role("link", name="Open the queue").click()
    expect(admin).to_have_url(re.compile(r"/admin/queue/?$"))


def profile_card(admin, label: str):
    return admin.get_by_role("heading", name=label).locator("xpath=ancestor::div[contains(@class,'rt-Card')][1]")


def test_profiles_show_whether_their_service_answers_and_test_connection_checks_again(
    administrator, app_url, demo_server
):
    admin, _ = administrator
    up, down = f"Answers {uuid.uuid4().hex[:6]}", f"Silent {uuid.uuid4().hex[:6]}"
    create_profile(admin, app_url, up, demo_server.base_url, "A running service.")
    create_profile(admin, app_url, down, "http://127.0.0.1:9/v1", "Nothing listens here.")
    admin.reload()
    expect(admin.get_by_role("group", name=f"Service of {up}")).to_contain_text("reachable")
    expect(admin.get_by_role("group", name=f"Service of {up}")).to_contain_text(
        re.compile(r"checked \d+ (seconds?|minutes?) ago")
    )
    silent = admin.get_by_role("group", name=f"Service of {down}")
    expect(silent).to_contain_text("not answering")
    expect(silent).to_contain_text("The service did not answer")

    # Test connection asks again at once and the row follows: here the address is corrected first.
    card = profile_card(admin, down)
    card.get_by_role("button", name=f"Edit {down}").click()
    admin.get_by_role("textbox", name="Endpoint", exact=True).fill(demo_server.base_url)
    admin.get_by_role("button", name="Save profile").click()
    expect(admin.get_by_role("status").filter(has_text=f"Saved {down}.")).to_be_visible()
    admin.get_by_role("button", name=f"Test connection of {down}").click()
    expect(admin.get_by_role("status", name=f"Connection of {down}")).to_contain_text("Connected.")
    expect(admin.get_by_role("group", name=f"Service of {down}")).to_contain_text("reachable")

    # In German, in the "Sie" form's terms of the page.
    choose_language(admin, "Language", "Deutsch")
    expect(admin.get_by_role("group", name=f"Dienst von {up}")).to_contain_text("erreichbar")
    admin.reload()
    expect(admin.get_by_role("group", name=f"Dienst von {up}")).to_contain_text(
        re.compile(r"geprüft vor \d+ (Sekunden?|Minuten?)")
    )
    choose_language(admin, "Sprache", "English")


def test_the_admin_forms_use_the_apps_selects_and_they_save(administrator, app_url, demo_server):
    admin, _ = administrator
    label = f"Quality {uuid.uuid4().hex[:6]}"
    admin.goto(f"{app_url}/admin/profiles")
    admin.get_by_role("button", name="New profile").click()
    admin.get_by_role("textbox", name="Name", exact=True).fill(label)
    admin.get_by_role("textbox", name="Endpoint", exact=True).fill(demo_server.base_url)
    choose(admin, "Default quality", "Best")
    admin.get_by_role("button", name="Save profile").click()
    expect(admin.get_by_role("status").filter(has_text=f"Saved {label}.")).to_be_visible()
    expect(profile_card(admin, label)).to_contain_text("starts at Best quality")
    # No native select is left in the Admin area's pages.
    for page in ("admin", "admin/profiles", "admin/usage"):
        admin.goto(f"{app_url}/{page}")
        expect(admin.get_by_role("combobox").first).to_be_visible()
        assert admin.locator("select:not([aria-hidden=true])").count() == 0

    admin.goto(f"{app_url}/admin")
    choose(admin, "The person who made an image, in its credentials", "Username")
    admin.get_by_role("button", name="Apply credential settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    admin.reload()
    expect(admin.get_by_role("combobox", name="The person who made an image, in its credentials")).to_contain_text(
        "Username"
    )
    choose(admin, "The person who made an image, in its credentials", "Not named")
    admin.get_by_role("button", name="Apply credential settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")


def images_made(summary, period: str) -> int:
    text = (
        summary.get_by_text(re.compile(r"^\d+ images? by \d+ (person|people)$"))
        .nth(0 if period == "today" else 1)
        .inner_text()
    )
    return int(text.split()[0])


def test_the_overview_opens_with_services_the_queue_and_images_made_today_and_this_week(administrator, app_url):
    admin, _ = administrator
    admin.goto(f"{app_url}/admin")
    summary = admin.get_by_role("region", name="Summary")
    expect(summary).to_contain_text(re.compile(r"\d+ reachable · \d+ not answering · \d+ not set up"))
    expect(summary).to_contain_text(re.compile(r"\d+ waiting, \d+ running"))
    expect(summary.get_by_text(re.compile(r"^\d+ images? by \d+ (person|people)$"))).to_have_count(2)
    today, week = images_made(summary, "today"), images_made(summary, "week")

    admin.goto(app_url)
    wait_for_studio(admin)
    admin.get_by_label("Prompt", exact=True).fill("one more for the summary")
    admin.get_by_role("radio", name="1").click()
    generate_and_wait(admin, count=1)
    admin.goto(f"{app_url}/admin")
    summary = admin.get_by_role("region", name="Summary")
    expect(summary).to_contain_text(re.compile(rf"(^|\D){today + 1} images? by"))
    assert images_made(summary, "today") == today + 1
    assert images_made(summary, "week") == week + 1

    choose_language(admin, "Language", "Deutsch")
    summary = admin.get_by_role("region", name="Übersicht")
    expect(summary).to_contain_text(re.compile(r"\d+ erreichbar · \d+ antworten nicht · \d+ nicht eingerichtet"))
    expect(summary).to_contain_text(re.compile(rf"{today + 1} Bild(er)? von \d+ (Person|Personen)"))
    choose_language(admin, "Sprache", "English")
