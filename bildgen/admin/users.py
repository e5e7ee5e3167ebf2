"""Accounts as administrators manage them: list and search, disable and enable, make or revoke
administrator, reset a password (the user chooses a new one at the next sign-in), end all sessions.

bildgen always keeps one active administrator: a change that would leave none is refused. The check
and the change are one conditional UPDATE, serialised on PostgreSQL by a transaction-scoped advisory
lock (on SQLite one statement holds the database's write lock), so two administrators revoking each
other at the same moment cannot both succeed.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, col, delete, func, select, update

from bildgen.auth import audit, passwords
from bildgen.i18n import N_, _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import User, UserSession

LAST_ADMIN_LOCK_KEY = 0x6B696C6461646D  # any constant shared by every process
LIST_LIMIT = 200
LAST_ADMINISTRATOR = N_("bildgen needs at least one active administrator: make someone else an administrator first.")


class UserChangeRefused(ValueError):
    """A change that may not be made; the message says why."""


@dataclasses.dataclass(frozen=True)
class UserInfo:
    id: str
    username: str
    is_admin: bool
    disabled: bool
    must_change_password: bool
    created_at: datetime
    last_seen_at: datetime | None
    sessions: int


def list_users(engine: sqlalchemy.Engine, search: str = "", *, limit: int = LIST_LIMIT) -> list[UserInfo]:
    """Accounts whose name contains `search`, administrators first, then by name."""
    query = (
        select(User, func.max(UserSession.last_seen_at), func.count(col(UserSession.token_hash)))
        .join(UserSession, col(UserSession.user_id) == User.id, isouter=True)
        .group_by(col(User.id))
        .order_by(col(User.is_admin).desc(), col(User.username))
        .limit(max(1, min(limit, LIST_LIMIT)))
    )
    text = search.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(col(User.username).like(pattern, escape="\\"))
    with session(engine) as db:
        rows = db.exec(query).all()
    return [
        UserInfo(
            id=user.id,
            username=user.username,
            is_admin=user.is_admin,
            disabled=user.disabled,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
            last_seen_at=last_seen,
            sessions=count,
        )
        for user, last_seen, count in rows
    ]


def _serialised(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.exec(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=LAST_ADMIN_LOCK_KEY))


def _another_active_admin(user_id: str):  # type: ignore[no-untyped-def]
    others = (
        select(func.count())
        .select_from(User)
        .where(col(User.is_admin).is_(True), col(User.disabled).is_(False), User.id != user_id)
        .scalar_subquery()
    )
    return others > 0


def _target(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise UserChangeRefused(_("That account does not exist (any more)."))
    return user


def _change(
    engine: sqlalchemy.Engine,
    user_id: str,
    values: dict,
    *,
    keeps_an_admin: bool,
    detail: str,
    old: object,
    new: object,
    actor_id: str,
    address: str | None,
    end_sessions: bool = False,
) -> None:
    """One account change with its audit entry; `keeps_an_admin` makes it conditional on another
    active administrator remaining."""
    with storage_errors(), session(engine) as db:
        _serialised(db)
        user = _target(db, user_id)
        condition = [User.id == user_id]
        if keeps_an_admin and user.is_admin and not user.disabled:
            condition.append(_another_active_admin(user_id))
        changed = db.exec(update(User).where(*condition).values(**values))
        if not changed.rowcount:
            raise UserChangeRefused(_(LAST_ADMINISTRATOR))
        if end_sessions:
            db.exec(delete(UserSession).where(UserSession.user_id == user_id))
        db.add(
            audit.change(
                action=audit.USER_CHANGED,
                actor_id=actor_id,
                target=user.username,
                detail=detail,
                old=old,
                new=new,
                address=address,
            )
        )
        db.commit()


def set_disabled(
    engine: sqlalchemy.Engine, user_id: str, disabled: bool, *, actor_id: str, address: str | None = None
) -> None:
    """Disable (every session ends at once; sign-in is refused) or enable an account."""
    _change(
        engine,
        user_id,
        {"disabled": disabled},
        keeps_an_admin=disabled,
        detail=N_("disabled") if disabled else N_("enabled"),
        old={"disabled": not disabled},
        new={"disabled": disabled},
        actor_id=actor_id,
        address=address,
        end_sessions=disabled,
    )


def set_admin(
    engine: sqlalchemy.Engine, user_id: str, is_admin: bool, *, actor_id: str, address: str | None = None
) -> None:
    _change(
        engine,
        user_id,
        {"is_admin": is_admin},
        keeps_an_admin=not is_admin,
        detail=N_("made administrator") if is_admin else N_("administrator role revoked"),
        old={"is_admin": not is_admin},
        new={"is_admin": is_admin},
        actor_id=actor_id,
        address=address,
    )


def temporary_password() -> str:
    # Four groups of five: easy to read out or paste, 100 bits of randomness.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def reset_password(engine: sqlalchemy.Engine, user_id: str, *, actor_id: str, address: str | None = None) -> str:
    """Give the account a temporary password (returned, to hand over; never stored or logged as such),
    end its sessions, and make the next sign-in lead to choosing a new one."""
    password = temporary_password()
    password_hash = passwords.hash_password(password)  # before the transaction: argon2 takes a while
    _change(
        engine,
        user_id,
        {"password_hash": password_hash, "must_change_password": True},
        keeps_an_admin=False,
        detail=N_("password reset"),
        old=audit.MASKED,
        new=audit.MASKED,
        actor_id=actor_id,
        address=address,
        end_sessions=True,
    )
    return password


def end_sessions(engine: sqlalchemy.Engine, user_id: str, *, actor_id: str, address: str | None = None) -> int:
    """Sign the account out everywhere; how many sessions ended."""
    with storage_errors(), session(engine) as db:
        user = _target(db, user_id)
        ended = db.exec(delete(UserSession).where(UserSession.user_id == user_id)).rowcount
        db.add(
            audit.change(
                action=audit.USER_CHANGED,
                actor_id=actor_id,
                target=user.username,
                detail=N_("all sessions ended"),
                old={"sessions": ended},
                new={"sessions": 0},
                address=address,
            )
        )
        db.commit()
    return ended


def active_admin_count(engine: sqlalchemy.Engine) -> int:
    with session(engine) as db:
        return db.exec(
            select(func.count()).select_from(User).where(col(User.is_admin).is_(True), col(User.disabled).is_(False))
        ).one()
