"""The Providers page: each service bildgen talks to, its endpoint, API key and enabled flag, where each
effective value comes from, and "Test connection". A thin state over bildgen.admin.providers.

An API key travels only from the browser to the server (the form's password field); this state holds
whether one is set and where it comes from, never the key.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen.admin import providers
from bildgen.admin.connection import try_connection
from bildgen.i18n import N_, _
from bildgen.inference.profiles import PROVIDERS
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, NOT_SAVED, UNREADABLE, AdminState
from bildgen.state.guards import administrator, checks_inside
from bildgen.store.models import User

NO_ENDPOINT = N_("Set an endpoint first.")


@dataclasses.dataclass
class ProviderRow:
    provider: str
    label: str
    help: str
    endpoint: str
    endpoint_source: str
    # Only the Admin area's own value, for the form (the effective one may come from elsewhere).
    endpoint_here: str
    key_status: str  # "********", "not set"
    key_source: str
    key_here: bool  # a key is stored in the Admin area (it can be removed)
    key_problem: str
    enabled: bool
    enabled_source: str
    # What it lacks before a profile can use it ("" when it has what it needs).
    missing: str
    env_names: str
    overridden: bool  # the Admin area sets something: "Use the file's and environment's values" helps
    test_result: str = ""
    test_ok: bool = False


def _source(source: str) -> str:
    """Where a value comes from, said only where someone set it (a built-in default goes without saying)."""
    return "" if source in (providers.DEFAULT, providers.NOT_SET) else providers.source_text(source)


def _missing(state: providers.ProviderState) -> str:
    if not state.base_url.value:
        return _("Needs an endpoint (or each profile names its own).")
    if providers.INFO[state.provider].needs_key and not state.key_set:
        return _("Needs an API key.")
    return ""


def _row(state: providers.ProviderState, stored) -> ProviderRow:
    row = stored.get(state.provider)
    names = providers.env_names(state.provider)
    return ProviderRow(
        provider=state.provider,
        label=state.label,
        help=_(providers.INFO[state.provider].help),
        endpoint=state.base_url.value or "",
        endpoint_source=_source(state.base_url.source),
        endpoint_here=(row.base_url or "") if row else "",
        key_status="********" if state.key_set else _("not set"),
        key_source=_source(state.api_key.source),
        key_here=bool(row and row.api_key_encrypted),
        key_problem=_(state.key_problem) if state.key_problem else "",
        enabled=bool(state.enabled.value),
        enabled_source=_source(state.enabled.source),
        missing=_missing(state),
        env_names=", ".join(names.values()),
        overridden=bool(row and (row.base_url or row.api_key_encrypted or row.enabled is not None)),
    )


class ProvidersState(AdminState):
    rows: list[ProviderRow] = []
    # Changes after every save, so the forms' fields show what is stored (and the key field empties).
    form_key: int = 0

    async def _show(self) -> None:
        services = await asyncio.to_thread(get_services)
        try:
            live = await asyncio.to_thread(services.config.refresh)
            stored = await asyncio.to_thread(providers.stored_settings, services.engine)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        results = {row.provider: (row.test_result, row.test_ok) for row in self.rows}
        self.rows = [_row(state, stored) for state in live.providers.values()]
        for row in self.rows:
            row.test_result, row.test_ok = results.get(row.provider, ("", False))
        self.form_key += 1

    async def _save(self, user: User, provider: str, done: str, **changes) -> None:
        services = await asyncio.to_thread(get_services)
        try:
            await asyncio.to_thread(
                providers.save,
                services.engine,
                provider,
                box=services.keys,
                actor_id=user.id,
                address=self._client_address(),
                **changes,
            )
        except providers.ProviderRefused as refused:
            self.refusal, self.notice = str(refused), ""
            return
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return
        self.refusal, self.notice = "", done
        await self._show()

    def _label(self, provider: str) -> str:
        return _(providers.INFO[provider].label) if provider in providers.INFO else provider

    @rx.event
    @administrator
    async def open_providers(self):
        self.notice = ""
        await self._show()

    @rx.event
    @administrator
    async def save_provider(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        provider = str(form.get("provider", ""))
        if provider not in PROVIDERS:
            return
        changes: dict = {"base_url": str(form.get("base_url", ""))}
        if str(form.get("api_key", "")).strip():
            changes["api_key"] = str(form["api_key"])
        await self._save(user, provider, _("Saved {provider}.", provider=self._label(provider)), **changes)

    @rx.event
    @administrator
    async def set_provider_enabled(self, user: User, provider: str, enabled: bool):
        provider, enabled = str(provider), enabled is True
        done = (
            _("{provider} is on.", provider=self._label(provider))
            if enabled
            else _("{provider} is off: its profiles are not offered.", provider=self._label(provider))
        )
        await self._save(user, provider, done, enabled=enabled)

    @rx.event
    @administrator
    async def remove_key(self, user: User, provider: str):
        provider = str(provider)
        await self._save(
            user, provider, _("Removed the API key of {provider}.", provider=self._label(provider)), api_key=None
        )

    @rx.event
    @administrator
    async def reset_provider(self, user: User, provider: str):
        provider = str(provider)
        await self._save(
            user,
            provider,
            _(
                "{provider} uses the configuration file's and environment's values again.",
                provider=self._label(provider),
            ),
            base_url="",
            api_key=None,
            enabled=None,
        )

    @rx.event(background=True)
    @checks_inside
    async def test_provider(self, provider: str):
        """Probe the provider's endpoint with its key, outside the tab's lock (it may take seconds)."""
        async with self:
            token = self._session_token()
            self._in_tab_language()
        provider = str(provider)
        if provider not in PROVIDERS or await self._administrator_of(token) is None:
            return
        async with self:
            self._set_result(provider, _("Testing…"), False)
        services = await asyncio.to_thread(get_services)
        try:
            live = await asyncio.to_thread(services.config.refresh)
        except FAILURES:
            async with self:
                self._set_result(provider, _(UNREADABLE), False)
            return
        profile = providers.probe_profile(live.providers[provider], live.catalog.models.values())
        outcome = await try_connection(profile) if profile is not None else None
        async with self:
            if outcome is None:
                self._set_result(provider, _(NO_ENDPOINT), False)
            else:
                self._set_result(provider, outcome.message, outcome.ok)

    def _set_result(self, provider: str, message: str, ok: bool) -> None:
        for row in self.rows:
            if row.provider == provider:
                row.test_result, row.test_ok = message, ok
        self.rows = list(self.rows)
