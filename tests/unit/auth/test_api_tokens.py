"""API tokens: shown once, stored as a hash, resolved to their user in one place, revocable, audited."""

from datetime import timedelta

import pytest
import sqlalchemy

from bildgen.auth import api_tokens, audit
from bildgen.store.models import ApiToken, AuditEvent, utc_now
from tests.unit.conftest import make_user


def everything_stored(engine, table) -> str:
    with engine.connect() as connection:
        return " ".join(str(value) for row in connection.execute(sqlalchemy.select(table)).all() for value in row)


def test_a_new_token_speaks_for_its_user_and_only_its_hash_is_stored(engine):
    anna = make_user(engine, "anna")
    info, secret = api_tokens.create(engine, user=anna, name="  nightly   script ", expires_in_days=None)
    assert info.name == "nightly script" and info.owner == "anna" and info.expires_at is None
    assert secret.startswith(info.prefix) and len(secret) > 40
    bearer = api_tokens.authenticate(engine, secret)
    assert bearer is not None and bearer.user.id == anna.id and bearer.token_id == info.id
    assert secret not in everything_stored(engine, ApiToken)
    assert secret not in everything_stored(engine, AuditEvent)
    assert api_tokens.authenticate(engine, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert api_tokens.authenticate(engine, None) is None


def test_creation_and_revocation_are_in_the_audit_log(engine):
    anna = make_user(engine, "anna")
    info, _ = api_tokens.create(engine, user=anna, name="open webui", expires_in_days=30, address="192.0.2.5")
    assert api_tokens.revoke(engine, info.id, actor=anna, owner_id=anna.id, address="192.0.2.5")
    entries = audit.page(engine).entries
    assert [entry.action for entry in entries] == [audit.API_TOKEN_REVOKED, audit.API_TOKEN_CREATED]
    assert all(entry.actor == "anna" and entry.target == "anna" for entry in entries)
    assert "open webui" in entries[1].detail and info.prefix in entries[1].detail and "expires" in entries[1].detail
    assert entries[1].address == "192.0.2.5"


def test_a_revoked_token_stops_working_at_once_and_leaves_the_list(engine):
    anna = make_user(engine, "anna")
    info, secret = api_tokens.create(engine, user=anna, name="ci", expires_in_days=None)
    other, _ = api_tokens.create(engine, user=anna, name="laptop", expires_in_days=None)
    assert api_tokens.revoke(engine, info.id, actor=anna, owner_id=anna.id)
    assert api_tokens.authenticate(engine, secret) is None
    assert [token.name for token in api_tokens.tokens_of(engine, anna.id)] == ["laptop"]
    assert not api_tokens.revoke(engine, info.id, actor=anna, owner_id=anna.id)  # already revoked
    assert other.id != info.id


def test_an_expired_token_is_refused(engine):
    anna = make_user(engine, "anna")
    info, secret = api_tokens.create(engine, user=anna, name="short", expires_in_days=7)
    assert api_tokens.authenticate(engine, secret, now=utc_now() + timedelta(days=6)) is not None
    assert api_tokens.authenticate(engine, secret, now=utc_now() + timedelta(days=7, seconds=1)) is None
    assert api_tokens.tokens_of(engine, anna.id)[0].expired(utc_now() + timedelta(days=8))


def test_nobody_but_the_owner_or_an_administrator_revokes_a_token(engine):
    anna, bob, admin = make_user(engine, "anna"), make_user(engine, "bob"), make_user(engine, "root")
    info, secret = api_tokens.create(engine, user=anna, name="mine", expires_in_days=None)
    assert not api_tokens.revoke(engine, info.id, actor=bob, owner_id=bob.id)
    assert api_tokens.authenticate(engine, secret) is not None
    assert [token.owner for token in api_tokens.all_tokens(engine)] == ["anna"]
    assert api_tokens.revoke(engine, info.id, actor=admin, owner_id=None)
    assert api_tokens.authenticate(engine, secret) is None
    revoked = audit.page(engine, action=audit.API_TOKEN_REVOKED).entries[0]
    assert revoked.actor == "root" and revoked.target == "anna" and "by an administrator" in revoked.detail


def test_last_use_is_recorded_without_a_write_per_request(engine):
    anna = make_user(engine, "anna")
    _, secret = api_tokens.create(engine, user=anna, name="poller", expires_in_days=None)
    assert api_tokens.tokens_of(engine, anna.id)[0].last_used_at is None
    first = utc_now()
    api_tokens.authenticate(engine, secret, now=first)
    api_tokens.authenticate(engine, secret, now=first + timedelta(seconds=10))
    assert api_tokens.tokens_of(engine, anna.id)[0].last_used_at == first
    api_tokens.authenticate(engine, secret, now=first + timedelta(minutes=2))
    assert api_tokens.tokens_of(engine, anna.id)[0].last_used_at == first + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [("   ", None, "Give the token a name"), ("x" * 81, None, "at most 80"), ("ok", 0, "1 to 3650 days")],
)
def test_a_token_needs_a_name_and_a_sensible_expiry(engine, name, days, message):
    anna = make_user(engine, "anna")
    with pytest.raises(api_tokens.TokenRefused, match=message):
        api_tokens.create(engine, user=anna, name=name, expires_in_days=days)
    assert api_tokens.tokens_of(engine, anna.id) == []
