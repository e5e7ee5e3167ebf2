"""What a person's groups allow: which model profiles, and how many images the group has left.

How the rules combine:
- **Models.** A group either leaves models alone (the default) or restricts its members to its list.
  Someone in no restricting group may use every model offered. Someone in one or more restricting
  groups may use the models any of those groups allows (the union of their lists); groups that do not
  restrict add nothing. A profile allowed also allows the profile it hands edits to (`edit_with`).
  Administrators are not exempt: an administrator in a restricting group is restricted too.
- **Quotas.** A group quota counts the images all its members made in the calendar day or month (UTC),
  as the personal quota counts one person's (saved images plus waiting and running variants). A new
  job must fit the personal quotas and every quota of every group its owner is in; the first that
  it would exceed refuses it, naming the group and when it refills. Where the general settings exempt
  administrators from quotas, that covers group quotas too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy
from sqlmodel import col, select

from bildgen.admin import settings as admin_settings
from bildgen.admin import usage
from bildgen.i18n import _
from bildgen.inference.profiles import ModelProfile
from bildgen.jobs.refusals import ModelNotAllowed
from bildgen.store.db import session
from bildgen.store.models import Generation, GroupMember, GroupModel, User, UserGroup


def allowed_profiles(
    engine: sqlalchemy.Engine, user_id: str, profiles: Mapping[str, ModelProfile] | None = None
) -> frozenset[str] | None:
    """The profile ids the user may use, or None for every one (no group of theirs restricts)."""
    with session(engine) as db:
        restricting = db.exec(
            select(UserGroup.id)
            .join(GroupMember, col(GroupMember.group_id) == UserGroup.id)
            .where(GroupMember.user_id == user_id, col(UserGroup.restricts_models).is_(True))
        ).all()
        if not restricting:
            return None
        allowed = set(db.exec(select(GroupModel.profile_id).where(col(GroupModel.group_id).in_(restricting))).all())
    for profile_id in list(allowed):
        editor = profiles[profile_id].edit_with if profiles and profile_id in profiles else None
        if editor:
            allowed.add(editor)
    return frozenset(allowed)


def may_use(allowed: frozenset[str] | None, profile_id: str) -> bool:
    return allowed is None or profile_id in allowed


def check_model(
    engine: sqlalchemy.Engine, user_id: str, profile_id: str, profiles: Mapping[str, ModelProfile] | None = None
) -> None:
    """Refuses (a SubmissionRefused naming the field "model") a profile none of the user's restricting groups allows."""
    if may_use(allowed_profiles(engine, user_id, profiles), profile_id):
        return
    label = profiles[profile_id].label if profiles and profile_id in profiles else profile_id
    raise ModelNotAllowed(
        _("Your groups do not allow {model}. Choose one of the models offered to you; nothing was sent.", model=label)
    )


# ---- group quotas --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroupQuota:
    group_id: str
    name: str
    period: str
    max_images: int
    used: int
    refills_at: datetime

    @property
    def left(self) -> int:
        return max(0, self.max_images - self.used)


def _members(group_id: str):  # -> a condition on Generation
    return col(Generation.owner_id).in_(select(GroupMember.user_id).where(GroupMember.group_id == group_id))


def group_quotas(engine: sqlalchemy.Engine, user_id: str, now: datetime | None = None) -> list[GroupQuota]:
    """The quota of every group the user is in that has one, with what its members used this period."""
    with session(engine) as db:
        groups = db.exec(
            select(UserGroup)
            .join(GroupMember, col(GroupMember.group_id) == UserGroup.id)
            .where(GroupMember.user_id == user_id, col(UserGroup.quota_period).is_not(None))
            .order_by(UserGroup.name)
        ).all()
    quotas = []
    for group in groups:
        start, end = usage.period_bounds(group.quota_period, now)
        used = usage.used_images_where(engine, _members(group.id), profile_id=None, start=start, end=end)
        quotas.append(GroupQuota(group.id, group.name, group.quota_period, group.quota_images or 0, used, end))
    return quotas


def _exempt(engine: sqlalchemy.Engine, user_id: str, general: admin_settings.GeneralSettings) -> bool:
    if not general.admins_exempt:
        return False
    with session(engine) as db:
        user = db.get(User, user_id)
    return user is not None and user.is_admin


def group_quota_exceeded(
    engine: sqlalchemy.Engine,
    *,
    owner_id: str,
    images: int,
    general: admin_settings.GeneralSettings,
    now: datetime | None = None,
) -> GroupQuota | None:
    """The group quota with the least left that `images` more would exceed, or None."""
    over = [quota for quota in group_quotas(engine, owner_id, now) if quota.used + images > quota.max_images]
    if not over or _exempt(engine, owner_id, general):
        return None
    return min(over, key=lambda quota: quota.left)


def refusal_message(quota: GroupQuota, *, images: int, now: datetime | None = None) -> str:
    """Why the group's quota refuses, what is left and when it refills, in the asker's language."""
    values = {
        "group": quota.name,
        "allowed": usage.images_text(quota.max_images),
        "left": quota.left,
        "asked": images,
        "refill": usage.refill_text(quota.refills_at, now),
    }
    if quota.left == 0:
        if quota.period == "day":
            return _("Your group {group} has used its {allowed} today. More from {refill}.", **values)
        return _("Your group {group} has used its {allowed} this month. More from {refill}.", **values)
    if quota.period == "day":
        return _(
            "Your group {group} has {left} of its {allowed} left today, fewer than the {asked} asked for: generate"
            " fewer, or wait until {refill}.",
            **values,
        )
    return _(
        "Your group {group} has {left} of its {allowed} left this month, fewer than the {asked} asked for:"
        " generate fewer, or wait until {refill}.",
        **values,
    )


# ---- what is left ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Allowance:
    """One quota that applies to the user: theirs (group "") or a group's, and what is left of it."""

    group: str
    profile_id: str | None
    period: str
    max_images: int
    used: int
    refills_at: datetime

    @property
    def left(self) -> int:
        return max(0, self.max_images - self.used)


def what_is_left(
    engine: sqlalchemy.Engine, user_id: str, general: admin_settings.GeneralSettings, now: datetime | None = None
) -> list[Allowance] | None:
    """Every personal and group quota that applies to the user with what is left; None when quotas do
    not apply to them (an exempt administrator)."""
    if _exempt(engine, user_id, general):
        return None
    left = []
    for rule in usage.rules(engine):
        start, end = usage.period_bounds(rule.period, now)
        used = usage.used_images(engine, user_id, profile_id=rule.profile_id, start=start, end=end)
        left.append(Allowance("", rule.profile_id, rule.period, rule.max_images, used, end))
    for quota in group_quotas(engine, user_id, now):
        left.append(Allowance(quota.name, None, quota.period, quota.max_images, quota.used, quota.refills_at))
    return left
