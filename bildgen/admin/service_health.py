"""Whether each profile's service answers, for Admin → Profiles and the overview: the same one cheap
call as Test connection (bildgen.admin.connection), remembered per process for a while so that
opening a page does not probe every service again."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime

from bildgen import i18n
from bildgen.admin.connection import try_connection
from bildgen.admin.live import ProfileEntry
from bildgen.admin.providers import INFO
from bildgen.i18n import N_, _

REACHABLE = N_("reachable")
NOT_ANSWERING = N_("not answering")
NOT_SET_UP = N_("not set up")
# A remembered answer older than this is asked again when a page opens.
FRESH_FOR_S = 60.0


@dataclasses.dataclass(frozen=True)
class ServiceHealth:
    status: str  # REACHABLE, NOT_ANSWERING or NOT_SET_UP
    message: str  # what the check found, in the words of the user who asked
    checked_at: datetime


# Per profile, its address (a changed endpoint is asked anew) and the language the message is in.
_remembered: dict[tuple[str, str, str], ServiceHealth] = {}


def _key(entry: ProfileEntry) -> tuple[str, str, str]:
    address = str(entry.profile.base_url) if entry.profile is not None else ""
    return entry.id, address, i18n.current_language.get()


def _not_set_up(entry: ProfileEntry) -> str:
    """Why the profile cannot be asked at all, or ""."""
    if entry.profile is None:
        return entry.problem or _("The profile cannot be used as configured.")
    info = INFO.get(entry.profile.provider)
    if info is not None and info.needs_key and not entry.profile.endpoint().api_key:
        return _("Needs an API key.")
    return ""


def known(entry: ProfileEntry) -> ServiceHealth | None:
    """The last answer remembered for the profile, however old (never asks)."""
    return _remembered.get(_key(entry))


async def check(entry: ProfileEntry, *, max_age_s: float = FRESH_FOR_S) -> ServiceHealth:
    """The profile's service health: remembered if younger than `max_age_s` (0: ask now)."""
    now = datetime.now(UTC)
    known = _remembered.get(_key(entry))
    if known is not None and (now - known.checked_at).total_seconds() < max_age_s:
        return known
    problem = _not_set_up(entry)
    if problem:
        found = ServiceHealth(NOT_SET_UP, problem, now)
    else:
        assert entry.profile is not None
        outcome = await try_connection(entry.profile)
        found = ServiceHealth(REACHABLE if outcome.ok else NOT_ANSWERING, outcome.message, datetime.now(UTC))
    _remembered[_key(entry)] = found
    return found


async def check_all(entries: Iterable[ProfileEntry], *, max_age_s: float = FRESH_FOR_S) -> dict[str, ServiceHealth]:
    """Every profile's health, the services asked at the same time."""
    entries = list(entries)
    found = await asyncio.gather(*(check(entry, max_age_s=max_age_s) for entry in entries))
    return {entry.id: health for entry, health in zip(entries, found, strict=True)}
