"""The administrators' API tokens page: every user's tokens, each revocable. A thin state over
bildgen.auth.api_tokens; the role is checked on the server on load and in every event."""

from __future__ import annotations

import asyncio

import reflex as rx

from bildgen.auth import api_tokens
from bildgen.http.auth import STORAGE_ERRORS
from bildgen.services import get_services
from bildgen.state.account import TokenRow, token_row
from bildgen.state.session import SessionState
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User

NOT_ALLOWED = "Only administrators can see everyone's API tokens."
UNREADABLE = "The tokens cannot be read or changed right now: the database is not answering. Try again in a moment."
_FAILURES = (*STORAGE_ERRORS, StorageUnavailable)


class AdminTokensState(SessionState):
    rows: list[TokenRow] = []
    allowed: bool = False
    message: str = ""
    notice: str = ""

    async def _administrator(self) -> User | rx.event.EventSpec | None:
        """The signed-in administrator, asked of the database now; otherwise None (the page says why)
        or a redirect to sign-in."""
        try:
            user = await self._user()
        except _FAILURES:
            self.message, self.allowed, self.rows = UNREADABLE, False, []
            return None
        self.allowed = bool(user and user.is_admin)
        if user is None:
            return self._to_sign_in()
        if not user.is_admin:
            self.rows, self.message = [], NOT_ALLOWED
            return None
        return user

    async def _show(self) -> None:
        try:
            tokens = await asyncio.to_thread(api_tokens.all_tokens, get_services().engine)
        except _FAILURES:
            self.message = UNREADABLE
            return
        self.rows, self.message = [token_row(token) for token in tokens], ""

    @rx.event
    async def open_tokens(self):
        self.notice = ""
        if not isinstance(verdict := await self._administrator(), User):
            return verdict
        await self._show()

    @rx.event
    async def revoke_any_token(self, token_id: str):
        if not isinstance(admin := await self._administrator(), User):
            return admin
        try:
            revoked = await asyncio.to_thread(
                api_tokens.revoke,
                get_services().engine,
                str(token_id),
                actor=admin,
                owner_id=None,
                address=self._client_address(),
            )
        except _FAILURES:
            self.message = UNREADABLE
            return
        row = next((row for row in self.rows if row.id == str(token_id)), None)
        self.notice = (
            f"Revoked {row.name} of {row.owner}: it no longer works."
            if revoked and row
            else "That token was revoked already."
        )
        await self._show()
