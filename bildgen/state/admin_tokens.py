"""The administrators' API tokens page: every user's tokens, each revocable. A thin state over
bildgen.auth.api_tokens; the role is checked on the server on load and in every event."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import reflex as rx

from bildgen.auth import api_tokens
from bildgen.i18n import N_, _
from bildgen.services import get_services
from bildgen.state.account import TokenRow, token_row
from bildgen.state.admin_area import FAILURES, AdminState
from bildgen.state.guards import administrator
from bildgen.store.models import User

NOT_ALLOWED = N_("Only administrators can see everyone's API tokens.")
UNREADABLE = N_("The tokens cannot be read or changed right now: the database is not answering. Try again in a moment.")


class AdminTokensState(AdminState):
    not_allowed_text: ClassVar[str] = NOT_ALLOWED

    rows: list[TokenRow] = []

    async def _administrator(self) -> User | rx.event.EventSpec | None:
        verdict = await super()._administrator()
        if not self.allowed:
            self.rows = []  # nobody's tokens stay on a page its reader may not see
        return verdict

    async def _show(self) -> None:
        try:
            tokens = await asyncio.to_thread(api_tokens.all_tokens, get_services().engine)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        self.rows, self.refusal = [token_row(token) for token in tokens], ""

    @rx.event
    @administrator
    async def open_tokens(self):
        self.notice = ""
        await self._show()

    @rx.event
    @administrator
    async def revoke_any_token(self, user: User, token_id: str):
        try:
            revoked = await asyncio.to_thread(
                api_tokens.revoke,
                get_services().engine,
                str(token_id),
                actor=user,
                owner_id=None,
                address=self._client_address(),
            )
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        row = next((row for row in self.rows if row.id == str(token_id)), None)
        self.notice = (
            _("Revoked {token} of {owner}: it no longer works.", token=row.name, owner=row.owner)
            if revoked and row
            else _("That token was revoked already.")
        )
        await self._show()
