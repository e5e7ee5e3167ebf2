"""The master switch: an administrator turns image generation off for everyone, with a message."""

import json

import pytest
from sqlmodel import func, select

from bildgen.admin import settings
from bildgen.auth import audit
from bildgen.inference.profiles import demo_catalog
from bildgen.jobs import queue
from bildgen.jobs.refusals import GenerationPaused
from bildgen.store.db import session
from bildgen.store.models import Generation
from tests.jobs import submission
from tests.unit.conftest import make_user

PROFILE = demo_catalog("http://127.0.0.1:9/v1").default


def queued(engine) -> int:
    with session(engine) as db:
        return db.exec(select(func.count()).select_from(Generation)).one()


def test_while_generation_is_off_the_queue_refuses_with_the_administrators_message(engine):
    admin, anna = make_user(engine, "root"), make_user(engine, "anna")
    queue.submit(engine, submission(anna, PROFILE))
    settings.update(
        engine, {"generation_enabled": False, "paused_message": "GPU maintenance until 14:00."}, actor_id=admin.id
    )

    with pytest.raises(GenerationPaused) as refused:
        queue.submit(engine, submission(anna, PROFILE))
    assert refused.value.message == "GPU maintenance until 14:00."
    assert queued(engine) == 1

    settings.update(engine, {"generation_enabled": True}, actor_id=admin.id)
    queue.submit(engine, submission(anna, PROFILE))
    assert queued(engine) == 2


def test_the_environment_sets_the_default_and_a_value_set_in_the_admin_area_wins(engine):
    admin = make_user(engine, "root")
    off = {settings.ENABLED_ENV: "false"}
    assert settings.read(engine, off).generation_enabled is False
    assert settings.read(engine, {}).generation_enabled is True

    settings.update(engine, {"generation_enabled": True}, actor_id=admin.id, environ=off)
    assert settings.read(engine, off).generation_enabled is True


def test_every_change_is_audited_with_who_the_old_and_the_new_value(engine):
    admin = make_user(engine, "root")
    settings.update(engine, {"generation_enabled": False, "currency": "EUR"}, actor_id=admin.id, address="192.0.2.4")
    settings.update(engine, {"currency": "EUR"}, actor_id=admin.id)  # no change: no entry

    entries = audit.page(engine, action=audit.SETTINGS_CHANGED).entries
    changes = {entry.target: (json.loads(entry.old_value), json.loads(entry.new_value)) for entry in entries}
    assert changes == {"generation_enabled": (True, False), "currency": ("USD", "EUR")}
    assert {(entry.actor, entry.address) for entry in entries} == {("root", "192.0.2.4")}


def test_a_message_too_long_or_an_unknown_setting_is_refused_and_nothing_changes(engine):
    admin = make_user(engine, "root")
    with pytest.raises(settings.SettingsRefused, match="at most 300"):
        settings.update(engine, {"generation_enabled": False, "paused_message": "x" * 301}, actor_id=admin.id)
    with pytest.raises(settings.SettingsRefused, match="no setting"):
        settings.update(engine, {"is_admin": True}, actor_id=admin.id)
    assert settings.read(engine, {}) == settings.GeneralSettings()
