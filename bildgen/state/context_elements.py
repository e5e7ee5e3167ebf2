"""Context elements in the studio: the user's elements, each picked with a role (or not), a dialog to
make a new one or edit one (name, kind, text, optional image), and what they add to the prompt. A thin state over
bildgen.prompts.elements.

The picked elements' words are kept here when they are picked, so Generate composes the prompt from
this state alone (no database call under the state's lock).
"""

from __future__ import annotations

import asyncio
import dataclasses
import textwrap

import reflex as rx

from bildgen import routes
from bildgen.generation import uploads
from bildgen.i18n import _
from bildgen.prompts import elements
from bildgen.prompts.elements import KINDS, ElementRefused, Picked, RecipeExtras
from bildgen.refusal import Refusal
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.session import SessionState
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User
from bildgen.store.references import MAX_BYTES

NOT_USED = "none"


@dataclasses.dataclass
class ElementCard:
    id: str
    name: str
    kind: str
    kind_label: str
    summary: str
    thumbnail_path: str  # "" without an image
    role: str  # NOT_USED or one of elements.ROLES


def _card(element, role: str) -> ElementCard:  # type: ignore[no-untyped-def]
    return ElementCard(
        id=element.id,
        name=element.name,
        kind=element.kind,
        kind_label=_(elements.KIND_LABELS[element.kind]) if element.kind in elements.KIND_LABELS else element.kind,
        summary=textwrap.shorten(element.text, width=90, placeholder="…") if element.text else "",
        thumbnail_path=routes.reference_upload_path(element.reference_id) if element.reference_id else "",
        role=role,
    )


class ContextElementsState(SessionState):
    elements: list[ElementCard] = []
    # What the picked elements add after the typed prompt, and how many images they bring.
    prompt_suffix: str = ""
    picked_images: int = 0
    message: str = ""
    dialog_open: bool = False
    new_image_path: str = ""
    _new_reference_id: str = ""
    # The dialog edits this element ("" : it makes a new one); its fields start from these values.
    _editing_id: str = ""
    editing_name: str = ""
    form_kind: str = KINDS[0]
    form_text: str = ""
    form_key: int = 0
    # Every element of the user as stored (role ""), and the picked ones with their role.
    _stored: dict[str, Picked] = {}
    _picked: dict[str, Picked] = {}

    def _update_composition(self) -> None:
        picked = list(self._picked.values())
        self.prompt_suffix = elements.suffix(picked)
        self.picked_images = len(elements.compose("", picked).reference_ids)
        roles = {element_id: element.role for element_id, element in self._picked.items()}
        self.elements = [dataclasses.replace(card, role=roles.get(card.id, NOT_USED)) for card in self.elements]

    @public
    def picked(self) -> list[Picked]:
        return list(self._picked.values())

    async def _reload(self, owner_id: str) -> None:
        rows = await asyncio.to_thread(elements.owned, get_services().engine, owner_id=owner_id)
        self._stored = {row.id: Picked(row.id, row.name, "", row.text, row.reference_id) for row in rows}
        # An element deleted meanwhile (another tab) is no longer picked; the others keep their role.
        self._picked = {
            element_id: dataclasses.replace(self._stored[element_id], role=element.role)
            for element_id, element in self._picked.items()
            if element_id in self._stored
        }
        self.elements = [_card(row, NOT_USED) for row in rows]
        self._update_composition()

    @rx.event
    @checks_inside
    async def load_elements(self):
        user = await self._user()
        if user is None:
            return
        await self._reload(user.id)

    @rx.event
    @public
    def pick(self, element_id: str, role: str) -> None:
        stored = self._stored.get(element_id) if isinstance(element_id, str) else None
        if stored is None:
            return
        picked = dict(self._picked)
        if role not in elements.ROLES:
            picked.pop(element_id, None)
        elif element_id in picked or len(picked) < elements.MAX_PICKED:
            # The words are the stored ones, never the browser's.
            picked[element_id] = dataclasses.replace(stored, role=role)
        else:
            self.message = _("At most {count} elements at once.", count=elements.MAX_PICKED)
            return
        self._picked, self.message = picked, ""
        self._update_composition()

    @rx.event
    @public
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = bool(value)
        if not value:
            self.new_image_path, self._new_reference_id = "", ""

    def _open_form(self, editing: Picked | None, kind: str) -> None:
        self._editing_id = editing.element_id if editing else ""
        self.editing_name = editing.name if editing else ""
        self.form_kind, self.form_text = kind, editing.text if editing else ""
        self._new_reference_id = (editing.reference_id or "") if editing else ""
        self.new_image_path = routes.reference_upload_path(self._new_reference_id) if self._new_reference_id else ""
        self.form_key, self.message, self.dialog_open = self.form_key + 1, "", True

    @rx.event
    @public
    def start_new_element(self) -> None:
        self._open_form(None, elements.KINDS[0])

    @rx.event
    @public
    def start_edit(self, element_id: str) -> None:
        stored = self._stored.get(element_id) if isinstance(element_id, str) else None
        if stored is None:
            return
        kind = next((card.kind for card in self.elements if card.id == element_id), elements.KINDS[0])
        self._open_form(stored, kind)

    @rx.event
    @public
    def remove_element_image(self) -> None:
        self.new_image_path, self._new_reference_id = "", ""

    @rx.event
    @checks_inside
    async def add_element_image(self, files: list[rx.UploadFile]):
        user = await self._user()
        if user is None or not files:
            return
        upload = files[0]
        data = await upload.read(MAX_BYTES + 1)
        try:
            reference = await uploads.add_reference(
                get_services(), user.id, data, name=upload.name or "image", stored_as=upload.name or "element image"
            )
        except Refusal as refused:
            self.message = refused.message
            return
        self._new_reference_id = reference.id
        self.new_image_path = routes.reference_upload_path(reference.id)
        self.message = ""

    @rx.event
    @signed_in
    async def create_element(self, user: User, form_data: dict):
        form_data = form_data if isinstance(form_data, dict) else {}
        fields = {
            "owner_id": user.id,
            "name": str(form_data.get("element_name", "")),
            "kind": str(form_data.get("element_kind", "")),
            "text": str(form_data.get("element_text", ""))[: elements.MAX_TEXT + 1],
            "reference_id": self._new_reference_id or None,
        }
        engine, self.message = get_services().engine, ""
        try:
            if self._editing_id:
                found = await asyncio.to_thread(elements.update, engine, self._editing_id, **fields)
                if not found:
                    self.message = _("That element was deleted meanwhile.")
            else:
                await asyncio.to_thread(elements.create, engine, **fields)
        except (ElementRefused, StorageUnavailable) as problem:
            self.message = problem.user_message if isinstance(problem, StorageUnavailable) else str(problem)
            return
        self.dialog_open, self.new_image_path, self._new_reference_id, self._editing_id = False, "", "", ""
        await self._reload(user.id)

    @rx.event
    @signed_in
    async def delete_element(self, user: User, element_id: str):
        try:
            await asyncio.to_thread(elements.delete, get_services().engine, str(element_id), owner_id=user.id)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        await self._reload(user.id)

    async def _restore(self, owner_id: str, extras: RecipeExtras) -> list[Picked]:
        """Pick the recipe's elements again with their roles; those deleted since are returned."""
        self._picked = {}
        await self._reload(owner_id)
        self._picked = {
            element.element_id: dataclasses.replace(self._stored[element.element_id], role=element.role)
            for element in extras.elements
            if element.element_id in self._stored
        }
        self._update_composition()
        return [element for element in extras.elements if element.element_id not in self._stored]
