"""Expiring view-only links to one board or one image, for someone without an account.

Off unless an administrator switches them on (Admin → Overview; admin.settings `view_links_enabled`).
The owner makes a link with a lifetime, sees their links and revokes them. The token is shown once,
when it is made; only its SHA-256 is stored, so a database leak opens no link. Every use is checked
here again (the switch, the token, expiry, revocation, the owner's account, the board or image still
being theirs): switching links off, revoking one or deleting the board stops it at the next request.

A board's link shows the owner's own images in that board, never images colleagues added to it, and
never any other image of the owner's. Made, revoked and opened links are recorded in the audit log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy
from sqlmodel import col, select

from bildgen.admin import settings
from bildgen.auth import audit
from bildgen.i18n import N_
from bildgen.store.db import session, storage_errors
from bildgen.store.models import Board, BoardImage, Generation, Image, User, ViewLink, utc_now

# The lifetimes an owner chooses from, in days.
LIFETIMES_DAYS = (1, 7, 30)
TOKEN_PATTERN_LENGTH = 43  # secrets.token_urlsafe(32)
PAGE_SIZE = 60


class LinkRefused(ValueError):
    """A link cannot be made as asked; the message is for the user (untranslated msgid)."""


class Closed:
    """Why a link opens nothing; each is a page of its own for the visitor (never a stack trace)."""

    SWITCHED_OFF = "switched-off"  # the administrator turned view-only links off
    UNKNOWN = "unknown"  # no such link (a typo, or its board or image was deleted)
    EXPIRED = "expired"
    REVOKED = "revoked"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class LinkSummary:
    """One of the owner's links, as their list shows it (never the token)."""

    id: str
    created_at: datetime
    expires_at: datetime
    revoked: bool
    expired: bool


@dataclasses.dataclass(frozen=True)
class OpenLink:
    """A link that works right now: what it shows, and whose it is."""

    id: str
    owner_id: str
    owner_name: str
    board_id: str | None
    board_name: str
    image_id: str | None
    expires_at: datetime


def enabled(engine: sqlalchemy.Engine) -> bool:
    return settings.read(engine).view_links_enabled


def _summary(link: ViewLink, now: datetime) -> LinkSummary:
    return LinkSummary(link.id, link.created_at, link.expires_at, link.revoked_at is not None, link.expires_at <= now)


def create(
    engine: sqlalchemy.Engine,
    owner_id: str,
    *,
    board_id: str | None = None,
    image_id: str | None = None,
    days: int,
    address: str | None = None,
    now: datetime | None = None,
) -> tuple[str, LinkSummary] | None:
    """A new link to the owner's board or image: (the token, shown once; its summary). None for a board
    or image that is not theirs; LinkRefused while links are switched off or for another lifetime."""
    if (board_id is None) == (image_id is None):
        raise ValueError("a link shows one board or one image")
    if days not in LIFETIMES_DAYS:
        raise LinkRefused(N_("Choose how long the link works: 1, 7 or 30 days."))
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    with storage_errors():
        switched_on = enabled(engine)
    if not switched_on:
        raise LinkRefused(N_("View-only links are switched off by the administrator."))
    with storage_errors(), session(engine) as db:
        if board_id is not None:
            mine = db.exec(select(Board.id).where(Board.id == board_id, Board.owner_id == owner_id)).first()
        else:
            mine = db.exec(select(Image.id).where(Image.id == image_id, Image.owner_id == owner_id)).first()
        if mine is None:
            return None
        link = ViewLink(
            owner_id=owner_id,
            board_id=board_id,
            image_id=image_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        db.add(link)
        db.commit()
        db.refresh(link)
        summary = _summary(link, now)
    audit.record(
        engine,
        action=audit.VIEW_LINK_CREATED,
        actor_id=owner_id,
        target=f"board {board_id}" if board_id else f"image {image_id}",
        detail=f"link {summary.id}, {days} days",
        address=address,
    )
    return token, summary


def links_of(
    engine: sqlalchemy.Engine,
    owner_id: str,
    *,
    board_id: str | None = None,
    image_id: str | None = None,
    now: datetime | None = None,
) -> list[LinkSummary]:
    """The owner's links to this board or image, newest first (revoked and expired ones too)."""
    now = now or utc_now()
    query = select(ViewLink).where(ViewLink.owner_id == owner_id)
    query = query.where(ViewLink.board_id == board_id) if board_id else query.where(ViewLink.image_id == image_id)
    with session(engine) as db:
        return [_summary(link, now) for link in db.exec(query.order_by(col(ViewLink.created_at).desc())).all()]


def revoke(engine: sqlalchemy.Engine, owner_id: str, link_id: str, *, address: str | None = None) -> bool:
    """The link stops working at once; False for another owner's link or one revoked already."""
    with storage_errors(), session(engine) as db:
        link = db.exec(
            select(ViewLink).where(
                ViewLink.id == link_id, ViewLink.owner_id == owner_id, col(ViewLink.revoked_at).is_(None)
            )
        ).first()
        if link is None:
            return False
        link.revoked_at = utc_now()
        db.add(link)
        db.commit()
    audit.record(engine, action=audit.VIEW_LINK_REVOKED, actor_id=owner_id, target=f"link {link_id}", address=address)
    return True


def resolve(engine: sqlalchemy.Engine, token: str, *, now: datetime | None = None) -> OpenLink | str:
    """The link this token opens, or why it opens nothing (a `Closed` value). Checked on every request."""
    now = now or utc_now()
    if not enabled(engine):
        return Closed.SWITCHED_OFF
    if not token or len(token) > 2 * TOKEN_PATTERN_LENGTH:
        return Closed.UNKNOWN
    with session(engine) as db:
        row = db.exec(
            select(ViewLink, User)
            .join(User, User.id == ViewLink.owner_id)
            .where(ViewLink.token_hash == token_hash(token))
        ).first()
        if row is None:
            return Closed.UNKNOWN
        link, owner = row
        if link.revoked_at is not None:
            return Closed.REVOKED
        if link.expires_at <= now:
            return Closed.EXPIRED
        if owner.disabled:
            return Closed.UNKNOWN
        board_name = ""
        if link.board_id is not None:
            board = db.exec(select(Board).where(Board.id == link.board_id, Board.owner_id == link.owner_id)).first()
            if board is None:
                return Closed.UNKNOWN
            board_name = board.name
        elif (
            db.exec(select(Image.id).where(Image.id == link.image_id, Image.owner_id == link.owner_id)).first() is None
        ):
            return Closed.UNKNOWN
        return OpenLink(
            link.id, link.owner_id, owner.username, link.board_id, board_name, link.image_id, link.expires_at
        )


def _shown(link: OpenLink):  # -> a SQL condition on Image
    """The images a link shows: the one image, or the owner's own images in the board."""
    if link.image_id is not None:
        return (Image.id == link.image_id) & (Image.owner_id == link.owner_id)
    in_board = select(BoardImage.image_id).where(BoardImage.board_id == link.board_id)
    return col(Image.id).in_(in_board) & (Image.owner_id == link.owner_id)


def images(engine: sqlalchemy.Engine, link: OpenLink, *, limit: int = PAGE_SIZE, before: str = "") -> list[Image]:
    """The link's images newest first; `before` (an image id shown) pages on to older ones."""
    query = select(Image).where(_shown(link))
    with session(engine) as db:
        if before:
            edge = db.exec(select(Image).where(Image.id == before, _shown(link))).first()
            if edge is None:
                return []
            query = query.where(
                (Image.created_at < edge.created_at) | ((Image.created_at == edge.created_at) & (Image.id < edge.id))
            )
        return list(db.exec(query.order_by(col(Image.created_at).desc(), col(Image.id).desc()).limit(limit)).all())


def image(engine: sqlalchemy.Engine, link: OpenLink, image_id: str) -> tuple[Image, Generation] | None:
    """One image the link shows, with its recipe; None for any other image (the owner's others too)."""
    with session(engine) as db:
        found = db.exec(
            select(Image, Generation)
            .join(Generation, Generation.id == Image.generation_id)
            .where(Image.id == image_id, _shown(link))
        ).first()
        return (found[0], found[1]) if found else None


def record_opened(engine: sqlalchemy.Engine, link: OpenLink, address: str | None) -> None:
    """A page or full image seen through the link; repeats from one address count up one entry."""
    audit.record_repeated(engine, action=audit.VIEW_LINK_OPENED, target=f"link {link.id}", address=address)
