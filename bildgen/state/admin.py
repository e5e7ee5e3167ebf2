"""The administrators' audit log page: a thin state over bildgen.auth.audit.

The role is checked on the server on load and again in every event: the page's events can be
sent by anyone's browser.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import ClassVar

import reflex as rx

from bildgen import i18n
from bildgen.auth import audit
from bildgen.i18n import N_, _
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, AdminState
from bildgen.state.guards import administrator
from bildgen.store.models import User

ALL_ACTIONS = "__all__"
NOT_ALLOWED = N_("Only administrators can see the audit log.")
UNREADABLE = N_("The audit log cannot be read right now: the database is not answering. Try again in a moment.")


@dataclasses.dataclass
class AuditRow:
    id: int
    at: str
    action: str
    actor: str
    target: str
    detail: str
    address: str
    change: str  # an administrative change: "old → new"


def _change(entry: audit.Entry) -> str:
    if not (entry.old_value or entry.new_value):
        return ""
    none = _("(none)")
    before = audit.readable(entry.old_value) if entry.old_value else none
    after = audit.readable(entry.new_value) if entry.new_value else none
    return f"{before} → {after}"


def _row(entry: audit.Entry) -> AuditRow:
    return AuditRow(
        id=entry.id,
        at=i18n.format_utc(entry.at, seconds=True),
        action=_(audit.ACTIONS[entry.action]) if entry.action in audit.ACTIONS else entry.action,
        actor=entry.actor or "—",
        target=entry.target,
        detail=", ".join(
            part
            for part in (
                _(entry.detail) if entry.detail else "",
                _("{count} times", count=entry.times) if entry.times > 1 else "",
            )
            if part
        ),
        address=entry.address,
        change=_change(entry),
    )


class AuditLogState(AdminState):
    not_allowed_text: ClassVar[str] = NOT_ALLOWED

    rows: list[AuditRow] = []
    action_filter: str = ALL_ACTIONS
    user_filter: str = ""
    has_newer: bool = False
    has_older: bool = False
    # The `before` cursor of every page from the newest to the one shown (None: the newest).
    _cursors: list[int | None] = []
    _older_than: int | None = None

    async def _administrator(self) -> User | rx.event.EventSpec | None:
        """As every Admin page's, and a refused reader sees no rows left over from before."""
        verdict = await super()._administrator()
        if not isinstance(verdict, User):
            self.rows = []
        return verdict

    async def _show(self, cursors: list[int | None]) -> None:
        action = self.action_filter if self.action_filter in audit.ACTIONS else None
        try:
            page = await asyncio.to_thread(
                audit.page,
                get_services().engine,
                action=action,
                username=self.user_filter or None,
                before=cursors[-1],
            )
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        self._cursors, self._older_than = cursors, page.older_than
        self.rows = [_row(entry) for entry in page.entries]
        self.has_newer, self.has_older = len(cursors) > 1, page.older_than is not None
        self.refusal, self.notice = "", "" if self.rows else _("No events match.")

    @rx.event
    @administrator
    async def open_audit(self):
        await self._show([None])

    @rx.event
    @administrator
    async def set_action_filter(self, value: str):
        self.action_filter = value if value in audit.ACTIONS else ALL_ACTIONS
        await self._show([None])

    @rx.event
    @administrator
    async def filter_by_user(self, form: dict):
        self.user_filter = str(form.get("user", "")).strip().lower()[:40]
        await self._show([None])

    @rx.event
    @administrator
    async def older(self):
        if self._older_than is not None:
            await self._show([*self._cursors, self._older_than])

    @rx.event
    @administrator
    async def newer(self):
        await self._show(self._cursors[:-1] or [None])
