"""The packs page: the user's packs and everyone's shared ones; run one on a model with extra prompts,
export it, import one, share or delete one's own. A thin state over bildgen.batches.packs."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen import i18n, routes
from bildgen.batches import packs, runs
from bildgen.batches.items import MAX_INPUT_BYTES, InputRefused, parse_lines
from bildgen.batches.queueing import queue_batch
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.session import SessionState, user_for_token
from bildgen.state.studio import ModelChoice
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User


@dataclasses.dataclass
class PackCard:
    id: str
    name: str
    owner: str
    mine: bool
    shared: bool
    prompt_count: int
    updated: str
    export_path: str
    compare_link: str  # "" until the user has run it


def _choose_json_file() -> str:
    return _("Choose one JSON file of at most {size} MB.", size=MAX_INPUT_BYTES // (1024 * 1024))


def _card(view: packs.PackView) -> PackCard:
    return PackCard(
        id=view.id,
        name=view.name,
        owner=view.owner or _("a deleted account"),
        mine=view.mine,
        shared=view.shared,
        prompt_count=view.prompt_count,
        updated=i18n.format_utc(view.updated_at),
        export_path=routes.pack_export_path(view.id),
        compare_link=routes.batch_compare_page(view.latest_run) if view.latest_run else "",
    )


class PacksState(SessionState):
    packs: list[PackCard] = []
    models: list[ModelChoice] = []
    default_model: str = ""
    message: str = ""
    running: str = ""  # the pack being started

    async def _load(self, owner_id: str) -> None:
        views = await asyncio.to_thread(packs.visible, get_services().engine, owner_id=owner_id)
        self.packs = [_card(view) for view in views]

    @rx.event
    @signed_in
    async def open_packs(self, user: User):
        catalog = (await asyncio.to_thread(get_services)).catalog
        self.models = [ModelChoice(id=key, label=profile.label) for key, profile in catalog.models.items()]
        self.default_model = catalog.default_model
        self.message = ""
        await self._load(user.id)

    @rx.event(background=True)
    @checks_inside
    async def run_pack(self, form_data: dict):
        """The pack's prompts, then the extra ones typed, all on the chosen model: a new batch."""
        form_data = form_data if isinstance(form_data, dict) else {}
        pack_id = str(form_data.get("pack_id", ""))
        async with self:
            if self.running:
                return
            self.running, self.message, token = str(pack_id), "", self._session_token()
            self._in_tab_language()
        try:
            user = await user_for_token(token)
            if user is None:
                async with self:
                    yield self._to_sign_in()
                return
            services = await asyncio.to_thread(get_services)
            try:
                extra = parse_lines(str(form_data.get("extra", ""))[:MAX_INPUT_BYTES]).items
                batch_id = await asyncio.to_thread(
                    packs.run,
                    services.engine,
                    str(pack_id),
                    owner_id=user.id,
                    model=str(form_data.get("model") or services.catalog.default_model),
                    catalog=services.catalog,
                    extra=extra,
                )
            except (InputRefused, runs.BatchInvalid, StorageUnavailable) as problem:
                async with self:
                    self.message = (
                        problem.user_message
                        if isinstance(problem, StorageUnavailable)
                        else problem.plan.summary()
                        if isinstance(problem, runs.BatchInvalid)
                        else str(problem)
                    )
                return
            if batch_id is None:
                async with self:
                    self.message = _("That pack does not exist (any more).")
                return
            async with self:
                yield rx.redirect(routes.batch_page(batch_id))
            await queue_batch(batch_id, user.id)
        finally:
            async with self:
                self.running = ""

    @rx.event
    @signed_in
    async def set_shared(self, user: User, pack_id: str, shared: bool):
        try:
            await asyncio.to_thread(
                packs.set_shared, get_services().engine, str(pack_id), owner_id=user.id, shared=bool(shared)
            )
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        await self._load(user.id)

    @rx.event
    @signed_in
    async def delete_pack(self, user: User, pack_id: str):
        try:
            deleted = await asyncio.to_thread(packs.delete, get_services().engine, str(pack_id), owner_id=user.id)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        self.message = _("Pack deleted; the batches that ran it stay.") if deleted else ""
        await self._load(user.id)

    @rx.event
    @signed_in
    async def import_pack(self, user: User, files: list[rx.UploadFile]):
        if not files:
            self.message = _choose_json_file()
            return
        upload = files[0]
        data = await upload.read(MAX_INPUT_BYTES + 1)
        try:
            _pack_id, notes = await asyncio.to_thread(
                packs.import_document, get_services().engine, data, owner_id=user.id
            )
        except (InputRefused, packs.PackRefused) as refused:
            self.message = f"{upload.name}: {refused}"
            return
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        self.message = " ".join([_("Imported {name}.", name=upload.name), *notes])
        await self._load(user.id)

    @rx.event
    @public
    def import_rejected(self, rejected: list[dict]) -> None:
        self.message = _choose_json_file()
