"""The account page: the signed-in user's API tokens (make, list, revoke), and what is left to them:
their groups, the models they may use, and each personal and group quota with what remains. A thin
state over bildgen.auth.api_tokens and bildgen.groups; the user comes from the session cookie in every
event.

A new token reaches the browser once, as the value of a read-only field (rx.set_value): it is never
a state variable, so it is not kept in the tab's state (memory or Redis) nor sent again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import reflex as rx

from bildgen import i18n
from bildgen.admin import usage
from bildgen.auth import api_tokens
from bildgen.groups import core as groups
from bildgen.groups import governance
from bildgen.i18n import N_, _
from bildgen.services import get_services
from bildgen.state.guards import public, signed_in
from bildgen.state.session import SessionState
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User

NEW_TOKEN_FIELD = "new-api-token"
NEVER = "never"
# Labels for the components' t(label, days=…).
EXPIRY_CHOICES = [(str(days), N_("after {days} days")) for days in api_tokens.EXPIRY_CHOICES_DAYS] + [
    (NEVER, N_("never"))
]
DEFAULT_EXPIRY = "90"
UNAVAILABLE = N_(
    "Your API tokens cannot be read or changed right now: the database is not answering. Try again in a moment."
)


@dataclasses.dataclass
class TokenRow:
    id: str
    name: str
    prefix: str
    owner: str
    created: str
    last_used: str
    expires: str
    revoke_label: str


def when(moment: datetime | None, empty: str) -> str:
    return i18n.format_utc(moment) if moment else empty


def token_row(token: api_tokens.TokenInfo) -> TokenRow:
    expires = _("never") if token.expires_at is None else when(token.expires_at, "")
    return TokenRow(
        id=token.id,
        name=token.name,
        prefix=token.prefix + "…",
        owner=token.owner,
        created=when(token.created_at, ""),
        last_used=when(token.last_used_at, _("never")),
        expires=_("expired {time}", time=expires) if token.expired() else expires,
        revoke_label=_("Revoke token {token} of {owner}", token=token.name, owner=token.owner),
    )


def allowance_text(allowance: governance.Allowance, labels: dict[str, str]) -> str:
    """ "Your quota with Portrait HD: 37 of 50 images left today. More from …" in the user's language."""
    values = {
        "left": allowance.left,
        "allowed": usage.images_text(allowance.max_images),
        "refill": usage.refill_text(allowance.refills_at),
    }
    if allowance.group:
        who = _("Group {group}", group=allowance.group)
    elif allowance.profile_id:
        who = _("Your quota with {profile}", profile=labels.get(allowance.profile_id, allowance.profile_id))
    else:
        who = _("Your quota")
    if allowance.period == "day":
        left = _("{left} of {allowed} left today; more from {refill}.", **values)
    else:
        left = _("{left} of {allowed} left this month; more from {refill}.", **values)
    return f"{who}: {left}"


class AccountState(SessionState):
    # What is left to the user: one line per quota that applies; their groups; the models they may use.
    allowances: list[str] = []
    no_quotas: str = ""
    my_groups: str = ""
    my_models: str = ""
    tokens: list[TokenRow] = []
    message: str = ""  # why something could not be done
    notice: str = ""  # what the last action did
    # The name of the token just made; its value is only in the read-only field, never in the state.
    created_name: str = ""
    api_base: str = ""

    async def _load(self, user: User) -> None:
        try:
            tokens = await asyncio.to_thread(api_tokens.tokens_of, get_services().engine, user.id)
        except StorageUnavailable:
            self.message = _(UNAVAILABLE)
            return
        self.tokens = [token_row(token) for token in tokens]

    async def _load_allowances(self, user: User) -> None:
        services = await asyncio.to_thread(get_services)

        def read():
            live = services.config.refresh()
            engine = services.engine
            left = governance.what_is_left(engine, user.id, live.general)
            return live, left, groups.groups_of(engine, user.id), governance.allowed_profiles(engine, user.id)

        try:
            live, left, mine, allowed = await asyncio.to_thread(read)
        except StorageUnavailable:
            self.message = _(UNAVAILABLE)
            return
        labels = {key: profile.label for key, profile in live.catalog.models.items()}
        self.allowances = [allowance_text(allowance, labels) for allowance in left or []]
        self.no_quotas = (
            _("Quotas do not apply to you (administrators are exempt).")
            if left is None
            else _("No quota limits you.")
            if not left
            else ""
        )
        self.my_groups = ", ".join(group.name for group in mine) or _("none")
        offered = [profile for profile in live.catalog.offered if governance.may_use(allowed, profile.id)]
        self.my_models = (
            _("all models offered")
            if allowed is None
            else ", ".join(profile.label for profile in offered) or _("none: ask an administrator")
        )

    @rx.event
    @signed_in
    async def open_account(self, user: User):
        self.message = self.notice = self.created_name = ""
        self.api_base = f"{self.router.url.origin}/v1"
        await self._load(user)
        await self._load_allowances(user)
        return rx.set_value(NEW_TOKEN_FIELD, "")

    @rx.event
    @signed_in
    async def create_token(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        expiry = str(form.get("expires") or DEFAULT_EXPIRY)
        days = None if expiry == NEVER else int(expiry) if expiry.isdigit() else -1
        try:
            info, secret = await asyncio.to_thread(
                api_tokens.create,
                get_services().engine,
                user=user,
                name=str(form.get("name", ""))[:1000],
                expires_in_days=days,
                address=self._client_address(),
            )
        except (api_tokens.TokenRefused, StorageUnavailable) as refused:
            self.message, self.notice = getattr(refused, "user_message", str(refused)), ""
            return
        self.message, self.notice, self.created_name = "", "", info.name
        await self._load(user)
        return rx.set_value(NEW_TOKEN_FIELD, secret)

    @rx.event
    @signed_in
    async def revoke_token(self, user: User, token_id: str):
        try:
            revoked = await asyncio.to_thread(
                api_tokens.revoke,
                get_services().engine,
                str(token_id),
                actor=user,
                owner_id=user.id,
                address=self._client_address(),
            )
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        name = next((row.name for row in self.tokens if row.id == str(token_id)), None)
        if not revoked:
            notice = ""
        elif name is None:
            notice = _("The token is revoked: it no longer works.")
        else:
            notice = _("{token} is revoked: it no longer works.", token=name)
        self.message, self.notice = "", notice
        await self._load(user)

    @rx.event
    @public
    def dismiss_new_token(self):
        self.created_name = ""
        return rx.set_value(NEW_TOKEN_FIELD, "")
