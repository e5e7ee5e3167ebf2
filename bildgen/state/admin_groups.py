"""The Groups page: make, rename and delete groups, put people in them, restrict a group's models,
give it a quota, and read usage per group and profile (with its CSV export). A thin state over
bildgen.groups; the role is checked in every event, and a group acted on is looked up by id in the
list this page shows, never taken on trust."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from urllib.parse import urlencode

import reflex as rx

from bildgen import i18n, routes
from bildgen.admin import usage
from bildgen.groups import core as groups
from bildgen.groups import report
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.admin_area import FAILURES, UNREADABLE, AdminState
from bildgen.state.guards import administrator
from bildgen.store.models import User

NO_QUOTA = "none"


@dataclasses.dataclass
class GroupRow:
    id: str
    name: str
    members: list[str]
    models: str  # "All models" or the allowed labels
    quota: str  # "50 images per day, all members together" or "No group quota"
    from_claim: bool


@dataclasses.dataclass
class ModelCheck:
    id: str
    label: str
    checked: bool


@dataclasses.dataclass
class ReportRow:
    group: str
    profile: str
    runs: int
    images: int
    cost: str


def _models_text(info: groups.GroupInfo, labels: dict[str, str]) -> str:
    if not info.restricts_models:
        return _("All models")
    if not info.models:
        return _("No model")
    return ", ".join(labels.get(profile, profile) for profile in info.models)


def _quota_text(info: groups.GroupInfo) -> str:
    if info.quota_period is None:
        return _("No group quota")
    period = _(usage.PERIODS[info.quota_period])
    return _("{images} {period}, all members together", images=usage.images_text(info.quota_images or 0), period=period)


class GroupsState(AdminState):
    rows: list[GroupRow] = []
    # The group being edited (its id from `rows`), and what its editor shows.
    selected_id: str = ""
    selected_name: str = ""
    selected_members: list[str] = []
    selected_restricts: bool = False
    model_checks: list[ModelCheck] = []
    selected_period: str = NO_QUOTA
    selected_quota: str = ""
    # The usage report: its days (ISO dates, both included), lines and the CSV's address.
    report_from: str = ""
    report_to: str = ""
    report_rows: list[ReportRow] = []
    csv_path: str = ""

    async def _show(self) -> None:
        services = await asyncio.to_thread(get_services)
        try:
            live = await asyncio.to_thread(services.config.refresh)
            found = await asyncio.to_thread(groups.list_groups, services.engine)
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        labels = {key: profile.label for key, profile in live.catalog.models.items() if not profile.is_upscaler}
        self.rows = [
            GroupRow(info.id, info.name, info.members, _models_text(info, labels), _quota_text(info), info.from_claim)
            for info in found
        ]
        selected = next((info for info in found if info.id == self.selected_id), None)
        if selected is None:
            self.selected_id = ""
        else:
            self.selected_name, self.selected_members = selected.name, selected.members
            self.selected_restricts = selected.restricts_models
            self.model_checks = [ModelCheck(key, label, key in selected.models) for key, label in labels.items()]
            self.selected_period = selected.quota_period or NO_QUOTA
            self.selected_quota = "" if selected.quota_images is None else str(selected.quota_images)
        await self._show_report(live)

    async def _show_report(self, live) -> None:
        if not self.report_from or not self.report_to:
            today = datetime.now(UTC).date()
            self.report_from, self.report_to = today.replace(day=1).isoformat(), today.isoformat()
        start, end = report.date_range(self.report_from, self.report_to)
        services = await asyncio.to_thread(get_services)
        try:
            lines = await asyncio.to_thread(
                report.report, services.engine, start=start, end=end, profiles=live.catalog.models
            )
        except FAILURES:
            self.refusal = _(UNREADABLE)
            return
        currency = live.general.currency
        self.report_rows = [
            ReportRow(
                line.group or _("(no group)"),
                line.profile,
                line.runs,
                line.images,
                "—" if line.cost is None else f"{i18n.format_number(line.cost, self.lang, decimals=2)} {currency}",
            )
            for line in lines
        ]
        query = urlencode({"from": self.report_from, "to": self.report_to})
        self.csv_path = routes.upload_path(routes.USAGE_CSV_ROUTE) + "?" + query

    def _listed(self, group_id: str) -> GroupRow | None:
        return next((row for row in self.rows if row.id == str(group_id)), None)

    async def _change(self, change, done: str) -> None:
        """Run `change(engine, address)` (blocking), say what happened, show the groups as they are now."""
        services, address = await asyncio.to_thread(get_services), self._client_address()
        if await self._saved(lambda: change(services.engine, address), done, (groups.GroupRefused,)):
            await self._show()

    @rx.event
    @administrator
    async def open_groups(self):
        self.notice, self.selected_id = "", ""
        await self._show()

    @rx.event
    @administrator
    async def create_group(self, user: User, form: dict):
        name = str((form or {}).get("name", ""))[: groups.MAX_NAME * 2]
        made: list[str] = []

        def change(engine, address):
            made.append(groups.create(engine, name, actor_id=user.id, address=address).id)

        await self._change(change, _("Group {name} made.", name=" ".join(name.split())))
        if made:
            self.selected_id = made[0]
            await self._show()

    @rx.event
    @administrator
    async def edit_group(self, group_id: str):
        if self._listed(group_id) is not None:
            self.selected_id, self.notice, self.refusal = str(group_id), "", ""
            await self._show()

    @rx.event
    @administrator
    async def close_group(self):
        self.selected_id = ""

    @rx.event
    @administrator
    async def rename_group(self, user: User, form: dict):
        row, name = self._listed(self.selected_id), str((form or {}).get("name", ""))[: groups.MAX_NAME * 2]
        if row is not None:
            await self._change(
                lambda engine, address: groups.rename(engine, row.id, name, actor_id=user.id, address=address),
                _("Group renamed."),
            )

    @rx.event
    @administrator
    async def delete_group(self, user: User, group_id: str):
        row = self._listed(group_id)
        if row is not None:
            await self._change(
                lambda engine, address: groups.delete(engine, row.id, actor_id=user.id, address=address),
                _("Group {name} deleted.", name=row.name),
            )

    @rx.event
    @administrator
    async def add_member(self, user: User, form: dict):
        row, username = self._listed(self.selected_id), str((form or {}).get("username", ""))[:80]
        if row is not None:
            await self._change(
                lambda engine, address: groups.add_member(engine, row.id, username, actor_id=user.id, address=address),
                _("{name} is in {group} now.", name=username.strip().lower(), group=row.name),
            )

    @rx.event
    @administrator
    async def remove_member(self, user: User, member_name: str):
        """Take one of the people listed in the group shown out of it (by name, checked against the list)."""
        row, name = self._listed(self.selected_id), str(member_name)
        if row is not None and name in row.members:
            await self._change(
                lambda engine, address: groups.remove_member(engine, row.id, name, actor_id=user.id, address=address),
                _("{name} left {group}.", name=name, group=row.name),
            )

    @rx.event
    @administrator
    async def save_models(self, user: User, form: dict):
        row, form = self._listed(self.selected_id), form if isinstance(form, dict) else {}
        if row is None:
            return
        restricts = form.get("restricts") in ("on", True, "true")
        chosen = [check.id for check in self.model_checks if form.get(f"model:{check.id}") in ("on", True, "true")]
        known = [check.id for check in self.model_checks]
        await self._change(
            lambda engine, address: groups.set_models(
                engine, row.id, restricts=restricts, profile_ids=chosen, known=known, actor_id=user.id, address=address
            ),
            _("Models of {group} saved. They apply to the next generation.", group=row.name),
        )

    @rx.event
    @administrator
    async def save_quota(self, user: User, form: dict):
        row, form = self._listed(self.selected_id), form if isinstance(form, dict) else {}
        if row is None:
            return
        period = str(form.get("period", NO_QUOTA))
        max_images = None
        if period != NO_QUOTA:
            try:
                max_images = int(str(form.get("max_images", "")).strip())
            except ValueError:
                self.refusal, self.notice = _("The number of images is a whole number, e.g. 50."), ""
                return
        await self._change(
            lambda engine, address: groups.set_quota(
                engine,
                row.id,
                period=None if period == NO_QUOTA else period,
                max_images=max_images,
                actor_id=user.id,
                address=address,
            ),
            _("Quota of {group} saved. It applies to the next generation.", group=row.name),
        )

    @rx.event
    @administrator
    async def choose_range(self, form: dict):
        form = form if isinstance(form, dict) else {}
        first, last = str(form.get("from", ""))[:10], str(form.get("to", ""))[:10]
        try:
            report.date_range(first, last)
        except ValueError:
            self.refusal = _("Choose a first and a last day, at most {count} days apart.", count=report.MAX_DAYS)
            return
        self.report_from, self.report_to, self.refusal = first, last, ""
        services = await asyncio.to_thread(get_services)
        await self._show_report(await asyncio.to_thread(services.config.refresh))
