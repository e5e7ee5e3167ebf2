"""Model profiles made and changed in the Admin area: stored as validated JSON, merged with the
configuration file's, seen by every process, and enforced by the queue."""

import asyncio
import json
import time

import pytest

from bildgen.admin import profiles
from bildgen.admin.keys import KeyBox
from bildgen.admin.live import CHANGED_FILE, FROM_ADMIN, FROM_DEMO, FROM_FILE, ConfigSource
from bildgen.auth import audit
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue
from bildgen.jobs.refusals import ProfileUnavailable
from bildgen.store.models import GenerationStatus
from tests.jobs import submission, wait_until_final
from tests.unit.conftest import make_user

BOX = KeyBox(b"a server secret of at least 32 characters")
FILE = Catalog(
    default_model="qwen",
    models={
        "qwen": ModelProfile(id="qwen", label="Qwen-Image", base_url="http://127.0.0.1:9/v1", family="qwen-image"),
        "flux": ModelProfile(id="flux", label="FLUX.2", base_url="http://127.0.0.1:9/v1", family="flux2"),
    },
)
PORTRAIT = {
    "label": "Portrait HD",
    "description": "Faces and people, 3:4.",
    "base_url": "http://127.0.0.1:9/v1",
    "family": "qwen-image",
    "sizes": ["1104x1472", "1328x1328"],
    "default_size": "1104x1472",
    "default_quality": "best",
    "cost_per_image": 0.04,
}


@pytest.fixture
def source(engine):
    return ConfigSource(engine, FILE, BOX, environ={})


@pytest.fixture
def admin(engine):
    return make_user(engine, "root")


def test_a_profile_made_in_the_admin_area_is_offered_after_the_files_with_its_settings(engine, source, admin):
    profile_id = profiles.create(engine, source.refresh(), PORTRAIT, actor_id=admin.id)

    live = source.refresh()
    assert profile_id == "portrait-hd"
    assert [profile.label for profile in live.catalog.offered] == ["Qwen-Image", "FLUX.2", "Portrait HD"]
    portrait = live.catalog.models[profile_id]
    assert portrait.description == "Faces and people, 3:4."
    assert portrait.traits().default_size == (1104, 1472)
    assert portrait.cost_per_image == 0.04
    assert [(entry.id, entry.origin) for entry in live.entries] == [
        ("qwen", FROM_FILE),
        ("flux", FROM_FILE),
        ("portrait-hd", FROM_ADMIN),
    ]


def test_a_disabled_profile_is_no_longer_offered_and_the_queue_refuses_it_with_its_name(engine, source, admin):
    anna = make_user(engine, "anna")
    profile_id = profiles.create(engine, source.refresh(), PORTRAIT, actor_id=admin.id)
    portrait = source.refresh().catalog.models[profile_id]
    queue.submit(engine, submission(anna, portrait))

    profiles.set_enabled(engine, source.refresh(), profile_id, False, actor_id=admin.id)

    # The queue's check reads the database, not this process's cache.
    with pytest.raises(ProfileUnavailable, match="Portrait HD is not available any more"):
        queue.submit(engine, submission(anna, portrait))
    assert not source.current().catalog.offers(profile_id)
    profiles.set_enabled(engine, source.refresh(), profile_id, True, actor_id=admin.id)
    queue.submit(engine, submission(anna, portrait))


@pytest.mark.parametrize(
    ("advanced", "message"),
    [
        ('{"stepz": 30}', "stepz: bildgen knows no such setting"),
        ('{"steps": 500}', "steps: Input should be less than or equal to 200"),
        ('{"label": "x"}', "label: set it in the form"),
        ('{"steps": 30', "not valid JSON"),
        ('{"edit_with": "nowhere"}', "edit_with: 'nowhere' is not one of the [models.*] tables"),
        ('{"retry_interrupted": "sometimes"}', "retry_interrupted: Input should be a valid boolean"),
    ],
)
def test_the_advanced_json_is_validated_and_the_message_names_the_bad_key(engine, source, admin, advanced, message):
    with pytest.raises(profiles.ProfileRefused, match=message.replace("[", r"\[").replace("]", r"\]")):
        config = {**PORTRAIT, **profiles.parse_advanced(advanced)}
        profiles.create(engine, source.refresh(), config, actor_id=admin.id)
    assert [entry.id for entry in source.refresh().entries] == ["qwen", "flux"]


def test_what_the_provider_does_not_accept_is_refused_naming_the_key(engine, source, admin):
    gateway = {"label": "Gateway Qwen", "provider": "gateway", "base_url": "https://gw.example/v2"}
    with pytest.raises(profiles.ProfileRefused, match='route must be one of .* for provider = "gateway"'):
        profiles.create(engine, source.refresh(), gateway, actor_id=admin.id)
    profiles.create(
        engine, source.refresh(), {**gateway, **profiles.parse_advanced('{"route": "qwen"}')}, actor_id=admin.id
    )
    assert source.refresh().catalog.models["gateway-qwen"].route == "qwen"


def test_a_bad_form_value_is_refused_naming_the_key(engine, source, admin):
    with pytest.raises(profiles.ProfileRefused, match="default_size '512x512' is not one of sizes"):
        profiles.create(engine, source.refresh(), {**PORTRAIT, "default_size": "512x512"}, actor_id=admin.id)
    with pytest.raises(profiles.ProfileRefused, match="base_url: no endpoint"):
        profiles.create(
            engine, source.refresh(), {**PORTRAIT, "base_url": None, "provider": "gateway"}, actor_id=admin.id
        )


def test_a_file_profile_is_overridden_in_the_admin_area_and_taken_back_to_the_files_version(engine, source, admin):
    live = source.refresh()
    profiles.update(engine, live, "flux", {**live.entry("flux").config, "label": "FLUX.2 (team)"}, actor_id=admin.id)

    live = source.refresh()
    assert live.catalog.models["flux"].label == "FLUX.2 (team)"
    assert live.entry("flux").origin == CHANGED_FILE
    profiles.remove(engine, live, "flux", actor_id=admin.id)
    live = source.refresh()
    assert live.catalog.models["flux"].label == "FLUX.2"
    assert live.entry("flux").origin == FROM_FILE


def test_profiles_are_reordered_for_everyone(engine, source, admin):
    profile_id = profiles.create(engine, source.refresh(), PORTRAIT, actor_id=admin.id)
    profiles.move(engine, source.refresh(), profile_id, -1, actor_id=admin.id)
    profiles.move(engine, source.refresh(), profile_id, -1, actor_id=admin.id)
    assert list(source.refresh().catalog.models) == ["portrait-hd", "qwen", "flux"]


def test_another_worker_process_sees_a_change_within_seconds_without_asking(engine, admin):
    here = ConfigSource(engine, FILE, BOX, environ={})
    elsewhere = ConfigSource(engine, FILE, BOX, environ={}, recheck_s=0.1)
    elsewhere.refresh()
    profiles.set_enabled(engine, here.refresh(), "flux", False, actor_id=admin.id)

    deadline = time.monotonic() + 5
    while elsewhere.current().catalog.offers("flux") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not elsewhere.current().catalog.offers("flux")


def test_every_profile_change_is_audited_with_old_and_new_values(engine, source, admin):
    profile_id = profiles.create(engine, source.refresh(), PORTRAIT, actor_id=admin.id)
    profiles.set_enabled(engine, source.refresh(), profile_id, False, actor_id=admin.id)

    entries = audit.page(engine, action=audit.PROFILE_CHANGED).entries
    assert [(entry.detail, entry.actor, entry.target) for entry in entries] == [
        ("disabled", "root", profile_id),
        ("created", "root", profile_id),
    ]
    assert (json.loads(entries[0].old_value), json.loads(entries[0].new_value)) == (
        {"enabled": True},
        {"enabled": False},
    )
    assert json.loads(entries[1].new_value)["label"] == "Portrait HD"


def test_a_user_generates_with_a_profile_an_administrator_made(fresh_services):
    services = fresh_services._build()
    admin, anna = make_user(services.engine, "root"), make_user(services.engine, "anna")
    profile_id = profiles.create(
        services.engine,
        services.config.refresh(),
        {"label": "Fast draft", "base_url": services.demo_server.base_url, "default_quality": "draft"},
        actor_id=admin.id,
    )
    profile = services.config.refresh().catalog.models[profile_id]

    async def go():
        async with services.runner.running():
            job_id = queue.submit(services.engine, submission(anna, profile))
            services.runner.wake()
            return await wait_until_final(services.engine, job_id, anna.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE
    assert job.model_profile == "fast-draft"


def test_a_profile_another_one_hands_its_edits_to_cannot_be_deleted(engine, source, admin):
    editor_config = {**PORTRAIT, "label": "Editor", "family": "qwen-image-edit"}
    editor = profiles.create(engine, source.refresh(), editor_config, actor_id=admin.id)
    live = source.refresh()
    profiles.update(engine, live, "qwen", {**live.entry("qwen").config, "edit_with": editor}, actor_id=admin.id)
    with pytest.raises(profiles.ProfileRefused, match="qwen hand their edits to this profile"):
        profiles.remove(engine, source.refresh(), editor, actor_id=admin.id)
    assert source.refresh().catalog.serving("qwen", with_references=True).id == editor


def test_the_files_text_model_stays_offered_for_prompt_help_whatever_the_admin_area_changes(engine, admin):
    from bildgen.inference.profiles import TextModelProfile

    writer = TextModelProfile(id="writer", label="Writer", base_url="http://127.0.0.1:9/v1")
    with_writer = FILE.model_copy(update={"default_text_model": "writer", "text_models": {"writer": writer}})
    source = ConfigSource(engine, with_writer, BOX, environ={})
    profiles.create(engine, source.refresh(), PORTRAIT, actor_id=admin.id)
    assert source.refresh().catalog.text_model == writer


def test_without_a_configuration_file_the_profiles_say_they_are_the_built_in_demo(fresh_services):
    live = fresh_services.get_services().config.refresh()
    assert live.entries and {entry.origin for entry in live.entries} == {FROM_DEMO}
