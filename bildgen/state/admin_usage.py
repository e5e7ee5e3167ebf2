"""The Usage page: images, GPU-seconds, failures and estimated cost per user and per profile for a
month, and the quotas. A thin state over bildgen.admin.usage; the role is checked in every event."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import reflex as rx

from bildgen import i18n
from bildgen.admin import settings, usage
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, UNREADABLE, AdminState
from bildgen.state.guards import administrator
from bildgen.store.models import User

MONTHS_SHOWN = 12
ALL_PROFILES = "__all__"


@dataclasses.dataclass
class UsageRow:
    label: str
    images: int
    gpu_seconds: str
    failures: int
    cost: str


@dataclasses.dataclass
class QuotaRow:
    id: int
    text: str  # "50 images per day, all profiles together"


@dataclasses.dataclass
class ProfileOption:
    id: str
    label: str


def _months(now: datetime) -> list[str]:
    months, year, month = [], now.year, now.month
    for _month in range(MONTHS_SHOWN):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _money(value: float | None, currency: str, language: str) -> str:
    return "—" if value is None else f"{i18n.format_number(value, language, decimals=2)} {currency}"


def _rows(lines: list[usage.UsageLine], currency: str, language: str) -> list[UsageRow]:
    return [
        UsageRow(
            line.label,
            line.images,
            i18n.format_number(line.gpu_seconds, language, decimals=1),
            line.failures,
            _money(line.cost, currency, language),
        )
        for line in lines
    ]


def _quota_text(rule, profiles) -> str:
    """ "50 images per day per user, all profiles together", in the current user's language."""
    scope = (
        _("with {profile}", profile=profiles[rule.profile_id].label if rule.profile_id in profiles else rule.profile_id)
        if rule.profile_id
        else _("all profiles together")
    )
    period = _(usage.PERIODS[rule.period]) if rule.period in usage.PERIODS else rule.period
    return _(
        "{images} {period} per user, {scope}", images=usage.images_text(rule.max_images), period=period, scope=scope
    )


class UsageState(AdminState):
    month: str = ""
    months: list[str] = []
    by_user: list[UsageRow] = []
    by_profile: list[UsageRow] = []
    total_cost: str = ""
    quotas: list[QuotaRow] = []
    profile_options: list[ProfileOption] = []
    admins_exempt: bool = False

    async def _show(self) -> None:
        services = await asyncio.to_thread(get_services)
        now = datetime.now(UTC)
        self.months = _months(now)
        if self.month not in self.months:
            self.month = self.months[0]
        year, month = (int(part) for part in self.month.split("-"))
        start, end = usage.period_bounds("month", datetime(year, month, 1, tzinfo=UTC))
        try:
            live = await asyncio.to_thread(services.config.refresh)
            profiles = live.catalog.models
            report = await asyncio.to_thread(usage.usage, services.engine, start=start, end=end, profiles=profiles)
            rules = await asyncio.to_thread(usage.rules, services.engine)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        currency, language = live.general.currency, self.lang
        self.by_user = _rows(report.by_user, currency, language)
        self.by_profile = _rows(report.by_profile, currency, language)
        self.total_cost = _money(report.total_cost, currency, language)
        self.admins_exempt = live.general.admins_exempt
        self.profile_options = [ProfileOption(key, profile.label) for key, profile in profiles.items()]
        self.quotas = [QuotaRow(rule.id, _quota_text(rule, profiles)) for rule in rules]

    async def _change(self, change, done: str) -> None:
        services = await asyncio.to_thread(get_services)
        if await self._saved(lambda: change(services), done, (usage.QuotaRefused, settings.SettingsRefused)):
            await self._show()

    @rx.event
    @administrator
    async def open_usage(self):
        self.notice = ""
        await self._show()

    @rx.event
    @administrator
    async def choose_month(self, month: str):
        if month in self.months:
            self.month = month
        await self._show()

    @rx.event
    @administrator
    async def add_quota(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        profile = str(form.get("profile", ALL_PROFILES))
        period = str(form.get("period", "day"))
        try:
            max_images = int(str(form.get("max_images", "")).strip())
        except ValueError:
            self.refusal, self.notice = _("The number of images is a whole number, e.g. 50."), ""
            return
        address = self._client_address()
        await self._change(
            lambda services: usage.add_rule(
                services.engine,
                profile_id=None if profile == ALL_PROFILES else profile,
                period=period,
                max_images=max_images,
                profiles=services.catalog.models,
                actor_id=user.id,
                address=address,
            ),
            _("Quota added. It applies to the next generation."),
        )

    @rx.event
    @administrator
    async def remove_quota(self, user: User, rule_id: int):
        if not any(row.id == rule_id for row in self.quotas):
            return
        address = self._client_address()
        await self._change(
            lambda services: usage.remove_rule(
                services.engine, int(rule_id), profiles=services.catalog.models, actor_id=user.id, address=address
            ),
            _("Quota removed."),
        )

    @rx.event
    @administrator
    async def set_admins_exempt(self, user: User, exempt: bool):
        exempt, address = exempt is True, self._client_address()
        await self._change(
            lambda services: settings.update(
                services.engine, {"admins_exempt": exempt}, actor_id=user.id, address=address
            ),
            _("Administrators are exempt from quotas.") if exempt else _("Quotas apply to administrators too."),
        )
