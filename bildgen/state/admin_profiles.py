"""The Profiles page: the model profiles users choose from, made, changed, ordered, enabled and
previewed here. A thin state over bildgen.admin.profiles; the role is checked in every event."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import reflex as rx

from bildgen import i18n
from bildgen.admin import profiles, service_health
from bildgen.admin.live import CHANGED, FROM_ADMIN, LiveConfig, ProfileEntry
from bildgen.admin.providers import INFO
from bildgen.i18n import _, ngettext
from bildgen.params import QUALITY_PRESETS
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, NOT_SAVED, UNREADABLE, AdminState
from bildgen.state.guards import administrator, checks_inside
from bildgen.store.models import User

PREVIEW_PX = 40
# The editor's "no default quality" choice (a select's values cannot be empty); saved as none.
AS_THE_STUDIO_STARTS = "as-the-studio-starts"
QUALITY_LABELS = dict(QUALITY_PRESETS)


@dataclasses.dataclass
class SizePreview:
    label: str  # "1104 × 1472"
    width_px: int  # the box drawn for it, at most PREVIEW_PX on its longer side
    height_px: int
    is_default: bool


@dataclasses.dataclass
class ProfileRow:
    id: str
    label: str
    description: str
    origin: str
    provider: str
    model: str
    endpoint: str
    details: str  # references, quality, cost
    enabled: bool
    problem: str
    sizes: list[SizePreview]
    deletable: bool  # made in the Admin area
    resettable: bool  # a file's profile with changes
    test_result: str = ""
    test_ok: bool = False
    # Whether its service answers (bildgen.admin.service_health), as last checked.
    health: str = ""  # service_health.REACHABLE, NOT_ANSWERING or NOT_SET_UP (the page words it); "" not yet checked
    health_color: str = "gray"
    health_checked: str = ""  # "checked 2 minutes ago"
    health_detail: str = ""  # why not, when it does not answer


HEALTH_COLORS = {service_health.REACHABLE: "green", service_health.NOT_ANSWERING: "red"}


def _show_health(row: ProfileRow, health: service_health.ServiceHealth | None) -> None:
    if health is None:
        return
    row.health = health.status
    row.health_color = HEALTH_COLORS.get(health.status, "amber")
    row.health_checked = _("checked {ago}", ago=i18n.format_ago(health.checked_at))
    row.health_detail = "" if health.status == service_health.REACHABLE else health.message


@dataclasses.dataclass
class ProfileForm:
    """The editor's fields as text, as the form shows them."""

    label: str = ""
    description: str = ""
    provider: str = "openai-compatible"
    served_name: str = ""
    base_url: str = ""
    family: str = "generic"
    max_references: str = ""
    sizes: str = ""
    default_size: str = ""
    default_quality: str = ""
    cost_per_image: str = ""
    advanced: str = ""


def _box(label: str, width: float, height: float, is_default: bool) -> SizePreview:
    longer = max(width, height)
    return SizePreview(
        label=label,
        width_px=max(4, round(PREVIEW_PX * width / longer)),
        height_px=max(4, round(PREVIEW_PX * height / longer)),
        is_default=is_default,
    )


def _previews(entry: ProfileEntry) -> list[SizePreview]:
    """The sizes (or aspect ratios) the studio offers for the profile, drawn to scale."""
    if entry.profile is None:
        return []
    capabilities, default = entry.profile.capabilities(), entry.profile.traits().default_size
    if capabilities.sizes:
        return [_box(f"{w} × {h}", w, h, (w, h) == default) for w, h in capabilities.sizes]
    ratios = []
    for position, ratio in enumerate(capabilities.aspect_ratios):
        width, _, height = ratio.partition(":")
        if width.replace(".", "").isdigit() and height.replace(".", "").isdigit():
            ratios.append(_box(ratio, float(width), float(height), position == 0))
    return ratios


def _row(entry: ProfileEntry, currency: str) -> ProfileRow:
    profile, config = entry.profile, entry.config
    provider = str(config.get("provider", "openai-compatible"))
    details = []
    if profile is not None:
        references = profile.traits().max_references
        details.append(
            ngettext("takes up to {count} reference image", "takes up to {count} reference images", references)
            if references
            else _("text to image only")
        )
        quality = profile.default_quality or "balanced"
        details.append(
            _(
                "starts at {quality} quality",
                quality=_(QUALITY_LABELS[quality]) if quality in QUALITY_LABELS else quality,
            )
        )
        if profile.cost_per_image is not None:
            cost = i18n.format_number(profile.cost_per_image)
            details.append(_("{cost} {currency} per image", cost=cost, currency=currency))
    return ProfileRow(
        id=entry.id,
        label=profile.label if profile else str(config.get("label", entry.id)),
        description=str(config.get("description") or ""),
        origin=_(entry.origin),
        provider=_(INFO[provider].label) if provider in INFO else provider,
        model=str(config.get("served_name") or _("the model its server lists")),
        endpoint=str(profile.base_url) if profile else str(config.get("base_url") or ""),
        details=" · ".join(details),
        enabled=bool(profile and profile.enabled),
        problem=entry.problem,
        sizes=_previews(entry),
        deletable=entry.origin == FROM_ADMIN,
        resettable=entry.origin in CHANGED,
    )


def _form(entry: ProfileEntry) -> ProfileForm:
    config = entry.config
    advanced = profiles.advanced_config(config)

    def text(key: str) -> str:
        value = config.get(key)
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return ProfileForm(
        label=text("label"),
        description=text("description"),
        provider=text("provider") or "openai-compatible",
        served_name=text("served_name"),
        base_url=text("base_url"),
        family=text("family") or "generic",
        max_references=text("max_references"),
        sizes=", ".join(config.get("sizes") or []),
        default_size=text("default_size"),
        default_quality=text("default_quality"),
        cost_per_image=text("cost_per_image"),
        advanced=json.dumps(advanced, indent=2) if advanced else "",
    )


class ProfilesState(AdminState):
    rows: list[ProfileRow] = []
    currency: str = ""
    # The editor: shown while editing; "" for a new profile.
    editing: bool = False
    editing_id: str = ""
    editing_label: str = ""
    form: ProfileForm = ProfileForm()
    # Changes with every opening of the editor, so its fields show the new defaults.
    form_key: int = 0

    async def _live(self, *, fresh: bool = True) -> LiveConfig | None:
        config = (await asyncio.to_thread(get_services)).config
        try:
            return await asyncio.to_thread(config.refresh) if fresh else config.current()
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return None

    async def _show(self) -> LiveConfig | None:
        live = await self._live()
        if live is not None:
            results = {row.id: (row.test_result, row.test_ok) for row in self.rows}
            self.currency = live.general.currency
            self.rows = [_row(entry, live.general.currency) for entry in live.entries]
            for row, entry in zip(self.rows, live.entries, strict=True):
                row.test_result, row.test_ok = results.get(row.id, ("", False))
                _show_health(row, service_health.known(entry))
        return live

    async def _apply(self, change, done: str) -> bool:
        """Run a change (a function of the LiveConfig) off the event loop; say what happened."""
        live = await self._live()
        if live is None:
            return False
        try:
            await asyncio.to_thread(change, live)
        except profiles.ProfileRefused as refused:
            self.refusal, self.notice = str(refused), ""
            return False
        except FAILURES:
            self.refusal, self.notice = _(NOT_SAVED), ""
            return False
        self.refusal, self.notice = "", done
        await self._show()
        return True

    def _label_of(self, profile_id: str) -> str:
        return next((row.label for row in self.rows if row.id == profile_id), profile_id)

    @rx.event
    @administrator
    async def open_profiles(self):
        self.notice, self.editing = "", False
        await self._show()
        return ProfilesState.check_services

    @rx.event(background=True)
    @checks_inside
    async def check_services(self):
        """Whether each profile's service answers: remembered answers younger than a minute, the others
        asked now, all at once, outside the tab's lock."""
        if not await self._background_administrator():
            return
        config = (await asyncio.to_thread(get_services)).config
        try:
            live = await asyncio.to_thread(config.refresh)
        except FAILURES:
            return  # the page says it cannot read the configuration already
        found = await service_health.check_all(live.entries)
        async with self:
            for row in self.rows:
                _show_health(row, found.get(row.id))
            self.rows = list(self.rows)

    @rx.event
    @administrator
    async def new_profile(self):
        self.editing, self.editing_id, self.editing_label = True, "", ""
        self.form, self.form_key = ProfileForm(), self.form_key + 1
        self.notice = self.refusal = ""

    @rx.event
    @administrator
    async def edit_profile(self, profile_id: str):
        live = await self._live()
        entry = live.entry(str(profile_id)) if live else None
        if entry is None:
            self.refusal = _("That profile does not exist (any more).")
            return
        self.editing, self.editing_id, self.editing_label = True, entry.id, self._label_of(entry.id)
        self.form, self.form_key = _form(entry), self.form_key + 1
        self.notice = self.refusal = ""

    @rx.event
    @administrator
    async def cancel_edit(self):
        self.editing = False

    @rx.event
    @administrator
    async def save_profile(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        if form.get("default_quality") == AS_THE_STUDIO_STARTS:
            form = {**form, "default_quality": ""}
        engine, address, profile_id = get_services().engine, self._client_address(), self.editing_id
        # What was typed stays in the editor whether or not it can be saved.
        self.form = ProfileForm(**{name: str(form.get(name, "")) for name in ProfileForm.__dataclass_fields__})

        def change(live: LiveConfig) -> None:
            entry = live.entry(profile_id) if profile_id else None
            enabled = bool(entry.config.get("enabled", True)) if entry else True
            config = profiles.config_from_form(form, enabled=enabled)
            if profile_id:
                profiles.update(engine, live, profile_id, config, actor_id=user.id, address=address)
            else:
                profiles.create(engine, live, config, actor_id=user.id, address=address)

        label = str(form.get("label", "")).strip()
        if await self._apply(
            change, _("Saved {profile}. Open studios show the change within a few seconds.", profile=label)
        ):
            self.editing = False
            return ProfilesState.check_services  # a new or moved endpoint: is it there?

    @rx.event
    @administrator
    async def set_profile_enabled(self, user: User, profile_id: str, enabled: bool):
        engine, address, profile_id, enabled = (
            get_services().engine,
            self._client_address(),
            str(profile_id),
            enabled is True,
        )
        label = self._label_of(profile_id)
        await self._apply(
            lambda live: profiles.set_enabled(engine, live, profile_id, enabled, actor_id=user.id, address=address),
            _("{profile} is offered again.", profile=label)
            if enabled
            else _("{profile} is no longer offered; the queue refuses new jobs for it.", profile=label),
        )

    @rx.event
    @administrator
    async def move_profile(self, user: User, profile_id: str, steps: int):
        engine, address, profile_id = get_services().engine, self._client_address(), str(profile_id)
        steps = -1 if steps == -1 else 1
        await self._apply(
            lambda live: profiles.move(engine, live, profile_id, steps, actor_id=user.id, address=address),
            _("Moved {profile} up.", profile=self._label_of(profile_id))
            if steps < 0
            else _("Moved {profile} down.", profile=self._label_of(profile_id)),
        )

    @rx.event
    @administrator
    async def remove_profile(self, user: User, profile_id: str):
        engine, address, profile_id = get_services().engine, self._client_address(), str(profile_id)
        row = next((row for row in self.rows if row.id == profile_id), None)
        done = (
            _("Deleted {profile}.", profile=row.label)
            if row is not None and row.deletable
            else _("{profile} is back to the configuration file's version.", profile=self._label_of(profile_id))
        )
        await self._apply(
            lambda live: profiles.remove(engine, live, profile_id, actor_id=user.id, address=address), done
        )

    @rx.event(background=True)
    @checks_inside
    async def test_profile(self, profile_id: str):
        """Probe the profile's service as a job would reach it, outside the tab's lock."""
        profile_id = str(profile_id)
        if not await self._background_administrator():
            return
        async with self:
            self._set_result(profile_id, _("Testing…"), False)
        config = (await asyncio.to_thread(get_services)).config
        try:
            live = await asyncio.to_thread(config.refresh)
        except FAILURES:
            async with self:
                self._set_result(profile_id, _(UNREADABLE), False)
            return
        entry = live.entry(profile_id)
        if entry is None or entry.profile is None:
            message = entry.problem if entry else _("That profile does not exist (any more).")
            async with self:
                self._set_result(profile_id, message, False)
            return
        health = await service_health.check(entry, max_age_s=0)
        async with self:
            self._set_result(profile_id, health.message, health.status == service_health.REACHABLE, health)

    def _set_result(
        self, profile_id: str, message: str, ok: bool, health: service_health.ServiceHealth | None = None
    ) -> None:
        for row in self.rows:
            if row.id == profile_id:
                row.test_result, row.test_ok = message, ok
                _show_health(row, health)
        self.rows = list(self.rows)
