"""Who may see and add to a board, and who may see an image because of one.

A board is private (its owner only), shared with named people or groups (view, or view + add), or
visible to everyone signed in. A group's members see (and add to) what the group was given, as long as
they are in it. Every share and unshare is audited; so is a foreign view of a shared image.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy
from sqlmodel import Session, and_, col, exists, or_, select

from bildgen.auth import audit
from bildgen.i18n import N_
from bildgen.store.db import session, storage_errors
from bildgen.store.models import (
    Board,
    BoardGroup,
    BoardImage,
    BoardMember,
    BoardVisibility,
    Generation,
    GroupMember,
    Image,
    User,
    UserGroup,
)


def viewable(viewer_id: str):  # -> a SQL condition on Board
    """Boards `viewer_id` may look at: their own, those visible to everyone, those shared with them."""
    shared_with_viewer = exists().where(BoardMember.board_id == Board.id, BoardMember.user_id == viewer_id)
    return or_(
        Board.owner_id == viewer_id,
        Board.visibility == BoardVisibility.EVERYONE,
        and_(Board.visibility == BoardVisibility.SHARED, or_(shared_with_viewer, _shared_with_a_group_of(viewer_id))),
    )


def _shared_with_a_group_of(viewer_id: str, *, to_add: bool = False):  # -> a SQL condition on Board
    conditions = [BoardGroup.board_id == Board.id, GroupMember.group_id == BoardGroup.group_id]
    conditions.append(GroupMember.user_id == viewer_id)
    if to_add:
        conditions.append(col(BoardGroup.can_add).is_(True))
    return exists().where(*conditions)


def addable(viewer_id: str):  # -> a SQL condition on Board
    """Boards `viewer_id` may add their own images to: their own, and those shared with them to add."""
    may_add = exists().where(
        BoardMember.board_id == Board.id, BoardMember.user_id == viewer_id, col(BoardMember.can_add).is_(True)
    )
    return or_(
        Board.owner_id == viewer_id,
        and_(Board.visibility == BoardVisibility.SHARED, or_(may_add, _shared_with_a_group_of(viewer_id, to_add=True))),
    )


def viewable_board(engine: sqlalchemy.Engine, viewer_id: str, board_id: str) -> Board | None:
    with session(engine) as db:
        return db.exec(select(Board).where(Board.id == board_id, viewable(viewer_id))).first()


def viewable_image(engine: sqlalchemy.Engine, viewer_id: str, image_id: str) -> tuple[Image, Generation] | None:
    """The image and its recipe if it is the viewer's own or in a board the viewer may see."""
    in_a_viewable_board = exists().where(
        BoardImage.image_id == Image.id, BoardImage.board_id == Board.id, viewable(viewer_id)
    )
    with session(engine) as db:
        found = db.exec(
            select(Image, Generation)
            .join(Generation, Generation.id == Image.generation_id)
            .where(Image.id == image_id, or_(Image.owner_id == viewer_id, in_a_viewable_board))
        ).first()
        return (found[0], found[1]) if found else None


def record_foreign_view(engine: sqlalchemy.Engine, viewer_id: str, image: Image, address: str | None = None) -> None:
    """Someone else's image seen through a shared board: counted in the audit log (repeats count up)."""
    if image.owner_id != viewer_id:
        audit.record_repeated(
            engine, action=audit.SHARED_IMAGE_VIEWED, actor_id=viewer_id, target=f"image {image.id}", address=address
        )


def username_of(engine: sqlalchemy.Engine, user_id: str | None) -> str:
    """Whose a shared image is, as the viewer is shown it."""
    with session(engine) as db:
        return (db.exec(select(User.username).where(User.id == user_id)).first() or "") if user_id else ""


@dataclasses.dataclass(frozen=True)
class Member:
    user_id: str
    username: str
    can_add: bool


def members(engine: sqlalchemy.Engine, owner_id: str, board_id: str) -> list[Member]:
    """Whom the owner's board is shared with (nothing for a foreign board)."""
    with session(engine) as db:
        rows = db.exec(
            select(BoardMember, User.username)
            .join(User, User.id == BoardMember.user_id)
            .join(Board, Board.id == BoardMember.board_id)
            .where(BoardMember.board_id == board_id, Board.owner_id == owner_id)
            .order_by(User.username)
        ).all()
        return [Member(member.user_id, username, member.can_add) for member, username in rows]


class ShareRefused(ValueError):
    """Sharing cannot be done as asked; the message is for the user (untranslated msgid)."""


def set_visibility(
    engine: sqlalchemy.Engine, owner_id: str, board_id: str, visibility: str, *, address: str | None = None
) -> bool:
    """False for a foreign or missing board or an unknown visibility."""
    if visibility not in BoardVisibility.ALL:
        return False
    with storage_errors(), session(engine) as db:
        board = db.exec(select(Board).where(Board.id == board_id, Board.owner_id == owner_id)).first()
        if board is None:
            return False
        before, board.visibility = board.visibility, visibility
        db.add(board)
        db.commit()
    if before != visibility:
        audit.record(
            engine,
            action=audit.BOARD_SHARED if visibility != BoardVisibility.PRIVATE else audit.BOARD_UNSHARED,
            actor_id=owner_id,
            target=f"board {board_id}",
            detail=f"visibility {before} → {visibility}",
            address=address,
        )
    return True


def share(
    engine: sqlalchemy.Engine,
    owner_id: str,
    board_id: str,
    username: str,
    *,
    can_add: bool,
    address: str | None = None,
) -> Member | None:
    """Share the owner's board with one named person (the board becomes "shared" if it was private).
    None for a foreign or missing board; ShareRefused for an unknown name or the owner's own."""
    with storage_errors(), session(engine) as db:
        board = db.exec(select(Board).where(Board.id == board_id, Board.owner_id == owner_id)).first()
        if board is None:
            return None
        person = db.exec(
            select(User).where(User.username == username.strip().lower(), col(User.disabled).is_(False))
        ).first()
        if person is None:
            raise ShareRefused(N_("There is no account with that name."))
        if person.id == owner_id:
            raise ShareRefused(N_("The board is yours already."))
        member = db.get(BoardMember, (board_id, person.id)) or BoardMember(board_id=board_id, user_id=person.id)
        _open_to(db, board, member, can_add)
        shared = Member(person.id, person.username, can_add)
    _record(engine, audit.BOARD_SHARED, owner_id, board_id, f"{shared.username}: {_access(can_add)}", address)
    return shared


def unshare(
    engine: sqlalchemy.Engine, owner_id: str, board_id: str, user_id: str, *, address: str | None = None
) -> bool:
    """Take one person off the owner's board; False for a foreign board or someone not on it."""
    return _close_to(engine, owner_id, board_id, BoardMember, BoardMember.user_id == user_id, user_id, address)


# ---- sharing with groups ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroupShare:
    group_id: str
    name: str
    can_add: bool


def group_shares(engine: sqlalchemy.Engine, owner_id: str, board_id: str) -> list[GroupShare]:
    """Which groups the owner's board is shared with (nothing for a foreign board)."""
    with session(engine) as db:
        rows = db.exec(
            select(BoardGroup, UserGroup.name)
            .join(UserGroup, UserGroup.id == BoardGroup.group_id)
            .join(Board, Board.id == BoardGroup.board_id)
            .where(BoardGroup.board_id == board_id, Board.owner_id == owner_id)
            .order_by(UserGroup.name)
        ).all()
        return [GroupShare(share.group_id, name, share.can_add) for share, name in rows]


def share_with_group(
    engine: sqlalchemy.Engine,
    owner_id: str,
    board_id: str,
    group_id: str,
    *,
    can_add: bool,
    address: str | None = None,
) -> GroupShare | None:
    """Share the owner's board with a group (the board becomes "shared" if it was private). None for a
    foreign or missing board; ShareRefused for a group that does not exist."""
    with storage_errors(), session(engine) as db:
        board = db.exec(select(Board).where(Board.id == board_id, Board.owner_id == owner_id)).first()
        if board is None:
            return None
        group = db.get(UserGroup, str(group_id))
        if group is None:
            raise ShareRefused(N_("That group does not exist (any more)."))
        share = db.get(BoardGroup, (board_id, group.id)) or BoardGroup(board_id=board_id, group_id=group.id)
        _open_to(db, board, share, can_add)
        shared = GroupShare(group.id, group.name, can_add)
    _record(engine, audit.BOARD_SHARED, owner_id, board_id, f"group {shared.name}: {_access(can_add)}", address)
    return shared


def unshare_group(
    engine: sqlalchemy.Engine, owner_id: str, board_id: str, group_id: str, *, address: str | None = None
) -> bool:
    """Take a group off the owner's board; False for a foreign board or a group not on it."""
    return _close_to(
        engine, owner_id, board_id, BoardGroup, BoardGroup.group_id == group_id, f"group {group_id}", address
    )


# ---- what sharing with a person and with a group have in common ----------------------------------------


def _access(can_add: bool) -> str:
    return "view + add" if can_add else "view"


def _open_to(db: Session, board: Board, grant: BoardMember | BoardGroup, can_add: bool) -> None:
    """Stores a person's or a group's access to the board (a private board becomes shared)."""
    grant.can_add = can_add
    db.add(grant)
    if board.visibility == BoardVisibility.PRIVATE:
        board.visibility = BoardVisibility.SHARED
        db.add(board)
    db.commit()


def _close_to(
    engine: sqlalchemy.Engine,
    owner_id: str,
    board_id: str,
    grant_type: type[BoardMember] | type[BoardGroup],
    grantee: sqlalchemy.ColumnElement[bool],
    detail: str,
    address: str | None,
) -> bool:
    """Removes one access to the owner's board; False for a foreign board or an access it does not have."""
    with storage_errors(), session(engine) as db:
        grant = db.exec(
            select(grant_type)
            .join(Board, Board.id == grant_type.board_id)
            .where(grant_type.board_id == board_id, grantee, Board.owner_id == owner_id)
        ).first()
        if grant is None:
            return False
        db.delete(grant)
        db.commit()
    _record(engine, audit.BOARD_UNSHARED, owner_id, board_id, detail, address)
    return True


def _record(
    engine: sqlalchemy.Engine, action: str, owner_id: str, board_id: str, detail: str, address: str | None
) -> None:
    audit.record(engine, action=action, actor_id=owner_id, target=f"board {board_id}", detail=detail, address=address)
