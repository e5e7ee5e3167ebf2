"""The Admin area's first page: the master switch for image generation, its message, the currency of
estimated costs. A thin state over bildgen.admin.settings; the role is checked in every event."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen.admin import service_health, settings, usage
from bildgen.i18n import N_, _
from bildgen.ops import health
from bildgen.provenance import settings as provenance_settings
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, NOT_SAVED, UNREADABLE, AdminState
from bildgen.state.guards import administrator, checks_inside
from bildgen.store.models import User

# What /readyz checks, as the overview names it.
CHECK_NAMES = {"database": N_("Database"), "data_folder": N_("Data folder"), "redis": N_("Redis")}


@dataclasses.dataclass
class HealthRow:
    name: str
    ok: bool
    detail: str


class OverviewState(AdminState):
    generation_enabled: bool = True
    view_links_enabled: bool = False
    paused_message: str = ""
    currency: str = ""
    # This instance's readiness (the checks of /readyz) and the shared queue, when the page opened.
    health: list[HealthRow] = []
    # The summary at the top: the profiles' services, the shared queue now, images made lately.
    # Numbers only: the page words them, so they follow a language switch at once.
    services_checked: bool = False
    services_reachable: int = 0
    services_down: int = 0
    services_unset: int = 0
    services_problem: str = ""
    activity: usage.Activity = usage.Activity(0, 0, 0, 0, 0, 0)
    activity_problem: str = ""
    # Provenance (bildgen/provenance): what every image's marks and Content Credentials say.
    organisation: str = ""
    person: str = "nothing"
    include_prompts: bool = False
    allow_plain_download: bool = False
    # Who signs: the organisation's certificate, or the test certificate (never the key).
    signer: str = ""

    def _show(self, general: settings.GeneralSettings) -> None:
        self.generation_enabled = general.generation_enabled
        self.view_links_enabled = general.view_links_enabled
        self.paused_message = general.paused_message
        self.currency = general.currency

    def _show_provenance(self, chosen: provenance_settings.ProvenanceSettings) -> None:
        self.organisation, self.person = chosen.organisation, chosen.person
        self.include_prompts, self.allow_plain_download = chosen.include_prompts, chosen.allow_plain_download

    async def _load(self) -> None:
        services = get_services()
        try:
            general = await asyncio.to_thread(settings.read, services.engine)
            chosen = await asyncio.to_thread(provenance_settings.read, services.engine)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        self._show(general)
        self._show_provenance(chosen)
        await self._show_signer()

    async def _show_signer(self) -> None:
        marker = get_services().images.marker
        if marker is not None:
            _chosen, identity = await asyncio.to_thread(marker.current, True)
            self.signer = identity.signer_name

    async def _change(self, user: User, changes: dict, done: str, *, update=settings.update, show=None) -> None:
        """Save `changes` with `update` (a core function: engine, changes, actor, address) off the event
        loop, then show what was saved (`show`, default: the general settings) or why not."""
        try:
            saved = await asyncio.to_thread(
                update,
                get_services().engine,
                changes,
                actor_id=user.id,
                address=self._client_address(),
            )
        except (settings.SettingsRefused, provenance_settings.ProvenanceRefused) as refused:
            self.refusal, self.notice = str(refused), ""
            return
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return
        (show or self._show)(saved)
        self.refusal, self.notice = "", done

    async def _check_health(self) -> None:
        services = await asyncio.to_thread(get_services)
        found = await health.readiness(services.engine, services.settings.data_dir, services.settings.redis_url)
        self.health = [
            HealthRow(
                name=_(CHECK_NAMES.get(name, name)),
                ok=state == health.OK,
                detail=_("OK") if state == health.OK else state,
            )
            for name, state in found.items()
        ]
        try:
            now = await asyncio.to_thread(usage.activity, services.engine)
        except FAILURES:
            self.activity_problem = _(UNREADABLE)
            return
        self.activity, self.activity_problem = now, ""

    @rx.event(background=True)
    @checks_inside
    async def check_services(self):
        """How many offered profiles' services answer (remembered answers younger than a minute, the
        others asked now), outside the tab's lock."""
        if not await self._background_administrator():
            return
        config = (await asyncio.to_thread(get_services)).config
        try:
            live = await asyncio.to_thread(config.refresh)
        except FAILURES:
            async with self:
                self.services_problem = _(UNREADABLE)
            return
        offered = [entry for entry in live.entries if entry.profile is None or entry.profile.enabled]
        found = [health.status for health in (await service_health.check_all(offered)).values()]
        async with self:
            self.services_checked, self.services_problem = True, ""
            self.services_reachable = found.count(service_health.REACHABLE)
            self.services_down = found.count(service_health.NOT_ANSWERING)
            self.services_unset = found.count(service_health.NOT_SET_UP)

    @rx.event
    @administrator
    async def open_overview(self):
        self.notice = ""
        await self._check_health()
        await self._load()
        return OverviewState.check_services

    @rx.event
    @administrator
    async def check_health(self):
        await self._check_health()
        return OverviewState.check_services

    @rx.event
    @administrator
    async def set_generation(self, user: User, enabled: bool):
        enabled = enabled is True
        await self._change(
            user,
            {"generation_enabled": enabled},
            _("Image generation is on.") if enabled else _("Image generation is off: users see the message below."),
        )

    @rx.event
    @administrator
    async def set_view_links(self, user: User, enabled: bool):
        enabled = enabled is True
        await self._change(
            user,
            {"view_links_enabled": enabled},
            _("Owners may now make view-only links for people without an account.")
            if enabled
            else _("View-only links are off: every link made so far opens nothing until they are on again."),
        )

    @rx.event
    @administrator
    async def save_provenance(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        changes = {
            "organisation": str(form.get("organisation", "")),
            "person": str(form.get("person", "nothing")),
            # A checkbox is in the form only when ticked.
            "include_prompts": bool(form.get("include_prompts")),
            "allow_plain_download": bool(form.get("allow_plain_download")),
        }
        await self._change(user, changes, _("Saved."), update=provenance_settings.update, show=self._show_provenance)

    @rx.event
    @administrator
    async def save_signing_certificate(self, user: User, form: dict):
        """The organisation's certificate chain and private key (PEM); the key is stored encrypted."""
        form = form if isinstance(form, dict) else {}
        services = get_services()
        try:
            await asyncio.to_thread(
                provenance_settings.set_signing_credentials,
                services.engine,
                services.keys,
                str(form.get("certificate", "")),
                str(form.get("private_key", "")),
                actor_id=user.id,
                address=self._client_address(),
            )
        except provenance_settings.ProvenanceRefused as refused:
            self.refusal, self.notice = str(refused), ""
            return
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return
        await self._show_signer()
        self.refusal, self.notice = "", _("Images are signed with this certificate from now on.")

    @rx.event
    @administrator
    async def save_general(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        changes = {name: form[name] for name in ("paused_message", "currency") if name in form}
        await self._change(user, changes, _("Saved."))
