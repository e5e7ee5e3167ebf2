"""Upscale ×2 / ×4 from a result card, the lightbox or the gallery: one click, the administrator's upscaler.

The job goes through bildgen.generation.upscale like the API's; in the studio it lands on top of
the run feed like any run, in the gallery the "Generating now" box follows it.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from bildgen.generation.upscale import FACTORS, submit_upscale
from bildgen.i18n import _
from bildgen.jobs import views
from bildgen.refusal import Refusal
from bildgen.services import get_services
from bildgen.state.gallery import GalleryState
from bildgen.state.guards import signed_in
from bildgen.state.lightbox import LightboxState
from bildgen.state.session import SessionState
from bildgen.state.studio import StudioState
from bildgen.store.models import User


def _factor(value: object) -> int | None:
    try:
        factor = int(str(value))
    except ValueError:
        return None
    return factor if factor in FACTORS else None


class UpscaleState(SessionState):
    async def _queue(self, owner_id: str, image_id: str, factor: int) -> tuple[str | None, str]:
        """The new job's id, or None and why not (in the user's language)."""
        services = await asyncio.to_thread(get_services)
        try:
            job_id = await asyncio.to_thread(
                submit_upscale,
                services.engine,
                services.files,
                services.references,
                services.catalog,
                owner_id=owner_id,
                image_id=image_id,
                factor=factor,
            )
        except Refusal as refused:  # the upscale's own, the queue's or storage's: each says why
            return None, refused.message
        services.runner.wake()
        return job_id, ""

    async def _show_in_studio(self, owner_id: str, job_id: str):
        studio = await self.get_state(StudioState)
        found = await asyncio.to_thread(views.run, get_services().engine, job_id, owner_id=owner_id)
        studio.run_error = ""
        return studio._put_on_top(job_id, studio._card(found) if found else None)

    @rx.event
    @signed_in
    async def upscale_result(self, user: User, image_id: str, factor: int):
        """Upscale on a result card in the studio."""
        chosen = _factor(factor)
        if chosen is None:
            return
        job_id, problem = await self._queue(user.id, str(image_id), chosen)
        if job_id is None:
            (await self.get_state(StudioState)).run_error = problem
            return
        return await self._show_in_studio(user.id, job_id)

    @rx.event
    @signed_in
    async def upscale_shown(self, user: User, factor: int):
        """Upscale in the lightbox: the image shown, from the studio or the gallery."""
        chosen = _factor(factor)
        lightbox = await self.get_state(LightboxState)
        if chosen is None or not lightbox.detail.id:
            return
        job_id, problem = await self._queue(user.id, lightbox.detail.id, chosen)
        if job_id is None:
            lightbox.message = problem
            return
        lightbox.is_open = False
        if lightbox.in_gallery:
            gallery = await self.get_state(GalleryState)
            gallery.message = _(
                "Upscale ×{factor} queued: the larger image appears here when it is ready.", factor=chosen
            )
            return GalleryState.watch_jobs
        return await self._show_in_studio(user.id, job_id)
