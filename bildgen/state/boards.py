"""Boards in the gallery: the board list and filter, making and sharing boards, multi-select and the
bulk actions (add or move to a board, favourite, delete, download as ZIP).

The selection is ids (or "all matching the filter", resolved on the server), never image bytes.
Every action goes through bildgen.boards / bildgen.store, which check the acting user's rights; the
browser never names an owner.
"""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import urlencode

import reflex as rx

from bildgen import routes
from bildgen.boards import core as boards
from bildgen.boards import links, sharing
from bildgen.groups import core as groups
from bildgen.i18n import _, ngettext
from bildgen.services import get_services
from bildgen.state.gallery import BOARD_ID, GalleryState
from bildgen.state.guards import public, signed_in
from bildgen.state.session import SessionState
from bildgen.store import gallery
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import BoardVisibility, User

NO_BOARD = "__none__"
# "Select all matching" resolves at most this many images on the server (a whole 50k gallery is fine).
MAX_MATCHING = 100_000


@dataclasses.dataclass
class BoardCard:
    id: str = ""
    name: str = ""
    # "Campaign X (12)", others' boards with their owner: "Campaign X · anna (12)".
    label: str = ""
    count: int = 0
    mine: bool = False
    can_add: bool = False
    auto_add: bool = False
    visibility: str = BoardVisibility.PRIVATE
    archived: bool = False
    owner_name: str = ""


@dataclasses.dataclass
class MemberCard:
    user_id: str
    username: str
    can_add: bool


@dataclasses.dataclass
class GroupShareCard:
    group_id: str
    name: str
    can_add: bool


@dataclasses.dataclass
class GroupOption:
    id: str
    name: str


def _card(summary: boards.BoardSummary) -> BoardCard:
    owner = "" if summary.mine else f" · {summary.owner_name}"
    return BoardCard(
        id=summary.id,
        name=summary.name,
        label=f"{summary.name}{owner} ({summary.count})",
        count=summary.count,
        mine=summary.mine,
        can_add=summary.can_add,
        auto_add=summary.auto_add,
        visibility=summary.visibility,
        archived=summary.archived,
        owner_name=summary.owner_name,
    )


@dataclasses.dataclass
class LinkCard:
    """One of the owner's view-only links as their list shows it (never its token)."""

    id: str
    made: str
    until: str
    # "active", "expired" or "revoked"
    status: str


def link_card(summary: links.LinkSummary) -> LinkCard:
    status = "revoked" if summary.revoked else "expired" if summary.expired else "active"
    when = "%Y-%m-%d %H:%M UTC"
    return LinkCard(summary.id, summary.created_at.strftime(when), summary.expires_at.strftime(when), status)


@dataclasses.dataclass(frozen=True)
class _Lists:
    active: list[BoardCard]
    archived: list[BoardCard]
    members: list[MemberCard]
    links_enabled: bool
    links: list[LinkCard]
    group_shares: list[GroupShareCard]
    groups: list[GroupOption]


def _lists(viewer_id: str, current: str) -> _Lists:
    engine = get_services().engine
    active = [_card(summary) for summary in boards.boards_for(engine, viewer_id)]
    archived = [_card(summary) for summary in boards.boards_for(engine, viewer_id, archived=True)]
    shared = sharing.members(engine, viewer_id, current) if current else []
    enabled = links.enabled(engine)
    made = [link_card(link) for link in links.links_of(engine, viewer_id, board_id=current)] if current else []
    with_groups = sharing.group_shares(engine, viewer_id, current) if current else []
    return _Lists(
        active,
        archived,
        [MemberCard(m.user_id, m.username, m.can_add) for m in shared],
        enabled,
        made,
        [GroupShareCard(g.group_id, g.name, g.can_add) for g in with_groups],
        [GroupOption(group_id, name) for group_id, name in groups.names(engine)] if current else [],
    )


def _matching_ids(owner_id: str, filters: gallery.Filters) -> list[str]:
    """Every image the filter shows the user, by key a page at a time (blocking)."""
    engine, ids, cursor = get_services().engine, [], None
    while len(ids) < MAX_MATCHING:
        page = gallery.page(engine, owner_id, filters=filters, after=cursor, limit=1000)
        ids.extend(image.id for image, _ in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return ids


def _delete_all(owner_id: str, image_ids: list[str]) -> int:
    """Through the one delete path (rows, then files no row needs): no orphans. Only the user's own."""
    services, deleted = get_services(), 0
    for image_id in image_ids:
        deleted += gallery.delete_image(
            services.engine, owner_id, image_id, files=services.files, thumbnails=services.thumbnails
        )
    return deleted


def _favourite_all(owner_id: str, image_ids: list[str]) -> int:
    engine = get_services().engine
    return sum(gallery.set_favourite(engine, owner_id, image_id, True) for image_id in image_ids)


class BoardsState(SessionState):
    boards: list[BoardCard] = []
    archived_boards: list[BoardCard] = []
    # The board the gallery shows (?board=), when it is one the user may see.
    current: BoardCard = BoardCard()
    members: list[MemberCard] = []
    # The groups the board is shared with, and those it may be shared with (every group there is).
    group_shares: list[GroupShareCard] = []
    group_options: list[GroupOption] = []
    share_group: str = ""
    new_board_name: str = ""
    rename_to: str = ""
    share_name: str = ""
    share_can_add: bool = False
    # View-only links for people without an account (when the administrator allows them).
    links_enabled: bool = False
    view_links: list[LinkCard] = []
    link_days: str = "7"
    # The link just made: its token is shown this once (only its hash is stored).
    new_link_url: str = ""
    message: str = ""
    # The selection: ids of loaded tiles, or every image the filter matches: then held as that filter
    # (50k ids would overflow a websocket frame) and resolved on the server when acted on.
    selected: list[str] = []
    all_matching: bool = False
    matching_count: int = 0
    _matching_filters: gallery.Filters | None = None
    # The tile clicked last: Shift-click selects the range from it.
    _anchor: str = ""
    confirm_delete_open: bool = False

    @rx.var
    def auto_add_board(self) -> str:
        return next((board.id for board in self.boards if board.auto_add), NO_BOARD)

    @rx.var
    def addable_boards(self) -> list[BoardCard]:
        return [board for board in self.boards if board.can_add]

    @rx.var
    def selection_size(self) -> int:
        return self.matching_count if self.all_matching else len(self.selected)

    @rx.var
    def board_zip_url(self) -> str:
        path = routes.upload_path(routes.ZIP_ROUTE)
        return f"{path}?{urlencode({'board': self.current.id})}" if self.current.id else ""

    async def _refresh(self, user_id: str) -> None:
        gallery_state = await self.get_state(GalleryState)
        current = gallery_state.board_filter
        lists = await asyncio.to_thread(_lists, user_id, current)
        self.boards, self.archived_boards = lists.active, lists.archived
        self.current = next((board for board in [*lists.active, *lists.archived] if board.id == current), BoardCard())
        self.members = lists.members
        self.links_enabled, self.view_links = lists.links_enabled, lists.links
        self.group_shares, self.group_options = lists.group_shares, lists.groups
        self.rename_to = self.current.name

    @rx.event
    @signed_in
    async def open_boards(self, user: User):
        self.message, self.confirm_delete_open, self.new_link_url = "", False, ""
        self._clear_selection()
        await self._refresh(user.id)

    @rx.event
    @public
    def show_board(self, board_id: str):
        """The board picker: the gallery of one board (a link others can open too), or all images."""
        board_id = str(board_id)
        if BOARD_ID.fullmatch(board_id):
            return rx.redirect(f"{routes.GALLERY}?{urlencode({'board': board_id})}")
        return rx.redirect(routes.GALLERY)

    # ---- making and changing boards -----------------------------------------------------------

    @rx.event
    @public
    def set_new_board_name(self, value: str):
        self.new_board_name = str(value)[: boards.NAME_MAX]

    @rx.event
    @public
    def set_rename_to(self, value: str):
        self.rename_to = str(value)[: boards.NAME_MAX]

    async def _change(self, action, *args, **kwargs):  # -> result | None (message set)
        """Run a change in bildgen.boards off the event loop as the signed-in user; messages for refusals."""
        user = await self._user()
        if user is None:
            return None
        try:
            result = await asyncio.to_thread(action, get_services().engine, user.id, *args, **kwargs)
        except (boards.BoardRefused, sharing.ShareRefused, links.LinkRefused) as refused:
            self.message = _(str(refused))
            return None
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return None
        if result is None or result is False:
            self.message = _("That board does not exist (any more).")
        else:
            self.message = ""
        await self._refresh(user.id)
        return result

    @rx.event
    @signed_in
    async def create_board(self):
        made = await self._change(boards.create, self.new_board_name)
        if made is not None:
            self.new_board_name = ""
            self.message = _("Board “{name}” made.", name=made.name)
            await self._refresh(made.owner_id)

    @rx.event
    @signed_in
    async def rename_board(self):
        await self._change(boards.rename, self.current.id, self.rename_to)

    @rx.event
    @signed_in
    async def archive_board(self, archived: bool):
        await self._change(boards.set_archived, self.current.id, bool(archived))

    @rx.event
    @signed_in
    async def delete_board(self):
        if await self._change(boards.delete, self.current.id):
            return rx.redirect(routes.GALLERY)

    @rx.event
    @signed_in
    async def set_auto_add(self, board_id: str):
        board_id = str(board_id)
        await self._change(boards.set_auto_add, board_id if BOARD_ID.fullmatch(board_id) else None)

    # ---- sharing ------------------------------------------------------------------------------

    @rx.event
    @public
    def set_share_name(self, value: str):
        self.share_name = str(value)[:40]

    @rx.event
    @public
    def set_share_can_add(self, value: bool):
        self.share_can_add = bool(value)

    @rx.event
    @signed_in
    async def set_visibility(self, visibility: str):
        await self._change(sharing.set_visibility, self.current.id, str(visibility), address=self._client_address())

    @rx.event
    @signed_in
    async def share_board(self):
        shared = await self._change(
            sharing.share,
            self.current.id,
            self.share_name,
            can_add=self.share_can_add,
            address=self._client_address(),
        )
        if shared is not None:
            self.share_name = ""
            self.message = _("Shared with {name}.", name=shared.username)

    @rx.event
    @signed_in
    async def unshare_board(self, member_name: str):
        """Stop sharing with one of the people listed (by name; the server checks the board is the user's)."""
        member = next((member for member in self.members if member.username == str(member_name)), None)
        if member is None:
            return
        await self._change(sharing.unshare, self.current.id, member.user_id, address=self._client_address())

    # ---- view-only links ----------------------------------------------------------------------

    @rx.event
    @public
    def set_link_days(self, value: str):
        self.link_days = str(value) if str(value) in {str(days) for days in links.LIFETIMES_DAYS} else "7"

    @rx.event
    @signed_in
    async def make_view_link(self):
        """A link to the board shown, for people without an account; its address is shown once."""
        self.new_link_url = ""
        made = await self._change(
            links.create, board_id=self.current.id, days=int(self.link_days), address=self._client_address()
        )
        if made is not None:
            token, _summary = made
            self.new_link_url = f"{self.router.url.origin}{routes.view_link_page(token)}"
            self.message = _("Link made. Copy it now: it is shown only this once.")

    @rx.event
    @signed_in
    async def revoke_view_link(self, link_id: str):
        if await self._change(links.revoke, str(link_id), address=self._client_address()):
            self.new_link_url = ""
            self.message = _("Link revoked: it opens nothing any more.")

    @rx.event
    @public
    def set_share_group(self, group_id: str):
        self.share_group = str(group_id)[:32]

    @rx.event
    @signed_in
    async def share_with_group(self):
        """Share the board shown with the group chosen (the server checks the board is the user's)."""
        option = next((group for group in self.group_options if group.id == self.share_group), None)
        if option is None:
            self.message = _("Choose a group.")
            return
        shared = await self._change(
            sharing.share_with_group,
            self.current.id,
            option.id,
            can_add=self.share_can_add,
            address=self._client_address(),
        )
        if shared is not None:
            self.share_group = ""
            self.message = _("Shared with the group {name}.", name=shared.name)

    @rx.event
    @signed_in
    async def unshare_group(self, group_id: str):
        """Stop sharing with one of the groups listed."""
        share = next((share for share in self.group_shares if share.group_id == str(group_id)), None)
        if share is not None:
            await self._change(sharing.unshare_group, self.current.id, share.group_id, address=self._client_address())

    # ---- the selection ------------------------------------------------------------------------

    @rx.event
    @signed_in
    async def toggle_select(self, image_id: str, pointer: dict):
        """Click: this tile in or out. Shift-click: every loaded tile from the last one clicked to this."""
        image_id = str(image_id)
        loaded = (await self.get_state(GalleryState)).card_ids
        if image_id not in loaded:
            return
        shift = isinstance(pointer, dict) and pointer.get("shift_key") is True
        if self.all_matching:  # a click after "select all" starts a selection of its own
            self._clear_selection()
        if shift and self._anchor in loaded:
            start, end = sorted((loaded.index(self._anchor), loaded.index(image_id)))
            self.selected = list(dict.fromkeys([*self.selected, *loaded[start : end + 1]]))
        elif image_id in self.selected:
            self.selected = [item for item in self.selected if item != image_id]
        else:
            self.selected = [*self.selected, image_id]
        self._anchor = image_id

    @rx.event
    @signed_in
    async def select_all_matching(self, user: User):
        filters = (await self.get_state(GalleryState))._filters()
        self.matching_count = len(await asyncio.to_thread(_matching_ids, user.id, filters))
        self.selected, self.all_matching, self._matching_filters = [], True, filters

    @rx.event
    @public
    def clear_selection(self):
        self._clear_selection()

    def _clear_selection(self) -> None:
        self.selected, self.all_matching, self._anchor, self.matching_count = [], False, "", 0
        self._matching_filters = None

    @rx.var
    def selection_zip_url(self) -> str:
        """The ZIP of the selection: its ids, or (all matching) the filter, which the route applies itself."""
        filters, path = self._matching_filters, routes.upload_path(routes.ZIP_ROUTE)
        if self.all_matching and filters is not None:
            query = {
                "board": filters.board_id,
                "batch": filters.batch_id,
                "model": filters.model,
                "q": filters.text,
                "favourites": "1" if filters.favourites_only else "",
            }
            return f"{path}?{urlencode({key: value for key, value in query.items() if value})}"
        ids = self.selected
        return f"{path}?{urlencode({'ids': ','.join(ids)})}" if 0 < len(ids) <= 500 else ""

    async def _chosen_ids(self, user_id: str) -> list[str]:
        if self.all_matching and self._matching_filters is not None:
            return await asyncio.to_thread(_matching_ids, user_id, self._matching_filters)
        return list(self.selected)

    async def _after_bulk(self, user_id: str, message: str):
        self.message, self.confirm_delete_open = message, False
        self._clear_selection()
        await self._refresh(user_id)
        return GalleryState.open_gallery

    @rx.event
    @signed_in
    async def add_selection_to_board(self, user: User, board_id: str):
        ids = await self._chosen_ids(user.id)
        try:
            added = await asyncio.to_thread(boards.add_images, get_services().engine, user.id, str(board_id), ids)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if added is None:
            self.message = _("That board does not exist (any more).")
            return
        return await self._after_bulk(
            user.id, ngettext("{count} image added to the board.", "{count} images added to the board.", added)
        )

    @rx.event
    @signed_in
    async def move_selection_to_board(self, user: User, board_id: str):
        ids, source = await self._chosen_ids(user.id), self.current.id if self.current.mine else ""
        try:
            moved = await asyncio.to_thread(
                boards.move_images, get_services().engine, user.id, str(board_id), ids, from_board_id=source
            )
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if moved is None:
            self.message = _("That board does not exist (any more).")
            return
        return await self._after_bulk(
            user.id, ngettext("{count} image moved to the board.", "{count} images moved to the board.", moved)
        )

    @rx.event
    @signed_in
    async def favourite_selection(self, user: User):
        try:
            count = await asyncio.to_thread(_favourite_all, user.id, await self._chosen_ids(user.id))
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        return await self._after_bulk(
            user.id, ngettext("{count} image marked as a favourite.", "{count} images marked as favourites.", count)
        )

    @rx.event
    @public
    def set_confirm_delete_open(self, value: bool):
        self.confirm_delete_open = bool(value) and (bool(self.selected) or self.all_matching)

    @rx.event
    @signed_in
    async def delete_selection(self, user: User):
        try:
            deleted = await asyncio.to_thread(_delete_all, user.id, await self._chosen_ids(user.id))
        except StorageUnavailable as unavailable:
            self.message, self.confirm_delete_open = unavailable.user_message, False
            return GalleryState.open_gallery  # what was deleted before the failure is gone from the grid
        return await self._after_bulk(user.id, ngettext("{count} image deleted.", "{count} images deleted.", deleted))
