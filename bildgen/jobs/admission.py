"""Whether a new job may be queued now: the one check every client (studio, HTTP API, batches) goes
through, because `queue.submit` calls it before it writes anything.

Refused with a message for the user (bildgen/jobs/refusals.py) when an administrator switched image
generation off, when the profile is disabled or gone, or when the user's quota or a quota of one of their groups is used up.
"""

from __future__ import annotations

import sqlalchemy

from bildgen.admin import settings, usage
from bildgen.admin.live import LiveConfig, source_for
from bildgen.groups import governance
from bildgen.i18n import N_, _
from bildgen.jobs.refusals import GenerationPaused, ProfileUnavailable, QuotaReached


def check(engine: sqlalchemy.Engine, *, owner_id: str, profile_id: str, images: int) -> None:
    """Raises a SubmissionRefused (GenerationPaused, ProfileUnavailable, QuotaReached) or returns."""
    source = source_for(engine)
    live = source.refresh() if source is not None else None
    general = live.general if live is not None else settings.read(engine)
    if not general.generation_enabled:
        raise GenerationPaused(general.paused_message)
    if live is not None:
        _check_profile(live, profile_id)
    verdict = usage.exceeded(engine, owner_id=owner_id, profile_id=profile_id, images=images, general=general)
    if verdict is not None:
        entry = live.entry(profile_id) if live is not None else None
        label = entry.profile.label if entry is not None and entry.profile is not None else profile_id
        message = usage.refusal_message(verdict, images=images, profile_label=label)
        raise QuotaReached(message, verdict.refills_at)
    group = governance.group_quota_exceeded(engine, owner_id=owner_id, images=images, general=general)
    if group is not None:
        raise QuotaReached(governance.refusal_message(group, images=images), group.refills_at)


def _check_profile(live: LiveConfig, profile_id: str) -> None:
    entry = live.entry(profile_id)
    if entry is None:
        raise ProfileUnavailable(_("This model is no longer offered here. Choose another one; nothing was sent."))
    name = entry.profile.label if entry.profile else entry.config.get("label", profile_id)
    if entry.profile is None:
        raise ProfileUnavailable(
            _(
                "{model} cannot be used right now (its configuration is incomplete). Tell your administrator.",
                model=name,
            )
        )
    if not entry.profile.enabled:
        message = (
            N_(
                "{model} is not available any more: its provider is switched off. Choose another model; nothing was sent."
            )
            if entry.problem
            else N_(
                "{model} is not available any more: an administrator switched it off. Choose another model; nothing"
                " was sent."
            )
        )
        raise ProfileUnavailable(_(message, model=name))
