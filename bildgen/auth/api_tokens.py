"""Personal API tokens: how scripts and chat front ends use bildgen's HTTP API as their user.

A token is shown once, when it is made; the database keeps only its SHA-256 (a leaked database opens
nothing) and its first characters, so its owner can tell tokens apart. A token carries its user's
rights: `authenticate` is the one place that turns a presented token into a user, and it refuses
revoked and expired tokens, and the tokens of an account an administrator disabled. Creating and revoking are recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy
from sqlmodel import col, select, update

from bildgen.auth import audit
from bildgen.i18n import _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import ApiToken, User, utc_now

TOKEN_PREFIX = "bgk_"
SHOWN_PREFIX = len(TOKEN_PREFIX) + 6
NAME_MAX = 80
# What the account page offers; the core takes any whole number of days up to ten years.
EXPIRY_CHOICES_DAYS = (7, 30, 90, 365)
MAX_DAYS = 3650
# Writing last_used on every request would turn every API read into a write.
TOUCH_EVERY = timedelta(minutes=1)
# Per user: a leaked script that makes tokens in a loop must not fill the table.
MAX_TOKENS_PER_USER = 50


class TokenRefused(ValueError):
    """A token that cannot be made; the message says why, for the user."""


class AccountDisabled(Exception):
    """A valid token of an account an administrator disabled: it opens nothing until the account is enabled."""

    def __init__(self) -> None:
        super().__init__("This account has been disabled. Ask an administrator if you need it again.")


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    prefix: str
    owner: str  # the owner's username
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utc_now())


@dataclasses.dataclass(frozen=True)
class Bearer:
    """Who a request's token speaks for."""

    user: User
    token_id: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(token: ApiToken, owner: str) -> TokenInfo:
    return TokenInfo(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        owner=owner,
        user_id=token.user_id,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


def create(
    engine: sqlalchemy.Engine,
    *,
    user: User,
    name: str,
    expires_in_days: int | None,
    address: str | None = None,
    now: datetime | None = None,
) -> tuple[TokenInfo, str]:
    """A new token for the user: its description and the token itself (to be shown once, never stored).
    Raises TokenRefused for a bad name or expiry, StorageUnavailable when it cannot be stored."""
    name = " ".join(str(name).split())
    if not name:
        raise TokenRefused(_("Give the token a name, e.g. the script or tool that will use it."))
    if len(name) > NAME_MAX:
        raise TokenRefused(_("A token's name has at most {max} characters.", max=NAME_MAX))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        raise TokenRefused(_("A token expires after 1 to {max} days, or never.", max=MAX_DAYS))
    now = now or utc_now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_hash(secret),
        prefix=secret[:SHOWN_PREFIX],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    with storage_errors(), session(engine) as db:
        active = db.exec(
            select(sqlalchemy.func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        ).one()
        if active >= MAX_TOKENS_PER_USER:
            raise TokenRefused(
                _("You have {count} tokens already: revoke one you no longer use first.", count=MAX_TOKENS_PER_USER)
            )
        db.add(row)
        db.commit()
    with storage_errors():
        audit.record(
            engine,
            action=audit.API_TOKEN_CREATED,
            actor_id=user.id,
            target=user.username,
            detail=_described(row),
            address=address,
        )
    return _info(row, user.username), secret


def _described(token: ApiToken) -> str:
    expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
    return f"{token.name} ({token.prefix}…{expiry})"


def _listed(engine: sqlalchemy.Engine, user_id: str | None) -> list[TokenInfo]:
    query = (
        select(ApiToken, User.username)
        .join(User, col(ApiToken.user_id) == User.id)
        .where(col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id))
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    with storage_errors(), session(engine) as db:
        return [_info(token, username) for token, username in db.exec(query).all()]


def tokens_of(engine: sqlalchemy.Engine, user_id: str) -> list[TokenInfo]:
    """The user's tokens that are not revoked (expired ones too, so that they can be cleared), newest first."""
    return _listed(engine, user_id)


def all_tokens(engine: sqlalchemy.Engine) -> list[TokenInfo]:
    """Every user's tokens that are not revoked, newest first (administrators)."""
    return _listed(engine, None)


def revoke(
    engine: sqlalchemy.Engine,
    token_id: str,
    *,
    actor: User,
    owner_id: str | None,
    address: str | None = None,
) -> bool:
    """Revoke a token at once. `owner_id` None: any user's (the caller has checked the actor is an
    administrator). False when there is no such token of that owner, or it was revoked already."""
    owned = [ApiToken.id == str(token_id), col(ApiToken.revoked_at).is_(None)]
    if owner_id is not None:
        owned.append(ApiToken.user_id == owner_id)
    with storage_errors(), session(engine) as db:
        found = db.exec(
            select(ApiToken, User.username).join(User, col(ApiToken.user_id) == User.id).where(*owned)
        ).first()
        if found is None:
            return False
        token, owner = found
        revoked = db.exec(update(ApiToken).where(*owned).values(revoked_at=utc_now()))
        db.commit()
    if not revoked.rowcount:
        return False  # revoked by someone else a moment ago
    with storage_errors():
        by_administrator = actor.id != token.user_id
        audit.record(
            engine,
            action=audit.API_TOKEN_REVOKED,
            actor_id=actor.id,
            target=owner,
            detail=_described(token) + (" by an administrator" if by_administrator else ""),
            address=address,
        )
    return True


def authenticate(engine: sqlalchemy.Engine, secret: str | None, now: datetime | None = None) -> Bearer | None:
    """The user a presented token speaks for, or None for a missing, unknown, revoked or expired token.
    Raises AccountDisabled for a token of a disabled account (the session cookie's rule, auth/sessions.py)."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = now or utc_now()
    with session(engine) as db:
        found = db.exec(
            select(ApiToken, User)
            .join(User, col(ApiToken.user_id) == User.id)
            .where(ApiToken.token_hash == _hash(secret))
        ).first()
        if found is None:
            return None
        token, user = found
        if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
            return None
        if user.disabled:
            raise AccountDisabled
        last_used = token.last_used_at
        if last_used is None or now - last_used >= TOUCH_EVERY:
            db.exec(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
            db.commit()
        return Bearer(user=user, token_id=token.id)
