"""Usage per group and per profile for a date range, and the same as CSV for an administrator's export.

A run is one generation (one press of Generate, one API request, one batch item) made in the range,
whatever its end; images are its saved images. Someone in several groups counts in each of them;
people in no group are one line of their own. The estimated cost is images × the profile's
`cost_per_image` where the administrator set one (otherwise the column stays empty).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta

import sqlalchemy
from sqlmodel import col, func, select

from bildgen.inference.profiles import ModelProfile
from bildgen.store.db import session
from bildgen.store.models import Generation, GroupMember, Image, UserGroup

MAX_DAYS = 366
FORMULA = ("=", "+", "-", "@")
CSV_HEADER = ("group", "profile_id", "profile", "runs", "images", "estimated_cost", "currency")


@dataclasses.dataclass(frozen=True)
class ReportLine:
    group: str  # the group's name; "" for people in no group
    profile_id: str
    profile: str
    runs: int
    images: int
    cost: float | None


def report(
    engine: sqlalchemy.Engine, *, start: datetime, end: datetime, profiles: Mapping[str, ModelProfile]
) -> list[ReportLine]:
    """Runs, images and estimated cost in [start, end) per (group, profile), by group then most images."""
    images = select(Image.generation_id, func.count(col(Image.id)).label("n")).group_by(col(Image.generation_id))
    images = images.subquery("images")
    saved = func.coalesce(func.sum(images.c.n), 0)
    in_range = (Generation.created_at >= start, Generation.created_at < end)
    with session(engine) as db:
        grouped = db.exec(
            select(UserGroup.name, Generation.model_profile, func.count(col(Generation.id)), saved)
            .join(GroupMember, col(GroupMember.user_id) == Generation.owner_id)
            .join(UserGroup, col(UserGroup.id) == GroupMember.group_id)
            .outerjoin(images, images.c.generation_id == Generation.id)
            .where(*in_range)
            .group_by(col(UserGroup.name), col(Generation.model_profile))
        ).all()
        in_no_group = db.exec(
            select(Generation.model_profile, func.count(col(Generation.id)), saved)
            .outerjoin(images, images.c.generation_id == Generation.id)
            .where(*in_range, col(Generation.owner_id).not_in(select(GroupMember.user_id)))
            .group_by(col(Generation.model_profile))
        ).all()
    lines = []
    for group, profile_id, runs, count in [*grouped, *(("", *row) for row in in_no_group)]:
        profile = profiles.get(profile_id)
        cost = None
        if profile is not None and profile.cost_per_image is not None:
            cost = round(int(count) * profile.cost_per_image, 6)
        lines.append(
            ReportLine(group or "", profile_id, profile.label if profile else profile_id, runs, int(count), cost)
        )
    return sorted(lines, key=lambda line: (line.group == "", line.group.lower(), -line.images, line.profile))


def csv_lines(lines: Iterable[ReportLine], *, currency: str, no_group: str) -> Iterator[str]:
    """The report as CSV text, a line at a time (streamed to the browser as it is written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        # A cell that starts like a formula is quoted as text, so a spreadsheet never runs a group's name.
        writer.writerow(
            ["'" + value if isinstance(value, str) and value.startswith(FORMULA) else value for value in values]
        )
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for entry in lines:
        cost = "" if entry.cost is None else f"{entry.cost:.2f}"
        yield line((entry.group or no_group, entry.profile_id, entry.profile, entry.runs, entry.images, cost, currency))


def date_range(first: str, last: str) -> tuple[datetime, datetime]:
    """[start, end) of the days from `first` to `last` (ISO dates, both included, UTC); ValueError
    unless it is a range of 1 to MAX_DAYS days."""
    start, end = date.fromisoformat(first), date.fromisoformat(last) + timedelta(days=1)
    if not 0 < (end - start).days <= MAX_DAYS:
        raise ValueError("not a range of days")
    return datetime(start.year, start.month, start.day, tzinfo=UTC), datetime(end.year, end.month, end.day, tzinfo=UTC)
