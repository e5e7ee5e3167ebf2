"""Groups as administrators manage them, and as single sign-on fills them.

- An administrator creates, renames and deletes groups and adds or removes people; a person may be in
  several groups.
- With single sign-on, every group the provider's groups claim names is joined at sign-in (made if it
  does not exist yet). A group made that way follows the claim: whoever the claim no longer names
  leaves it at their next sign-in. Groups an administrator made keep the members they were given.
- Every change is audited as an administrative change (before and after).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy
from sqlmodel import Session, col, func, select

from bildgen.admin import usage
from bildgen.auth import audit
from bildgen.i18n import N_, _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import BoardGroup, GroupMember, GroupModel, User, UserGroup

MAX_NAME = 80


class GroupRefused(ValueError):
    """A change that may not be made; the message (in the asker's language) says why."""


@dataclasses.dataclass(frozen=True)
class GroupInfo:
    id: str
    name: str
    from_claim: bool
    members: list[str]  # usernames, sorted
    restricts_models: bool
    models: list[str]  # profile ids a restricting group allows, sorted
    quota_period: str | None
    quota_images: int | None


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise GroupRefused(_("Give the group a name."))
    if len(cleaned) > MAX_NAME:
        raise GroupRefused(_("A group's name has at most {count} characters.", count=MAX_NAME))
    return cleaned


def _named(db: Session, name: str) -> UserGroup | None:
    return db.exec(select(UserGroup).where(func.lower(UserGroup.name) == name.lower())).first()


def _describe(group: UserGroup, db: Session) -> dict:
    members = db.exec(
        select(User.username)
        .join(GroupMember, col(GroupMember.user_id) == User.id)
        .where(GroupMember.group_id == group.id)
    ).all()
    models = db.exec(select(GroupModel.profile_id).where(GroupModel.group_id == group.id)).all()
    return {
        "name": group.name,
        "members": sorted(members),
        "models": sorted(models) if group.restricts_models else "all",
        "quota": f"{group.quota_images} per {group.quota_period}" if group.quota_period else None,
    }


def _audited(db: Session, group: UserGroup, *, actor_id: str, detail: str, old, address: str | None) -> None:
    db.add(
        audit.change(
            action=audit.GROUP_CHANGED,
            actor_id=actor_id,
            target=f"group {group.id}",
            detail=detail,
            old=old,
            new=_describe(group, db) if detail != N_("deleted") else None,
            address=address,
        )
    )


def list_groups(engine: sqlalchemy.Engine) -> list[GroupInfo]:
    with session(engine) as db:
        groups = db.exec(select(UserGroup).order_by(func.lower(UserGroup.name))).all()
        members: dict[str, list[str]] = {}
        for group_id, username in db.exec(
            select(GroupMember.group_id, User.username).join(User, User.id == GroupMember.user_id)
        ).all():
            members.setdefault(group_id, []).append(username)
        models: dict[str, list[str]] = {}
        for group_id, profile_id in db.exec(select(GroupModel.group_id, GroupModel.profile_id)).all():
            models.setdefault(group_id, []).append(profile_id)
    return [
        GroupInfo(
            id=group.id,
            name=group.name,
            from_claim=group.from_claim,
            members=sorted(members.get(group.id, [])),
            restricts_models=group.restricts_models,
            models=sorted(models.get(group.id, [])),
            quota_period=group.quota_period,
            quota_images=group.quota_images,
        )
        for group in groups
    ]


def names(engine: sqlalchemy.Engine) -> list[tuple[str, str]]:
    """(id, name) of every group, by name: what the sharing dialog offers."""
    with session(engine) as db:
        return [
            tuple(row) for row in db.exec(select(UserGroup.id, UserGroup.name).order_by(func.lower(UserGroup.name)))
        ]


def groups_of(engine: sqlalchemy.Engine, user_id: str) -> list[UserGroup]:
    with session(engine) as db:
        return list(
            db.exec(
                select(UserGroup)
                .join(GroupMember, col(GroupMember.group_id) == UserGroup.id)
                .where(GroupMember.user_id == user_id)
                .order_by(func.lower(UserGroup.name))
            ).all()
        )


def create(engine: sqlalchemy.Engine, name: str, *, actor_id: str, address: str | None = None) -> UserGroup:
    name = _clean_name(name)
    with storage_errors(), session(engine) as db:
        if _named(db, name) is not None:
            raise GroupRefused(_("There is a group with that name already."))
        group = UserGroup(name=name)
        db.add(group)
        db.flush()
        _audited(db, group, actor_id=actor_id, detail=N_("created"), old=None, address=address)
        db.commit()
    return group


def _change(
    engine: sqlalchemy.Engine, group_id: str, change, *, actor_id: str, detail: str, address: str | None
) -> None:
    """Run `change(db, group)` on an existing group and audit it, in one transaction."""
    with storage_errors(), session(engine) as db:
        group = db.get(UserGroup, group_id)
        if group is None:
            raise GroupRefused(_("That group does not exist (any more)."))
        before = _describe(group, db)
        change(db, group)
        db.add(group)
        db.flush()
        _audited(db, group, actor_id=actor_id, detail=detail, old=before, address=address)
        db.commit()


def rename(engine: sqlalchemy.Engine, group_id: str, name: str, *, actor_id: str, address: str | None = None) -> None:
    name = _clean_name(name)

    def change(db: Session, group: UserGroup) -> None:
        other = _named(db, name)
        if other is not None and other.id != group.id:
            raise GroupRefused(_("There is a group with that name already."))
        group.name = name

    _change(engine, group_id, change, actor_id=actor_id, detail=N_("renamed"), address=address)


def delete(engine: sqlalchemy.Engine, group_id: str, *, actor_id: str, address: str | None = None) -> None:
    """The group, its memberships, its allow-list and its boards' shares with it; nobody's images."""

    def change(db: Session, group: UserGroup) -> None:
        for table in (GroupMember, GroupModel, BoardGroup):
            db.exec(sqlalchemy.delete(table).where(table.group_id == group.id))

    with storage_errors(), session(engine) as db:
        group = db.get(UserGroup, group_id)
        if group is None:
            return
        before = _describe(group, db)
        change(db, group)
        db.flush()
        db.delete(group)
        _audited(db, group, actor_id=actor_id, detail=N_("deleted"), old=before, address=address)
        db.commit()


def add_member(
    engine: sqlalchemy.Engine, group_id: str, username: str, *, actor_id: str, address: str | None = None
) -> str:
    """Add the account named `username`; its stored name."""
    wanted = str(username or "").strip().lower()
    found: list[str] = []

    def change(db: Session, group: UserGroup) -> None:
        person = db.exec(select(User).where(User.username == wanted)).first()
        if person is None:
            raise GroupRefused(_("There is no account with that name."))
        if db.get(GroupMember, (group.id, person.id)) is None:
            db.add(GroupMember(group_id=group.id, user_id=person.id))
        found.append(person.username)

    _change(engine, group_id, change, actor_id=actor_id, detail=N_("member added"), address=address)
    return found[0]


def remove_member(
    engine: sqlalchemy.Engine, group_id: str, username: str, *, actor_id: str, address: str | None = None
) -> None:
    def change(db: Session, group: UserGroup) -> None:
        person_id = db.exec(select(User.id).where(User.username == str(username).strip().lower())).first()
        member = db.get(GroupMember, (group.id, person_id)) if person_id else None
        if member is not None:
            db.delete(member)

    _change(engine, group_id, change, actor_id=actor_id, detail=N_("member removed"), address=address)


def set_models(
    engine: sqlalchemy.Engine,
    group_id: str,
    *,
    restricts: bool,
    profile_ids: Iterable[str],
    known: Iterable[str],
    actor_id: str,
    address: str | None = None,
) -> None:
    """Restrict the group to `profile_ids` (of the `known` profiles), or lift its restriction."""
    known_ids = set(known)
    chosen = sorted({str(profile) for profile in profile_ids} & known_ids) if restricts else []

    def change(db: Session, group: UserGroup) -> None:
        group.restricts_models = restricts
        db.exec(sqlalchemy.delete(GroupModel).where(GroupModel.group_id == group.id))
        db.add_all(GroupModel(group_id=group.id, profile_id=profile) for profile in chosen)

    _change(engine, group_id, change, actor_id=actor_id, detail=N_("models changed"), address=address)


def set_quota(
    engine: sqlalchemy.Engine,
    group_id: str,
    *,
    period: str | None,
    max_images: int | None,
    actor_id: str,
    address: str | None = None,
) -> None:
    """At most `max_images` per day or month for all members together; period None: no group quota."""
    if period is not None:
        if period not in usage.PERIODS:
            raise GroupRefused(_("Choose a day or a month."))
        if not isinstance(max_images, int) or not 0 <= max_images <= usage.MAX_QUOTA:
            raise GroupRefused(_("The number of images is a whole number from 0 to {max}.", max=usage.MAX_QUOTA))

    def change(db: Session, group: UserGroup) -> None:
        group.quota_period = period
        group.quota_images = max_images if period is not None else None

    _change(engine, group_id, change, actor_id=actor_id, detail=N_("quota changed"), address=address)


def join_claimed(engine: sqlalchemy.Engine, user_id: str, claimed: Iterable[str]) -> None:
    """At a single sign-on: the person joins every group the claim names (made if missing) and leaves
    the claim's groups it no longer names. Groups an administrator made keep their other members."""
    wanted: dict[str, str] = {}
    for name in claimed:
        cleaned = " ".join(str(name).split())[:MAX_NAME]
        if cleaned:
            wanted.setdefault(cleaned.lower(), cleaned)
    with storage_errors(), session(engine) as db:
        current = {
            group.name.lower(): group
            for group in db.exec(
                select(UserGroup)
                .join(GroupMember, col(GroupMember.group_id) == UserGroup.id)
                .where(GroupMember.user_id == user_id)
            ).all()
        }
        for key, group in current.items():
            if group.from_claim and key not in wanted:
                db.delete(db.get(GroupMember, (group.id, user_id)))
        for key, name in wanted.items():
            if key in current:
                continue
            group = _named(db, name)
            if group is None:
                group = UserGroup(name=name, from_claim=True)
                db.add(group)
                db.flush()
            db.add(GroupMember(group_id=group.id, user_id=user_id))
        db.commit()
