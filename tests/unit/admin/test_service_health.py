"""Admin → Profiles and the overview say whether each profile's service answers: asked with the same
call as Test connection, remembered for a minute so that opening a page does not probe again."""

import asyncio

from bildgen import i18n
from bildgen.admin import service_health
from bildgen.admin.live import FROM_ADMIN, ProfileEntry
from bildgen.inference.profiles import ModelProfile


def entry(profile_id: str, profile: ModelProfile | None, problem: str = "") -> ProfileEntry:
    return ProfileEntry(id=profile_id, origin=FROM_ADMIN, config={}, profile=profile, problem=problem)


def test_a_running_service_is_reachable_and_a_stopped_one_is_not_answering_once_asked_again(demo_server):
    draft = entry("draft-health", ModelProfile(id="draft-health", label="Draft", base_url=demo_server.base_url))
    first = asyncio.run(service_health.check(draft))
    assert first.status == service_health.REACHABLE
    assert "Connected." in first.message

    demo_server.stop()  # a real process gone, not a mock
    # Opening the page again within the minute reads the remembered answer: no new probe.
    assert asyncio.run(service_health.check(draft)) == first
    assert service_health.known(draft) == first
    # Test connection (or a page opened after the minute) asks the service now.
    again = asyncio.run(service_health.check(draft, max_age_s=0))
    assert again.status == service_health.NOT_ANSWERING
    assert "did not answer" in again.message
    assert again.checked_at > first.checked_at


def test_a_profile_without_the_key_its_provider_needs_or_with_a_bad_configuration_is_not_set_up():
    cloud = entry(
        "cloud-health",
        ModelProfile(
            id="cloud-health", label="Cloud", provider="bfl", served_name="flux-2-pro", base_url="https://api.bfl.ai/v1"
        ),
    )
    broken = entry("broken-health", None, problem="base_url: no endpoint")
    found = asyncio.run(service_health.check_all([cloud, broken]))
    assert found["cloud-health"].status == service_health.NOT_SET_UP
    assert found["cloud-health"].message == "Needs an API key."
    assert found["broken-health"] == service_health.ServiceHealth(
        service_health.NOT_SET_UP, "base_url: no endpoint", found["broken-health"].checked_at
    )


def test_the_answer_is_remembered_in_the_language_it_was_said_in():
    down = entry("down-health", ModelProfile(id="down-health", label="Down", base_url="http://127.0.0.1:9/v1"))
    english = asyncio.run(service_health.check(down))
    token = i18n.current_language.set("de")
    try:
        german = asyncio.run(service_health.check(down))
    finally:
        i18n.current_language.reset(token)
    assert english.status == german.status == service_health.NOT_ANSWERING
    assert english.message != german.message
