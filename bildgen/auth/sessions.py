"""Server-side sessions: a random token in an HttpOnly cookie, only its SHA-256 in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from http.cookies import SimpleCookie

import sqlalchemy
from sqlmodel import delete

from bildgen.store.db import session
from bildgen.store.models import User, UserSession, utc_now

COOKIE_NAME = "bildgen_session"
ABSOLUTE_LIFETIME = timedelta(days=30)
IDLE_LIFETIME = timedelta(days=7)
# Writing last_seen on every request would turn every read into a write.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(engine: sqlalchemy.Engine, user_id: str, *, id_token: str | None = None) -> str:
    """A new session for the user; returns the token for the cookie (never stored as such).
    `id_token`: a single sign-on's ID token, sealed (auth/single_sign_on.seal_id_token)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with session(engine) as db:
        db.add(
            UserSession(
                token_hash=_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_LIFETIME,
                id_token=id_token,
            )
        )
        db.commit()
    return token


def user_for(
    engine: sqlalchemy.Engine, token: str | None, now: datetime | None = None, *, changing_password: bool = False
) -> User | None:
    """The session's user; None for no session, an expired one, a disabled account, or (except where
    the password is being changed) an account that must choose a new password first."""
    if not token:
        return None
    now = now or utc_now()
    with session(engine) as db:
        row = db.get(UserSession, _hash(token))
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + IDLE_LIFETIME <= now:
            db.delete(row)
            db.commit()
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
            db.add(row)
            db.commit()
        user = db.get(User, row.user_id)
        if user is None or user.disabled or (user.must_change_password and not changing_password):
            return None
        return user


def sealed_id_token(engine: sqlalchemy.Engine, token: str | None) -> str | None:
    """The sealed ID token a single sign-on session was started with (None for a local sign-in)."""
    if not token:
        return None
    with session(engine) as db:
        row = db.get(UserSession, _hash(token))
        return row.id_token if row is not None else None


def end(engine: sqlalchemy.Engine, token: str | None) -> str | None:
    """End the session; returns whose it was (None if there was none)."""
    if not token:
        return None
    with session(engine) as db:
        row = db.get(UserSession, _hash(token))
        if row is None:
            return None
        db.delete(row)
        db.commit()
        return row.user_id


def end_all(engine: sqlalchemy.Engine, user_id: str, *, except_token: str | None = None) -> None:
    """End every session of the user (but the one of `except_token`, say the browser in use)."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if except_token:
        query = query.where(UserSession.token_hash != _hash(except_token))
    with session(engine) as db:
        db.exec(query)
        db.commit()


def token_from_cookie_header(header: str | None) -> str | None:
    return cookie_value(header, COOKIE_NAME)


def cookie_value(header: str | None, name: str) -> str | None:
    """One cookie's value from a Cookie header; None when absent or the header is malformed."""
    if not header:
        return None
    cookies = SimpleCookie()
    try:
        cookies.load(header)
    except Exception:  # a malformed header from a client is simply "no such cookie"
        return None
    morsel = cookies.get(name)
    return morsel.value if morsel else None
