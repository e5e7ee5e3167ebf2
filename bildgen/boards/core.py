"""Making, renaming, archiving and deleting boards; putting images into them and taking them out.

An image may be in several boards. Deleting a board keeps its images; deleting an image takes it
out of every board (store/gallery.delete_image).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy
from sqlmodel import Session, col, func, select

from bildgen.boards.sharing import addable, viewable
from bildgen.i18n import N_
from bildgen.store.db import session, storage_errors
from bildgen.store.models import Board, BoardGroup, BoardImage, BoardMember, Generation, Image, User, ViewLink

NAME_MAX = 80
# What one bulk action touches at most (the gallery's "select all" of 50k images goes in chunks).
CHUNK = 500


class BoardRefused(ValueError):
    """The board cannot be made or changed as asked; the message is for the user (untranslated msgid)."""


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())[:NAME_MAX]
    if not cleaned:
        raise BoardRefused(N_("A board needs a name."))
    return cleaned


def _own(db: Session, owner_id: str, board_id: str) -> Board | None:
    return db.exec(select(Board).where(Board.id == board_id, Board.owner_id == owner_id)).first()


def create(engine: sqlalchemy.Engine, owner_id: str, name: str) -> Board:
    board = Board(owner_id=owner_id, name=_clean_name(name))
    with storage_errors(), session(engine) as db:
        db.add(board)
        db.commit()
        db.refresh(board)
    return board


def rename(engine: sqlalchemy.Engine, owner_id: str, board_id: str, name: str) -> bool:
    cleaned = _clean_name(name)
    with storage_errors(), session(engine) as db:
        board = _own(db, owner_id, board_id)
        if board is None:
            return False
        board.name = cleaned
        db.add(board)
        db.commit()
        return True


def set_archived(engine: sqlalchemy.Engine, owner_id: str, board_id: str, archived: bool) -> bool:
    """An archived board leaves the lists and stops taking new images; its images stay in it."""
    with storage_errors(), session(engine) as db:
        board = _own(db, owner_id, board_id)
        if board is None:
            return False
        board.archived = archived
        board.auto_add = board.auto_add and not archived
        db.add(board)
        db.commit()
        return True


def delete(engine: sqlalchemy.Engine, owner_id: str, board_id: str) -> bool:
    """The board, its memberships, shares and view-only links go; its images stay in the owner's gallery."""
    with storage_errors(), session(engine) as db:
        board = _own(db, owner_id, board_id)
        if board is None:
            return False
        db.exec(sqlalchemy.delete(BoardImage).where(BoardImage.board_id == board_id))
        db.exec(sqlalchemy.delete(BoardMember).where(BoardMember.board_id == board_id))
        db.exec(sqlalchemy.delete(ViewLink).where(ViewLink.board_id == board_id))
        db.exec(sqlalchemy.delete(BoardGroup).where(BoardGroup.board_id == board_id))
        db.delete(board)
        db.commit()
        return True


def set_auto_add(engine: sqlalchemy.Engine, owner_id: str, board_id: str | None) -> bool:
    """ "New images go to": this board of the owner's (None: nowhere). False for a foreign or archived board."""
    with storage_errors(), session(engine) as db:
        target = _own(db, owner_id, board_id) if board_id else None
        if board_id and (target is None or target.archived):
            return False
        for board in db.exec(select(Board).where(Board.owner_id == owner_id, col(Board.auto_add).is_(True))).all():
            board.auto_add = False
            db.add(board)
        if target is not None:
            target.auto_add = True
            db.add(target)
        db.commit()
        return True


@dataclasses.dataclass(frozen=True)
class BoardSummary:
    id: str
    name: str
    owner_name: str
    mine: bool
    can_add: bool
    archived: bool
    auto_add: bool
    visibility: str
    count: int


def boards_for(engine: sqlalchemy.Engine, viewer_id: str, *, archived: bool = False) -> list[BoardSummary]:
    """The viewer's own boards, then those others share with them, each with its number of images."""
    counts = select(BoardImage.board_id, func.count().label("n")).group_by(col(BoardImage.board_id)).subquery("counts")
    with session(engine) as db:
        may_add = {row for row in db.exec(select(Board.id).where(addable(viewer_id))).all()}
        rows = db.exec(
            select(Board, User.username, func.coalesce(counts.c.n, 0))
            .join(User, User.id == Board.owner_id)
            .outerjoin(counts, counts.c.board_id == Board.id)
            .where(viewable(viewer_id), Board.archived == archived)
            .order_by((Board.owner_id != viewer_id), func.lower(Board.name), Board.id)
        ).all()
        return [
            BoardSummary(
                id=board.id,
                name=board.name,
                owner_name=username,
                mine=board.owner_id == viewer_id,
                can_add=board.id in may_add,
                archived=board.archived,
                auto_add=board.auto_add,
                visibility=board.visibility,
                count=count,
            )
            for board, username, count in rows
        ]


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(str(item) for item in ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def add_images(engine: sqlalchemy.Engine, actor_id: str, board_id: str, image_ids: Iterable[str]) -> int | None:
    """Put the actor's own images (others' ids are skipped) into a board they may add to.
    How many were added (those already in it do not count); None when the board is not theirs to add to."""
    added = 0
    with storage_errors(), session(engine) as db:
        board = db.exec(select(Board).where(Board.id == board_id, addable(actor_id))).first()
        if board is None or board.archived:
            return None
        for chunk in _chunks(image_ids):
            present = set(
                db.exec(
                    select(BoardImage.image_id).where(
                        BoardImage.board_id == board_id, col(BoardImage.image_id).in_(chunk)
                    )
                ).all()
            )
            for image_id, created_at in db.exec(
                select(Image.id, Image.created_at).where(col(Image.id).in_(chunk), Image.owner_id == actor_id)
            ).all():
                if image_id not in present:
                    db.add(BoardImage(board_id=board_id, image_id=image_id, image_created_at=created_at))
                    added += 1
        db.commit()
    return added


def remove_images(engine: sqlalchemy.Engine, actor_id: str, board_id: str, image_ids: Iterable[str]) -> int | None:
    """Take images out of a board: any of them from the actor's own board, only their own from a shared one."""
    removed = 0
    with storage_errors(), session(engine) as db:
        board = db.exec(select(Board).where(Board.id == board_id, addable(actor_id))).first()
        if board is None:
            return None
        for chunk in _chunks(image_ids):
            query = sqlalchemy.delete(BoardImage).where(
                BoardImage.board_id == board_id, col(BoardImage.image_id).in_(chunk)
            )
            if board.owner_id != actor_id:
                query = query.where(col(BoardImage.image_id).in_(select(Image.id).where(Image.owner_id == actor_id)))
            removed += db.exec(query).rowcount
        db.commit()
    return removed


def move_images(
    engine: sqlalchemy.Engine, actor_id: str, to_board_id: str, image_ids: Iterable[str], *, from_board_id: str = ""
) -> int | None:
    """Move: into `to_board_id`, out of `from_board_id` (or, without one, out of the actor's other boards)."""
    ids = list(image_ids)
    added = add_images(engine, actor_id, to_board_id, ids)
    if added is None:
        return None
    with storage_errors(), session(engine) as db:
        sources = (
            [from_board_id]
            if from_board_id
            else list(db.exec(select(Board.id).where(Board.owner_id == actor_id, Board.id != to_board_id)).all())
        )
    for source in sources:
        if source != to_board_id:
            remove_images(engine, actor_id, source, ids)
    return len(ids)


def boards_of_image(engine: sqlalchemy.Engine, viewer_id: str, image_id: str) -> list[str]:
    """The ids of the boards the image is in that the viewer may see."""
    with session(engine) as db:
        return list(
            db.exec(
                select(Board.id)
                .join(BoardImage, BoardImage.board_id == Board.id)
                .where(BoardImage.image_id == image_id, viewable(viewer_id))
            ).all()
        )


def set_image_boards(engine: sqlalchemy.Engine, owner_id: str, image_id: str, board_ids: Iterable[str]) -> bool:
    """The lightbox's board picker: the owner's image is in exactly these of the boards they may add to
    (boards they may not add to are left as they are). False for a foreign or missing image."""
    wanted = {str(item) for item in board_ids}
    with storage_errors(), session(engine) as db:
        if db.exec(select(Image.id).where(Image.id == image_id, Image.owner_id == owner_id)).first() is None:
            return False
        allowed = set(db.exec(select(Board.id).where(addable(owner_id), col(Board.archived).is_(False))).all())
        current = set(
            db.exec(
                select(BoardImage.board_id).where(
                    BoardImage.image_id == image_id, col(BoardImage.board_id).in_(allowed)
                )
            ).all()
        )
    for board_id in (wanted & allowed) - current:
        add_images(engine, owner_id, board_id, [image_id])
    for board_id in current - wanted:
        remove_images(engine, owner_id, board_id, [image_id])
    return True


def file_new_image(db: Session, image: Image, generation: Generation) -> None:
    """Where images are recorded (every way: studio, batch, API, spool): put a new image into the board
    its request named, if its owner may add to it, else into the owner's auto-add board. Not committed."""
    if image.owner_id is None:
        return
    target = None
    if generation.board_id:
        target = db.exec(
            select(Board.id).where(
                Board.id == generation.board_id, addable(image.owner_id), col(Board.archived).is_(False)
            )
        ).first()
    if target is None:
        target = db.exec(
            select(Board.id).where(Board.owner_id == image.owner_id, col(Board.auto_add).is_(True))
        ).first()
    if target is not None:
        db.add(BoardImage(board_id=target, image_id=image.id, image_created_at=image.created_at))


def own_board_named(engine: sqlalchemy.Engine, owner_id: str, name_or_id: str) -> str | None:
    """An API request's `board`: the id of the owner's (unarchived) board with that id or name."""
    with session(engine) as db:
        return db.exec(
            select(Board.id)
            .where(Board.owner_id == owner_id, col(Board.archived).is_(False))
            .where((Board.id == name_or_id) | (func.lower(Board.name) == name_or_id.strip().lower()))
            .order_by(Board.created_at)
        ).first()
