"""The Users page: every account, searchable; disable or enable, make or revoke administrator, reset a
password, end all sessions. A thin state over bildgen.admin.users; the role is checked in every event,
and the accounts acted on are looked up by id in the list this page shows, never taken on trust."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import reflex as rx

from bildgen.admin import users
from bildgen.i18n import N_, _
from bildgen.services import get_services
from bildgen.state.account import when
from bildgen.state.admin_area import FAILURES, NOT_SAVED, UNREADABLE, AdminState
from bildgen.state.guards import administrator
from bildgen.store.models import User


@dataclasses.dataclass
class UserRow:
    id: str
    username: str
    role: str
    status: str
    is_admin: bool
    disabled: bool
    created: str
    last_seen: str
    sessions: int
    is_me: bool


def _row(info: users.UserInfo, me: str) -> UserRow:
    status = (
        _("Disabled")
        if info.disabled
        else _("Must choose a new password")
        if info.must_change_password
        else _("Active")
    )
    return UserRow(
        id=info.id,
        username=info.username,
        role=_("Administrator") if info.is_admin else _("User"),
        status=status,
        is_admin=info.is_admin,
        disabled=info.disabled,
        created=when(info.created_at, _("never")),
        last_seen=when(info.last_seen_at, _("never")),
        sessions=info.sessions,
        is_me=info.id == me,
    )


class UsersState(AdminState):
    rows: list[UserRow] = []
    search: str = ""
    # A temporary password just made, shown once to the administrator who reset it.
    temporary_password: str = ""
    temporary_for: str = ""

    async def _show(self, me: str) -> None:
        try:
            found = await asyncio.to_thread(users.list_users, get_services().engine, self.search)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        self.rows = [_row(info, me) for info in found]

    def _listed(self, account_id: str) -> UserRow | None:
        return next((row for row in self.rows if row.id == str(account_id)), None)

    async def _act(self, user: User, account_id: str, action: Callable[..., object], done: str) -> object:
        """Run `action(engine, id, actor_id=, address=)` on a listed account; say what happened."""
        row = self._listed(account_id)
        if row is None:
            self.refusal, self.notice = _("That account is not in the list (any more)."), ""
            return None
        self.temporary_password = self.temporary_for = ""
        try:
            result = await asyncio.to_thread(
                action, get_services().engine, row.id, actor_id=user.id, address=self._client_address()
            )
        except users.UserChangeRefused as refused:
            self.refusal, self.notice = str(refused), ""
            return None
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return None
        self.refusal, self.notice = "", _(done, name=row.username)
        await self._show(user.id)
        return result

    @rx.event
    @administrator
    async def open_users(self, user: User):
        self.notice, self.temporary_password, self.temporary_for = "", "", ""
        await self._show(user.id)

    @rx.event
    @administrator
    async def search_users(self, user: User, form: dict):
        self.search = str((form or {}).get("search", "")).strip()[:40]
        await self._show(user.id)

    @rx.event
    @administrator
    async def set_user_disabled(self, user: User, account_id: str, disabled: bool):
        disabled = disabled is True
        await self._act(
            user,
            account_id,
            lambda engine, target, **who: users.set_disabled(engine, target, disabled, **who),
            N_("{name} is disabled and signed out everywhere.") if disabled else N_("{name} can sign in again."),
        )

    @rx.event
    @administrator
    async def set_user_admin(self, user: User, account_id: str, administrator: bool):
        is_admin = administrator is True
        await self._act(
            user,
            account_id,
            lambda engine, target, **who: users.set_admin(engine, target, is_admin, **who),
            N_("{name} is an administrator now.") if is_admin else N_("{name} is no longer an administrator."),
        )

    @rx.event
    @administrator
    async def reset_user_password(self, user: User, account_id: str):
        password = await self._act(
            user,
            account_id,
            users.reset_password,
            N_("{name} is signed out everywhere and must choose a new password at the next sign-in."),
        )
        if isinstance(password, str):
            self.temporary_password, self.temporary_for = password, self._listed(account_id).username

    @rx.event
    @administrator
    async def end_user_sessions(self, user: User, account_id: str):
        await self._act(user, account_id, users.end_sessions, N_("{name} is signed out everywhere."))

    @rx.event
    @administrator
    async def dismiss_password(self):
        self.temporary_password = self.temporary_for = ""
