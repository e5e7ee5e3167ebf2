"""The audit log: what is recorded on sign-in, sign-up and refused access, and how administrators page through it."""

import json
from datetime import timedelta

import pytest
import sqlalchemy
from sqlmodel import select
from starlette.testclient import TestClient

from bildgen import i18n, routes
from bildgen.auth import accounts, audit, sessions, throttle
from bildgen.http import create_api
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, Image, ReferenceImage
from tests.unit.conftest import make_generation, make_user

SECRETS = ("correct horse", "wrong guess", "ghost")


def everything_stored(engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(sqlalchemy.select(AuditEvent)).all()
    return " ".join(str(value) for row in rows for value in row)


def all_entries(engine, **filters) -> list[audit.Entry]:
    entries, before = [], None
    while True:
        page = audit.page(engine, before=before, limit=7, **filters)
        entries += page.entries
        if page.older_than is None:
            return entries
        before = page.older_than


def test_sign_up_sign_in_failure_and_throttling_are_recorded_without_secrets(engine):
    accounts.create_account(engine, "anna", "correct horse", signup_open=True, admin_username=None, address="192.0.2.1")
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(engine, "anna", "wrong guess", address="192.0.2.7")
    accounts.authenticate(engine, "anna", "correct horse", address="192.0.2.1")
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(engine, "ghost", "wrong guess", address="192.0.2.7")
    for _ in range(throttle.PAIR.capacity):
        throttle.reserve(engine, throttle.Keys.of("anna", "192.0.2.9"))
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(engine, "anna", "correct horse", address="192.0.2.9")

    shown = [(e.action, e.actor, e.target, e.address) for e in audit.page(engine).entries]
    assert shown == [
        (audit.SIGN_IN_THROTTLED, "", "anna", "192.0.2.9"),
        (audit.SIGN_IN_FAILED, "", "unknown account", "192.0.2.7"),
        (audit.SIGN_IN, "anna", "anna", "192.0.2.1"),
        (audit.SIGN_IN_FAILED, "", "anna", "192.0.2.7"),
        (audit.ACCOUNT_CREATED, "anna", "anna", "192.0.2.1"),
    ]
    # Neither password, nor a name typed for an account that does not exist (often a password).
    assert not [secret for secret in SECRETS if secret in everything_stored(engine)]


def test_pages_run_newest_first_without_gaps_or_repeats_and_filter_by_action_and_user(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    for n in range(30):
        actor = anna if n % 3 else bob
        action = audit.SIGN_IN if n % 2 else audit.SIGN_OUT
        audit.record(engine, action=action, actor_id=actor.id, target=actor.username, detail=str(n))
    audit.record(engine, action=audit.SIGN_IN_FAILED, target="bob", address="6.6.6.6")

    everything = all_entries(engine)
    assert [e.detail for e in everything] == ["", *[str(n) for n in reversed(range(30))]]
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)

    sign_outs = all_entries(engine, action=audit.SIGN_OUT)
    assert [e.detail for e in sign_outs] == [str(n) for n in reversed(range(30)) if n % 2 == 0]
    # A user's events include failed sign-ins against their account, whoever tried.
    bobs = all_entries(engine, username="BOB")
    assert [e.detail for e in bobs] == ["", *[str(n) for n in reversed(range(30)) if n % 3 == 0]]
    assert all_entries(engine, username="nobody") == []
    assert all_entries(engine, action="no-such-action") == []


def test_the_page_is_capped_whatever_limit_is_asked_for(engine):
    for n in range(audit.PAGE_SIZE + 5):
        audit.record(engine, action=audit.SIGN_OUT, detail=str(n))
    assert len(audit.page(engine, limit=10**6).entries) == audit.PAGE_SIZE


def test_long_values_are_cut_to_fit_instead_of_failing_the_event(engine):
    audit.record(engine, action=audit.ACCESS_REFUSED, target="x" * 1000, detail="y" * 1000, address="z" * 1000)
    with session(engine) as db:
        stored = db.exec(select(AuditEvent)).one()
    assert len(stored.target) <= 200 and len(stored.detail) <= 300 and len(stored.address) <= 100


def test_asking_for_someone_elses_image_or_reference_is_recorded_but_a_missing_one_is_not(fresh_services):
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    generation = make_generation(services.engine, anna)
    image = Image(
        owner_id=anna.id, generation_id=generation.id, variant=0, seed=1, width=64, height=64, sha256="a" * 64
    )
    reference = ReferenceImage(owner_id=anna.id, sha256="b" * 64, name="r.png")
    with session(services.engine) as db:
        db.add_all([image, reference])
        db.commit()
    client = TestClient(create_api())
    client.cookies.set(sessions.COOKIE_NAME, sessions.start(services.engine, bob.id))
    for route in (
        routes.IMAGE_ROUTE.format(image_id=image.id),
        routes.THUMBNAIL_ROUTE.format(image_id=image.id),
        routes.REFERENCE_ROUTE.format(reference_id=reference.id),
        routes.IMAGE_ROUTE.format(image_id="f" * 32),  # missing, not foreign
    ):
        assert client.get(route).status_code == 404
    shown = [(e.action, e.actor, e.target, e.address, e.times) for e in audit.page(services.engine).entries]
    assert shown == [
        (audit.ACCESS_REFUSED, "bob", f"reference {reference.id}", "testclient", 1),
        (audit.ACCESS_REFUSED, "bob", f"image {image.id}", "testclient", 2),  # the image, then its thumbnail
    ]


def test_a_flood_of_throttled_attempts_counts_up_one_entry_instead_of_filling_the_log(engine):
    accounts.create_account(engine, "anna", "correct horse", signup_open=True, admin_username=None)
    for address in ("192.0.2.9", "192.0.2.10"):
        for _ in range(throttle.PAIR.capacity):
            throttle.reserve(engine, throttle.Keys.of("anna", address))
    for _ in range(40):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(engine, "anna", "correct horse", address="192.0.2.9")
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(engine, "anna", "correct horse", address="192.0.2.10")
    shown = [
        (e.action, e.target, e.address, e.times) for e in audit.page(engine, action=audit.SIGN_IN_THROTTLED).entries
    ]
    assert shown == [
        (audit.SIGN_IN_THROTTLED, "anna", "192.0.2.10", 1),
        (audit.SIGN_IN_THROTTLED, "anna", "192.0.2.9", 40),
    ]
    # Once the window has passed, a new entry: the log still shows when the attempts came back.
    audit.record_repeated(
        engine, action=audit.SIGN_IN_THROTTLED, target="anna", address="192.0.2.9", within=timedelta(0)
    )
    assert len(audit.page(engine, action=audit.SIGN_IN_THROTTLED).entries) == 3


def test_recorded_values_read_as_words_in_the_readers_language_not_json():
    quota = json.dumps({"max_images": 50, "period": "day", "exempt_admins": False, "profiles": []})
    assert audit.readable(quota) == "max_images: 50; period: day; exempt_admins: no; profiles: (none)"
    token = i18n.current_language.set("de")
    try:
        assert audit.readable(quota) == "max_images: 50; period: day; exempt_admins: nein; profiles: (keiner)"
        assert audit.readable(json.dumps(True)) == "ja"
    finally:
        i18n.current_language.reset(token)
    assert audit.readable('"Fast draft"') == "Fast draft"
    assert audit.readable("not json {") == "not json {"
