"""The audit log: security-relevant events in the database, for administrators to read.

Recorded: sign-in (success, failure, throttled), sign-out, account created, a signed-in user asking
for another user's image or reference, an administrator cancelling someone's job, API tokens created
or revoked (their name and first characters), boards shared and unshared, someone else's image
seen through a shared board, view-only links made, revoked and opened, and every change made in the Admin area (who, what,
when, the old and the new value). Never a password, a token, an API key (masked as ********) or a
name typed for an account that does not exist (often a password typed into the wrong field).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy
from sqlmodel import col, or_, select, update

from bildgen.i18n import N_, _
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, Board, EditMask, Generation, Image, ReferenceImage, User, utc_now

SIGN_IN = "sign-in"
SIGN_IN_FAILED = "sign-in-failed"
SIGN_IN_THROTTLED = "sign-in-throttled"
SIGN_OUT = "sign-out"
ACCOUNT_CREATED = "account-created"
ACCESS_REFUSED = "access-refused"
JOB_CANCELLED = "job-cancelled"
SETTINGS_CHANGED = "settings-changed"
PROFILE_CHANGED = "profile-changed"
PROVIDER_CHANGED = "provider-changed"
USER_CHANGED = "user-changed"
QUOTA_CHANGED = "quota-changed"
SIGN_IN_DISABLED = "sign-in-disabled"
PASSWORD_CHANGED = "password-changed"
# What a secret's old or new value is recorded as.
MASKED = "********"
API_TOKEN_CREATED = "api-token-created"
API_TOKEN_REVOKED = "api-token-revoked"
PLAIN_DOWNLOAD = "plain-download"
BOARD_SHARED = "board-shared"
BOARD_UNSHARED = "board-unshared"
SHARED_IMAGE_VIEWED = "shared-image-viewed"
VIEW_LINK_CREATED = "view-link-created"
VIEW_LINK_REVOKED = "view-link-revoked"
VIEW_LINK_OPENED = "view-link-opened"
GROUP_CHANGED = "group-changed"

# What the administrator's filter offers, in this order.
ACTIONS = {
    SIGN_IN: N_("Signed in"),
    SIGN_IN_FAILED: N_("Sign-in failed"),
    SIGN_IN_THROTTLED: N_("Sign-in throttled"),
    SIGN_OUT: N_("Signed out"),
    ACCOUNT_CREATED: N_("Account created"),
    ACCESS_REFUSED: N_("Someone else's image or task asked for"),
    JOB_CANCELLED: N_("Job cancelled by an administrator"),
    SETTINGS_CHANGED: N_("Settings changed"),
    PROFILE_CHANGED: N_("Model profile changed"),
    PROVIDER_CHANGED: N_("Provider changed"),
    USER_CHANGED: N_("Account changed by an administrator"),
    QUOTA_CHANGED: N_("Quota changed"),
    SIGN_IN_DISABLED: N_("Sign-in to a disabled account"),
    PASSWORD_CHANGED: N_("Password changed"),
    API_TOKEN_CREATED: N_("API token created"),
    API_TOKEN_REVOKED: N_("API token revoked"),
    PLAIN_DOWNLOAD: N_("Image downloaded without metadata"),
    BOARD_SHARED: N_("Board shared"),
    BOARD_UNSHARED: N_("Board unshared"),
    SHARED_IMAGE_VIEWED: N_("Someone else's image seen on a shared board"),
    VIEW_LINK_CREATED: N_("View-only link made"),
    VIEW_LINK_REVOKED: N_("View-only link revoked"),
    VIEW_LINK_OPENED: N_("View-only link opened"),
    GROUP_CHANGED: N_("Group changed"),
}
PAGE_SIZE = 50
REPEATS_WITHIN = timedelta(minutes=10)

_LIMITS = {name: AuditEvent.__table__.c[name].type.length for name in ("action", "target", "detail", "address")}


def _fit(name: str, value: str | None) -> str | None:
    return None if value is None else value[: _LIMITS[name]]


def record(
    engine: sqlalchemy.Engine,
    *,
    action: str,
    actor_id: str | None = None,
    target: str | None = None,
    detail: str | None = None,
    address: str | None = None,
) -> None:
    """Add one event. `actor_id` is the signed-in user who did it, when there is one."""
    event = AuditEvent(
        action=_fit("action", action),
        actor_id=actor_id,
        target=_fit("target", target),
        detail=_fit("detail", detail),
        address=_fit("address", address),
    )
    with session(engine) as db:
        db.add(event)
        db.commit()


def _encoded(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def readable(encoded: str) -> str:
    """A recorded value as an administrator reads it: `key: value` pairs and plain words, not JSON."""
    try:
        value = json.loads(encoded)
    except ValueError:
        return encoded
    return _readable(value)


def _readable(value: Any) -> str:
    if value is None or value == "":
        return _("(none)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_readable(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(item) for item in value) or _("(none)")
    return str(value)


def change(
    *,
    action: str,
    actor_id: str,
    target: str,
    detail: str | None = None,
    old: Any = None,
    new: Any = None,
    address: str | None = None,
) -> AuditEvent:
    """An administrative change as a row to add in the caller's transaction, so that a change is never
    stored without its entry. Values are kept as JSON; the caller replaces secrets by MASKED."""
    return AuditEvent(
        action=_fit("action", action),
        actor_id=actor_id,
        target=_fit("target", target),
        detail=_fit("detail", detail),
        address=_fit("address", address),
        old_value=_encoded(old),
        new_value=_encoded(new),
    )


def _same(column, value):  # type: ignore[no-untyped-def]
    return column.is_(None) if value is None else column == value


def record_repeated(
    engine: sqlalchemy.Engine,
    *,
    action: str,
    actor_id: str | None = None,
    target: str | None = None,
    address: str | None = None,
    within: timedelta = REPEATS_WITHIN,
) -> None:
    """Like `record`, for events anyone can repeat at will (refused attempts): the same event from the
    same address within `within` counts up the first entry's `times` instead of adding rows, so a
    flood of requests cannot flood the log.
    """
    target, address = _fit("target", target), _fit("address", address)
    with session(engine) as db:
        earlier = db.exec(
            select(AuditEvent)
            .where(
                AuditEvent.action == action,
                _same(AuditEvent.actor_id, actor_id),
                _same(AuditEvent.target, target),
                _same(AuditEvent.address, address),
                AuditEvent.created_at >= utc_now() - within,
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        ).first()
        if earlier is None:
            db.add(AuditEvent(action=action, actor_id=actor_id, target=target, address=address))
        else:  # counted in SQL: simultaneous repeats must not overwrite each other's count
            db.exec(update(AuditEvent).where(AuditEvent.id == earlier.id).values(times=AuditEvent.times + 1))
        db.commit()


def record_refused_access(
    engine: sqlalchemy.Engine, *, user_id: str, kind: str, object_id: str, address: str | None
) -> bool:
    """After a 404 for an image ("image"), reference ("reference"), mask ("mask"), API task ("task") or board:
    record it if the id is someone else's.

    A missing id (a deleted image, a stale tab) is not worth an entry; a foreign one is probing.
    """
    model = {"image": Image, "reference": ReferenceImage, "mask": EditMask, "task": Generation, "board": Board}[kind]
    with session(engine) as db:
        owner = db.exec(select(model.owner_id).where(model.id == object_id)).first()
    if owner is None or owner == user_id:
        return False
    record_repeated(engine, action=ACCESS_REFUSED, actor_id=user_id, target=f"{kind} {object_id}", address=address)
    return True


@dataclasses.dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    action: str
    actor: str  # the username, "" when nobody was signed in
    target: str
    detail: str
    address: str
    times: int = 1  # how often it happened (repeats within a few minutes count up one entry)
    # An administrative change: the values before and after, as JSON ("" when there was none).
    old_value: str = ""
    new_value: str = ""


@dataclasses.dataclass(frozen=True)
class Page:
    entries: list[Entry]
    # Pass as `before` for the next, older page; None on the last page.
    older_than: int | None


def page(
    engine: sqlalchemy.Engine,
    *,
    action: str | None = None,
    username: str | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Newest first, paged by id. `username` matches what the user did and sign-ins tried on their account."""
    limit = max(1, min(limit, PAGE_SIZE))
    query = (
        select(AuditEvent, User.username)
        .join(User, col(AuditEvent.actor_id) == User.id, isouter=True)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(col(AuditEvent.id) < before)
    if action:
        query = query.where(AuditEvent.action == action)
    with session(engine) as db:
        if username:
            name = username.strip().lower()
            user_id = db.exec(select(User.id).where(User.username == name)).first()
            if user_id is None:  # "actor_id == None" would match every event without an actor
                query = query.where(AuditEvent.target == name)
            else:
                query = query.where(or_(AuditEvent.target == name, AuditEvent.actor_id == user_id))
        rows = db.exec(query).all()
    entries = [
        Entry(
            id=event.id,
            at=event.created_at,
            action=event.action,
            actor=actor or "",
            target=event.target or "",
            detail=event.detail or "",
            address=event.address or "",
            times=event.times,
            old_value=event.old_value or "",
            new_value=event.new_value or "",
        )
        for event, actor in rows[:limit]
    ]
    return Page(entries=entries, older_than=entries[-1].id if len(rows) > limit else None)
