import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from bildgen.auth import sessions
from bildgen.store.db import session
from bildgen.store.models import UserSession, utc_now
from tests.unit.conftest import make_user


def test_only_the_tokens_hash_is_stored(engine):
    user = make_user(engine)
    token = sessions.start(engine, user.id)
    with session(engine) as db:
        stored = db.exec(select(UserSession)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert len(token) >= 40  # 32 random bytes


def test_a_session_resolves_to_its_user_until_signed_out(engine):
    user = make_user(engine)
    token = sessions.start(engine, user.id)
    assert sessions.user_for(engine, token).id == user.id
    sessions.end(engine, token)
    assert sessions.user_for(engine, token) is None


def test_sessions_expire_when_idle_and_after_their_absolute_lifetime(engine):
    user = make_user(engine)
    token = sessions.start(engine, user.id)
    now = utc_now()
    assert sessions.user_for(engine, token, now=now + sessions.IDLE_LIFETIME - timedelta(minutes=1)) is not None
    # That use counted as activity; the absolute limit still ends it.
    assert sessions.user_for(engine, token, now=now + sessions.ABSOLUTE_LIFETIME + timedelta(seconds=1)) is None
    other = sessions.start(engine, user.id)
    assert sessions.user_for(engine, other, now=utc_now() + sessions.IDLE_LIFETIME + timedelta(seconds=1)) is None


@pytest.mark.parametrize("header", [None, "", "other=1", "bildgen_session", '"; bildgen_session=\\x00'])
def test_missing_or_malformed_cookies_mean_no_session(engine, header):
    assert sessions.user_for(engine, sessions.token_from_cookie_header(header)) is None


def test_the_token_is_read_from_a_cookie_header_among_others(engine):
    assert sessions.token_from_cookie_header("a=1; bildgen_session=abc-DEF_123; b=2") == "abc-DEF_123"
