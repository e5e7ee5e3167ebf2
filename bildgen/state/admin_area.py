"""What every page of the Admin area shares: the role check, asked of the database on load and in
every event (any browser can send any page's events), and where the page says why it refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from bildgen.i18n import N_, _
from bildgen.state.session import SessionState, user_for_token
from bildgen.store.db import STORAGE_ERRORS, StorageUnavailable
from bildgen.store.models import User

# Marked here, translated where shown (`_(UNREADABLE)`), into the language of the user being answered.
NOT_ALLOWED = N_("Only administrators can use the Admin area.")
UNREADABLE = N_("The Admin area cannot be shown right now: the database is not answering. Try again in a moment.")
NOT_SAVED = N_("Nothing was changed: the database is not answering. Try again in a moment.")
# Errors of the database or disk that a page turns into one of the messages above.
FAILURES = (*STORAGE_ERRORS, StorageUnavailable)


class AdminState(SessionState):
    # What a page tells someone who is not an administrator.
    not_allowed_text: ClassVar[str] = NOT_ALLOWED

    allowed: bool = False
    # Why the page cannot be shown or the last change failed (an alert) …
    refusal: str = ""
    # … and what the last change did (a status line).
    notice: str = ""

    async def _saved(self, change: Callable[[], object], done: str, refusals: tuple[type[Exception], ...]) -> bool:
        """Runs `change()` (blocking) off the event loop and says what happened: `done`, the core's
        refusal as it words it, or that nothing was saved. True once saved (then show the page anew)."""
        try:
            await asyncio.to_thread(change)
        except refusals as refused:
            self.refusal, self.notice = str(refused), ""
            return False
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return False
        self.refusal, self.notice = "", done
        return True

    async def _administrator(self) -> User | rx.event.EventSpec | None:
        """The signed-in administrator, asked of the database now. Otherwise None (the page says why)
        or a redirect to sign-in (an EventSpec): return that from the handler."""
        try:
            user = await self._user()
        except FAILURES:
            self.allowed, self.refusal = False, _(UNREADABLE)
            return None
        if user is None:
            self.allowed = False
            return self._to_sign_in()
        self.allowed = user.is_admin
        self.refusal = "" if user.is_admin else _(self.not_allowed_text)
        return user if user.is_admin else None

    @staticmethod
    async def _administrator_of(token: str | None) -> User | None:
        """For background events: the administrator a session token belongs to (taken inside
        `async with self`, looked up here, outside the tab's lock), or None."""
        try:
            user = await user_for_token(token)
        except FAILURES:
            return None
        return user if user is not None and user.is_admin else None

    async def _background_administrator(self) -> bool:
        """For background events, first thing: whether this tab's user is an administrator (asked
        outside the tab's lock); messages from here on speak the tab's language."""
        async with self:
            token = self._session_token()
            self._in_tab_language()
        return await self._administrator_of(token) is not None
