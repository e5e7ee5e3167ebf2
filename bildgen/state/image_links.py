"""View-only links to the image the lightbox shows (the owner's own, in the gallery): a thin state over
bildgen.boards.links, which checks that the image is the user's and that links are switched on."""

from __future__ import annotations

import asyncio

import reflex as rx

from bildgen import routes
from bildgen.boards import links
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.boards import LinkCard, link_card
from bildgen.state.guards import public, signed_in
from bildgen.state.lightbox import LightboxState
from bildgen.state.session import SessionState
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User


class ImageLinkState(SessionState):
    links_enabled: bool = False
    view_links: list[LinkCard] = []
    link_days: str = "7"
    # The link just made: its token is shown this once (only its hash is stored).
    new_link_url: str = ""
    message: str = ""

    async def _image_id(self) -> str:
        """The image the lightbox shows; its ownership is checked again by bildgen.boards.links."""
        return (await self.get_state(LightboxState)).detail.id

    async def _refresh(self, user_id: str, image_id: str) -> None:
        engine = get_services().engine
        self.links_enabled = await asyncio.to_thread(links.enabled, engine)
        made = await asyncio.to_thread(links.links_of, engine, user_id, image_id=image_id) if image_id else []
        self.view_links = [link_card(link) for link in made]

    @rx.event
    @signed_in
    async def open_image_links(self, user: User):
        self.new_link_url, self.message = "", ""
        try:
            await self._refresh(user.id, await self._image_id())
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message

    @rx.event
    @public
    def set_link_days(self, value: str):
        self.link_days = str(value) if str(value) in {str(days) for days in links.LIFETIMES_DAYS} else "7"

    @rx.event
    @signed_in
    async def make_view_link(self, user: User):
        image_id = await self._image_id()
        self.new_link_url = ""
        try:
            made = await asyncio.to_thread(
                links.create,
                get_services().engine,
                user.id,
                image_id=image_id,
                days=int(self.link_days),
                address=self._client_address(),
            )
        except links.LinkRefused as refused:
            self.message = _(str(refused))
            return
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if made is None:
            self.message = _("That image does not exist (any more).")
            return
        token, _summary = made
        self.new_link_url = f"{self.router.url.origin}{routes.view_link_page(token)}"
        self.message = _("Link made. Copy it now: it is shown only this once.")
        await self._refresh(user.id, image_id)

    @rx.event
    @signed_in
    async def revoke_view_link(self, user: User, link_id: str):
        try:
            revoked = await asyncio.to_thread(
                links.revoke, get_services().engine, user.id, str(link_id), address=self._client_address()
            )
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if revoked:
            self.new_link_url = ""
            self.message = _("Link revoked: it opens nothing any more.")
        await self._refresh(user.id, await self._image_id())
