"""The administrators' queue page: every waiting and running job, with a Cancel button each.

A thin state over bildgen.jobs.queue. The role is checked on the server on load, in every event and
on every refresh: the page's events can be sent by anyone's browser. Queries run off the event loop
and never inside `async with self`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import textwrap
import time
from typing import ClassVar

import reflex as rx

from bildgen import i18n, routes
from bildgen.auth import audit
from bildgen.generation.submit import cancel
from bildgen.i18n import N_, _
from bildgen.jobs import views
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, AdminState
from bildgen.state.guards import administrator, checks_inside
from bildgen.state.outages import note_failure
from bildgen.state.session import user_for_token
from bildgen.store.models import GenerationStatus, User
from bildgen.waits import Backoff

logger = logging.getLogger(__name__)

NOT_ALLOWED = N_("Only administrators can see the queue.")
UNREADABLE = N_("The queue cannot be read right now: the database is not answering. Try again in a moment.")
NOT_CANCELLED = N_("The job could not be cancelled: the database is not answering. Try again in a moment.")
ENDED = N_("That job has already ended.")
REFRESH_EVERY_S = 3.0
# A tab closed without leaving the page stops being refreshed after this long.
WATCH_AT_MOST_S = 3600.0
PROMPT_SHOWN = 80


@dataclasses.dataclass
class QueueRow:
    id: str
    user: str
    prompt: str  # shortened
    model: str
    variants: int
    status: str
    waiting: bool
    since: str
    place: str  # waiting jobs: how many start before this one
    cancel_label: str
    cancelling: bool


def _row(job: views.ActiveJob, model_labels: dict[str, str]) -> QueueRow:
    user = job.username or _("a deleted account")
    prompt = textwrap.shorten(job.prompt, width=PROMPT_SHOWN, placeholder="…")
    waiting = job.status == GenerationStatus.QUEUED
    since = job.created_at if waiting or job.started_at is None else job.started_at
    return QueueRow(
        id=job.id,
        user=user,
        prompt=prompt,
        model=model_labels.get(job.model_profile, job.model_profile),
        variants=job.variant_count,
        status=_("Cancelling…") if job.cancel_requested else (_("Waiting") if waiting else _("Running")),
        waiting=waiting,
        since=(
            _("waiting since {time}", time=i18n.format_utc(since, seconds=True))
            if waiting
            else _("running since {time}", time=i18n.format_utc(since, seconds=True))
        ),
        place=(_("next") if job.ahead == 0 else _("{count} ahead", count=job.ahead)) if job.ahead is not None else "",
        cancel_label=_("Cancel job of {user}: {prompt}", user=user, prompt=prompt),
        cancelling=job.cancel_requested,
    )


def _load_rows() -> list[QueueRow]:
    services = get_services()
    labels = {key: profile.label for key, profile in services.catalog.models.items()}
    return [_row(job, labels) for job in views.active_jobs(services.engine)]


class QueueState(AdminState):
    not_allowed_text: ClassVar[str] = NOT_ALLOWED

    rows: list[QueueRow] = []
    _watching: bool = False

    async def _administrator(self) -> User | rx.event.EventSpec | None:
        verdict = await super()._administrator()
        if not self.allowed:
            self.rows = []  # nothing of the queue stays on a page its reader may not see
        return verdict

    async def _show(self) -> None:
        try:
            self.rows = await asyncio.to_thread(_load_rows)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        self.refusal = ""

    @rx.event
    @administrator
    async def open_queue(self):
        self.notice = ""
        await self._show()
        return QueueState.watch_queue

    @rx.event
    @administrator
    async def cancel_job(self, user: User, job_id: str):
        # Only a job this page lists: its owner and prompt name it in the audit log.
        row = next((row for row in self.rows if row.id == str(job_id)), None)
        services = get_services()
        try:
            asked = row is not None and await cancel(services, row.id, owner_id=None)
        except FAILURES:
            self.refusal = _(NOT_CANCELLED)
            return
        if asked:
            self.notice = (
                _("Cancelled the job of {user}.", user=row.user)
                if row.waiting and not row.cancelling
                else _("Asked the worker to stop the job of {user}.", user=row.user)
            )
            try:
                await asyncio.to_thread(
                    audit.record,
                    services.engine,
                    action=audit.JOB_CANCELLED,
                    actor_id=user.id,
                    target=row.user,
                    detail=f"job {row.id}: {row.prompt}",
                    address=self._client_address(),
                )
            except Exception:  # the cancel stands whether or not the log could take it
                logger.exception("recording a cancelled job failed")
        else:
            self.notice = _(ENDED)
        await self._show()

    @rx.event(background=True)
    @checks_inside
    async def watch_queue(self):
        """Refresh the list every few seconds while this tab shows the page and its user is an administrator."""
        async with self:
            if self._watching:
                return
            self._watching = True
            token = self._session_token()
            self._in_tab_language()
        deadline, backoff = time.monotonic() + WATCH_AT_MOST_S, Backoff()
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(REFRESH_EVERY_S)
                try:
                    async with self:
                        # The route, not the URL: the production build serves pages with a trailing slash.
                        if self.router.route_id != routes.ADMIN_QUEUE:
                            return  # the tab went to another page
                    try:
                        user = await user_for_token(token)
                        rows = await asyncio.to_thread(_load_rows) if user and user.is_admin else None
                    except FAILURES:
                        async with self:
                            self.refusal = _(UNREADABLE)
                        continue
                    async with self:
                        if rows is None:  # signed out or no longer an administrator
                            self.allowed, self.rows, self.refusal = False, [], _(NOT_ALLOWED)
                            return
                        self.rows, self.refusal = rows, ""
                except Exception as error:  # Redis (the tab's state) is away: try again
                    note_failure("refreshing the queue page", error, first=not backoff.failures)
                    await backoff.pause()
                    continue
                backoff.succeeded()
        finally:
            with contextlib.suppress(Exception):
                async with self:
                    self._watching = False
