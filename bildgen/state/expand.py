"""Expand from the lightbox: the padded canvas and the new area's mask go into the studio's form.

There the mask painter adjusts the mask ("Edit mask") before Generate sends the edit, on the
studio's model (which must take a mask). The canvas keeps the source's lineage.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from bildgen.cpu import in_image_pool
from bildgen.generation.expand import AMOUNTS, SIDES, ExpandRefused, editor_of, prepare_expand
from bildgen.services import get_services
from bildgen.state.guards import public, signed_in
from bildgen.state.lightbox import LightboxState
from bildgen.state.session import SessionState
from bildgen.state.studio import StudioState, mask_card, reference_card
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User

ASPECTS = ("16:9", "4:3", "1:1", "3:4", "9:16")
BY_SIDES = "sides"


class ExpandState(SessionState):
    sides: list[str] = list(SIDES)
    amount: str = "0.25"
    # BY_SIDES, or one of ASPECTS: pad to that aspect ratio instead.
    aspect: str = BY_SIDES

    @rx.event
    @public
    def toggle_side(self, side: str, on: bool) -> None:
        if side in SIDES:
            self.sides = [name for name in SIDES if (name == side and on) or (name != side and name in self.sides)]

    @rx.event
    @public
    def set_amount(self, value: str) -> None:
        if value in {str(amount) for amount in AMOUNTS}:
            self.amount = value

    @rx.event
    @public
    def set_aspect(self, value: str) -> None:
        if value == BY_SIDES or value in ASPECTS:
            self.aspect = value

    @rx.event
    @signed_in
    async def prepare(self, user: User):
        """The image shown in the lightbox, expanded as chosen, into the studio's form with its mask."""
        lightbox = await self.get_state(LightboxState)
        studio = await self.get_state(StudioState)
        studio._ensure_ready(user)
        services = await asyncio.to_thread(get_services)
        aspect = None
        if self.aspect != BY_SIDES:
            width, height = self.aspect.split(":")
            aspect = (int(width), int(height))
        amounts = {side: float(self.amount) for side in self.sides}
        try:
            profile = editor_of(services.catalog, studio.model_id)
            prepared = await in_image_pool(
                lambda: prepare_expand(
                    services.engine,
                    services.files,
                    services.references,
                    profile,
                    owner_id=user.id,
                    image_id=lightbox.detail.id,
                    amounts=amounts,
                    aspect=aspect,
                )
            )
        except ExpandRefused as refused:
            lightbox.message = refused.message
            return
        except StorageUnavailable as unavailable:
            lightbox.message = unavailable.user_message
            return
        studio.prompt = prepared.prompt
        studio.references = [reference_card(prepared.reference)]
        studio.mask = mask_card(prepared.mask)
        studio.width, studio.height, studio.image_count = str(prepared.width), str(prepared.height), "1"
        studio.reference_message = ""
        studio._refresh()
        return lightbox._back_to_studio()
