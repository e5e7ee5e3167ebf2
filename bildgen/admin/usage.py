"""Usage and quotas: what each user and each profile generated in a month (images, GPU-seconds,
failures, the estimated cost), and optional limits of images per user and day or month.

- GPU-seconds are the generation timings bildgen measures per image (from sending the request to
  having the file saved), so they include the network and waiting at the server.
- The estimated cost is images × the profile's `cost_per_image`, set by the administrator.
- A quota counts a user's saved images in the period, plus the variants of their jobs still waiting
  or running (so a queue cannot be filled past it); failed and cancelled variants do not count.
  Periods are calendar days and months in UTC. The queue's admission check enforces them;
  administrators are exempt only where the general settings say so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy
from sqlmodel import col, func, select

from bildgen import i18n
from bildgen.admin import settings as admin_settings
from bildgen.auth import audit
from bildgen.i18n import N_, _, ngettext
from bildgen.inference.profiles import ModelProfile
from bildgen.store.db import session, storage_errors
from bildgen.store.models import Generation, GenerationStatus, Image, QuotaRule, User

PERIODS = {"day": N_("per day"), "month": N_("per month")}
MAX_QUOTA = 1_000_000
# Variants that ended without an image and count as failures (cancelled ones do not).
_FAILED_STATES = (GenerationStatus.PARTIAL, GenerationStatus.FAILED, GenerationStatus.INTERRUPTED)


class QuotaRefused(ValueError):
    """A quota rule that cannot be stored; the message says why."""


def period_bounds(period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The calendar day or month (UTC) that contains `now`: its start, and when the next begins."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if period == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    )
    return start, following


# ---- usage -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UsageLine:
    key: str  # a username or a profile id
    label: str
    images: int
    gpu_seconds: float
    failures: int
    # images × cost per image, where the profiles used have a cost set; None where none has.
    cost: float | None


@dataclasses.dataclass(frozen=True)
class Usage:
    start: datetime
    end: datetime
    by_user: list[UsageLine]
    by_profile: list[UsageLine]

    @property
    def total_cost(self) -> float | None:
        costs = [line.cost for line in self.by_user if line.cost is not None]
        return sum(costs) if costs else None


def _cost(images_per_profile: Mapping[str, int], profiles: Mapping[str, ModelProfile]) -> float | None:
    costs = [
        count * profiles[profile_id].cost_per_image
        for profile_id, count in images_per_profile.items()
        if profile_id in profiles and profiles[profile_id].cost_per_image is not None
    ]
    return round(sum(costs), 6) if costs else None


def usage(engine: sqlalchemy.Engine, *, start: datetime, end: datetime, profiles: Mapping[str, ModelProfile]) -> Usage:
    """What was generated in [start, end), per user and per profile, most images first."""
    in_period = (Generation.created_at >= start, Generation.created_at < end)
    with session(engine) as db:
        saved = db.exec(
            select(
                Generation.owner_id,
                Generation.model_profile,
                func.count(col(Image.id)),
                func.coalesce(func.sum(Image.generation_ms), 0),
            )
            .join(Image, col(Image.generation_id) == Generation.id)
            .where(*in_period)
            .group_by(col(Generation.owner_id), col(Generation.model_profile))
        ).all()
        images_per_job = (
            select(Image.generation_id, func.count(col(Image.id)).label("saved"))
            .group_by(col(Image.generation_id))
            .subquery()
        )
        failed = db.exec(
            select(
                Generation.owner_id,
                Generation.model_profile,
                func.sum(Generation.variant_count - func.coalesce(images_per_job.c.saved, 0)),
            )
            .join(images_per_job, images_per_job.c.generation_id == Generation.id, isouter=True)
            .where(*in_period, col(Generation.status).in_(_FAILED_STATES))
            .group_by(col(Generation.owner_id), col(Generation.model_profile))
        ).all()
        names = dict(db.exec(select(User.id, User.username)).all())
    cells: dict[tuple[str | None, str], list[float]] = {}
    for owner, profile, images, milliseconds in saved:
        cells.setdefault((owner, profile), [0, 0.0, 0])[:2] = [images, milliseconds / 1000]
    for owner, profile, failures in failed:
        cells.setdefault((owner, profile), [0, 0.0, 0])[2] = int(failures or 0)
    by_user = _lines(cells, 0, lambda owner: names.get(owner, "a deleted account"), profiles)
    by_profile = _lines(cells, 1, lambda key: profiles[key].label if key in profiles else key, profiles)
    return Usage(start, end, by_user, by_profile)


@dataclasses.dataclass(frozen=True)
class Activity:
    """The overview's summary: the queue now, and images made today (UTC) and in the last 7 days."""

    waiting: int
    running: int
    images_today: int
    people_today: int
    images_week: int
    people_week: int


def activity(engine: sqlalchemy.Engine, *, now: datetime | None = None) -> Activity:
    now = now or datetime.now(UTC)
    today, _end = period_bounds("day", now)
    week = now - timedelta(days=7)
    with session(engine) as db:
        jobs = dict(
            db.exec(
                select(Generation.status, func.count(col(Generation.id)))
                .where(col(Generation.status).in_(GenerationStatus.ACTIVE))
                .group_by(col(Generation.status))
            ).all()
        )

        def made_since(start: datetime) -> tuple[int, int]:
            images, people = db.exec(
                select(func.count(col(Image.id)), func.count(func.distinct(Image.owner_id))).where(
                    Image.created_at >= start, Image.created_at <= now
                )
            ).one()
            return int(images), int(people)

        images_today, people_today = made_since(today)
        images_week, people_week = made_since(week)
    return Activity(
        waiting=jobs.get(GenerationStatus.QUEUED, 0),
        running=jobs.get(GenerationStatus.RUNNING, 0),
        images_today=images_today,
        people_today=people_today,
        images_week=images_week,
        people_week=people_week,
    )


def _lines(cells, axis: int, label, profiles: Mapping[str, ModelProfile]) -> list[UsageLine]:  # type: ignore[no-untyped-def]
    """One line per user (axis 0) or per profile (axis 1) from the (owner, profile) cells."""
    grouped: dict[str | None, dict[tuple[str | None, str], list[float]]] = {}
    for key, values in cells.items():
        grouped.setdefault(key[axis], {})[key] = values
    lines = []
    for key, group in grouped.items():
        images_per_profile: dict[str, int] = {}
        for (_owner, profile), values in group.items():
            images_per_profile[profile] = images_per_profile.get(profile, 0) + int(values[0])
        lines.append(
            UsageLine(
                key=str(key or ""),
                label=label(key),
                images=int(sum(values[0] for values in group.values())),
                gpu_seconds=round(sum(values[1] for values in group.values()), 1),
                failures=int(sum(values[2] for values in group.values())),
                cost=_cost(images_per_profile, profiles),
            )
        )
    return sorted(lines, key=lambda line: (-line.images, line.label))


# ---- quotas ----------------------------------------------------------------------------------------


def rules(engine: sqlalchemy.Engine) -> list[QuotaRule]:
    with session(engine) as db:
        return list(db.exec(select(QuotaRule).order_by(col(QuotaRule.id))).all())


def _describe(rule: QuotaRule, profiles: Mapping[str, ModelProfile]) -> dict:
    profile = rule.profile_id
    return {
        "profile": (profiles[profile].label if profile in profiles else profile) if profile else "all profiles",
        "period": rule.period,
        "max_images": rule.max_images,
    }


def add_rule(
    engine: sqlalchemy.Engine,
    *,
    profile_id: str | None,
    period: str,
    max_images: int,
    profiles: Mapping[str, ModelProfile],
    actor_id: str,
    address: str | None = None,
) -> QuotaRule:
    if period not in PERIODS:
        raise QuotaRefused(_("Choose a day or a month."))
    if profile_id is not None and profile_id not in profiles:
        raise QuotaRefused(_("That profile does not exist (any more)."))
    if not isinstance(max_images, int) or not 0 <= max_images <= MAX_QUOTA:
        raise QuotaRefused(_("The number of images is a whole number from 0 to {max}.", max=MAX_QUOTA))
    rule = QuotaRule(profile_id=profile_id, period=period, max_images=max_images)
    with storage_errors(), session(engine) as db:
        db.add(rule)
        db.flush()
        db.add(
            audit.change(
                action=audit.QUOTA_CHANGED,
                actor_id=actor_id,
                target=f"quota {rule.id}",
                detail=N_("added"),
                new=_describe(rule, profiles),
                address=address,
            )
        )
        db.commit()
    return rule


def remove_rule(
    engine: sqlalchemy.Engine,
    rule_id: int,
    *,
    profiles: Mapping[str, ModelProfile],
    actor_id: str,
    address: str | None = None,
) -> None:
    with storage_errors(), session(engine) as db:
        rule = db.get(QuotaRule, rule_id)
        if rule is None:
            return
        db.delete(rule)
        db.add(
            audit.change(
                action=audit.QUOTA_CHANGED,
                actor_id=actor_id,
                target=f"quota {rule.id}",
                detail=N_("removed"),
                old=_describe(rule, profiles),
                address=address,
            )
        )
        db.commit()


@dataclasses.dataclass(frozen=True)
class QuotaVerdict:
    """A rule the new job would exceed, with what is left and when it refills."""

    rule: QuotaRule
    used: int
    refills_at: datetime

    @property
    def left(self) -> int:
        return max(0, self.rule.max_images - self.used)


def used_images(
    engine: sqlalchemy.Engine, owner_id: str, *, profile_id: str | None, start: datetime, end: datetime
) -> int:
    """Saved images of finished jobs plus every variant of waiting and running ones, in the period."""
    return used_images_where(engine, Generation.owner_id == owner_id, profile_id=profile_id, start=start, end=end)


def used_images_where(
    engine: sqlalchemy.Engine, owners, *, profile_id: str | None, start: datetime, end: datetime
) -> int:
    """As used_images, for the jobs of the owners `owners` (a condition on Generation) selects."""
    where = [owners, Generation.created_at >= start, Generation.created_at < end]
    if profile_id is not None:
        where.append(Generation.model_profile == profile_id)
    with session(engine) as db:
        pending = db.exec(
            select(func.coalesce(func.sum(Generation.variant_count), 0)).where(
                *where, col(Generation.status).in_(GenerationStatus.ACTIVE)
            )
        ).one()
        saved = db.exec(
            select(func.count(col(Image.id)))
            .join(Generation, col(Image.generation_id) == Generation.id)
            .where(*where, col(Generation.status).not_in(GenerationStatus.ACTIVE))
        ).one()
    return int(pending) + int(saved)


def exceeded(
    engine: sqlalchemy.Engine,
    *,
    owner_id: str,
    profile_id: str,
    images: int,
    general: admin_settings.GeneralSettings,
    now: datetime | None = None,
) -> QuotaVerdict | None:
    """The first quota that `images` more would exceed for this user and profile, or None."""
    applying = [rule for rule in rules(engine) if rule.profile_id in (None, profile_id)]
    if not applying:
        return None
    if general.admins_exempt:
        with session(engine) as db:
            user = db.get(User, owner_id)
        if user is not None and user.is_admin:
            return None
    for rule in _tightest_first(applying):
        start, end = period_bounds(rule.period, now)
        used = used_images(engine, owner_id, profile_id=rule.profile_id, start=start, end=end)
        if used + images > rule.max_images:
            return QuotaVerdict(rule, used, end)
    return None


def _tightest_first(applying: Iterable[QuotaRule]) -> list[QuotaRule]:
    return sorted(applying, key=lambda rule: (rule.max_images, rule.period != "day"))


def images_text(count: int) -> str:
    """ "1 image", "50 images", in the current user's language."""
    return ngettext("{count} image", "{count} images", count)


def refill_text(refills_at: datetime, now: datetime | None = None) -> str:
    """When a quota refills: "Dec 8, 2026, 12:00 AM UTC (in 3 h 5 min)", in the asker's language."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    wait = refills_at - now
    hours, minutes = int(wait.total_seconds() // 3600), int(wait.total_seconds() % 3600 // 60)
    return _("{time} (in {hours} h {minutes} min)", time=i18n.format_utc(refills_at), hours=hours, minutes=minutes)


def refusal_message(verdict: QuotaVerdict, *, images: int, profile_label: str, now: datetime | None = None) -> str:
    """Why the quota refuses, what is left and when it refills, in the language of the user asking."""
    rule = verdict.rule
    refill = refill_text(verdict.refills_at, now)
    allowed = images_text(rule.max_images)
    if rule.profile_id:
        allowed = _("{images} with {profile}", images=allowed, profile=profile_label)
    if verdict.left == 0:
        if rule.period == "day":
            return _("You have used your {allowed} today. More from {refill}.", allowed=allowed, refill=refill)
        return _("You have used your {allowed} this month. More from {refill}.", allowed=allowed, refill=refill)
    values = {"left": verdict.left, "allowed": allowed, "asked": images, "refill": refill}
    if rule.period == "day":
        return _(
            "You have {left} of your {allowed} left today, fewer than the {asked} asked for: generate fewer, or wait"
            " until {refill}.",
            **values,
        )
    return _(
        "You have {left} of your {allowed} left this month, fewer than the {asked} asked for: generate fewer, or"
        " wait until {refill}.",
        **values,
    )
