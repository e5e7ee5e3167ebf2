"""Context elements: named, reusable pieces of a world (a character, a place, a style), each with a
text and optionally a reference image, picked for one generation with a role.

How they are composed (shown in the studio as the effective prompt before Generate): the prompt as
typed comes first, then one sentence per picked element in role order —
  subject    "Featuring <name>: <text>."
  setting    "Setting: <name>, <text>."
  style      "In the style of <name>: <text>."
  reference  "For reference, <name>: <text>."
An element's image, when it has one, is sent as a reference image (after the form's own references).
The recipe keeps the prompt as typed and every picked element (name, role, text, image), so
Reproduce restores the form as it was, and the composed prompt is what was sent.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy
from sqlmodel import col, select

from bildgen import i18n
from bildgen.i18n import N_, _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import ContextElement, ReferenceImage

KINDS = ("character", "place", "style", "object", "other")
ROLES = ("subject", "setting", "style", "reference")
# What the studio calls them (translated where shown). The sentences below stay English: they are
# part of the prompt sent to the model.
KIND_LABELS = {
    "character": N_("Character"),
    "place": N_("Place"),
    "style": N_("Style"),
    "object": N_("Object"),
    "other": N_("Other"),
}
ROLE_LABELS = {"subject": N_("Subject"), "setting": N_("Setting"), "style": N_("Style"), "reference": N_("Reference")}
# An image's details name each element it was made with and its role.
_ELEMENT_LINES = {
    "subject": N_("Context element (subject): {name}"),
    "setting": N_("Context element (setting): {name}"),
    "style": N_("Context element (style): {name}"),
    "reference": N_("Context element (reference): {name}"),
}
MAX_NAME, MAX_TEXT = 80, 1000
MAX_PICKED = 6
MAX_ELEMENTS = 200
_SENTENCE = {
    "subject": "Featuring {name}: {text}.",
    "setting": "Setting: {name}, {text}.",
    "style": "In the style of {name}: {text}.",
    "reference": "For reference, {name}: {text}.",
}
_NAME_ONLY = {
    "subject": "Featuring {name}.",
    "setting": "Setting: {name}.",
    "style": "In the style of {name}.",
    "reference": "For reference, {name}.",
}


class ElementRefused(ValueError):
    """The element cannot be saved as given; the message says why, for the user."""


@dataclasses.dataclass(frozen=True)
class Picked:
    element_id: str
    name: str
    role: str
    text: str
    reference_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Composition:
    prompt: str
    reference_ids: tuple[str, ...]


def _sentence(element: Picked) -> str:
    text = " ".join(element.text.split()).rstrip(".")
    template = _SENTENCE[element.role]
    return (
        template.format(name=element.name, text=text)
        if text
        else template.split(":")[0].format(name=element.name) + "."
    )


def _in_order(picked: Sequence[Picked]) -> list[Picked]:
    return sorted(picked, key=lambda element: (ROLES.index(element.role), element.name.casefold()))


def suffix(picked: Sequence[Picked]) -> str:
    """What the elements add after the typed prompt ("" when none is picked)."""
    return "".join(" " + _sentence(element) for element in _in_order(picked))


# A typed prompt ending in one of these is a finished sentence; any other gets a full stop before the
# elements' sentences ("…to work. Featuring Mira: …"). The studio's preview applies the same rule in
# the browser (components/prompt_help.py), so what it shows is what is sent.
SENTENCE_ENDS = (".", "!", "?", "…")


def joined(prompt: str, element_sentences: str) -> str:
    """The typed prompt followed by the elements' sentences (`suffix`)."""
    typed = prompt.strip()
    if not typed or not element_sentences:
        return (typed or element_sentences).strip()
    return typed + ("" if typed.endswith(SENTENCE_ENDS) else ".") + element_sentences


def compose(prompt: str, picked: Sequence[Picked]) -> Composition:
    ordered = _in_order(picked)
    references = tuple(dict.fromkeys(element.reference_id for element in ordered if element.reference_id))
    return Composition(prompt=joined(prompt, suffix(ordered)), reference_ids=references)


# ---- the recipe ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RecipeExtras:
    """What a generation's recipe keeps beyond its columns (Generation.recipe_extras)."""

    prompt_as_typed: str | None = None  # when elements were composed into the prompt sent
    improved_from: str | None = None  # the prompt before Improve prompt rewrote it
    improved_by: str | None = None  # the text model that did
    elements: tuple[Picked, ...] = ()
    # An upscale (bildgen.generation.upscale): the factor, the profile's label, and whether it was a
    # re-render that changes details ("creative upscale").
    upscaled_by: int | None = None
    upscaled_with: str | None = None
    creative: bool = False
    # An expand (bildgen.generation.expand): what was added, e.g. "left +25 %, right +25 %".
    expanded: str | None = None

    def encode(self) -> str | None:
        raw: dict[str, Any] = {
            key: value
            for key, value in (
                ("prompt_as_typed", self.prompt_as_typed),
                ("improved_from", self.improved_from),
                ("improved_by", self.improved_by),
            )
            if value
        }
        if self.elements:
            raw["elements"] = [dataclasses.asdict(element) for element in self.elements]
        if self.upscaled_by:
            raw.update(upscaled_by=self.upscaled_by, upscaled_with=self.upscaled_with, creative=self.creative)
        if self.expanded:
            raw["expanded"] = self.expanded
        return json.dumps(raw, ensure_ascii=False) if raw else None

    @classmethod
    def decode(cls, text: str | None) -> RecipeExtras:
        try:
            raw = json.loads(text or "{}")
        except ValueError:
            return cls()
        raw = raw if isinstance(raw, dict) else {}
        elements = []
        for item in raw.get("elements") or []:
            if isinstance(item, dict) and item.get("role") in ROLES:
                elements.append(
                    Picked(
                        element_id=str(item.get("element_id", "")),
                        name=str(item.get("name", "")),
                        role=str(item["role"]),
                        text=str(item.get("text", "")),
                        reference_id=item.get("reference_id") if isinstance(item.get("reference_id"), str) else None,
                    )
                )
        strings = {
            key: raw.get(key) if isinstance(raw.get(key), str) else None
            for key in ("prompt_as_typed", "improved_from", "improved_by")
        }
        factor = raw.get("upscaled_by")
        return cls(
            **strings,
            elements=tuple(elements),
            upscaled_by=factor if isinstance(factor, int) and not isinstance(factor, bool) else None,
            upscaled_with=raw.get("upscaled_with") if isinstance(raw.get("upscaled_with"), str) else None,
            creative=raw.get("creative") is True,
            expanded=raw.get("expanded") if isinstance(raw.get("expanded"), str) else None,
        )

    def describe(self) -> list[str]:
        """Lines for an image's details, in the language of the user being answered."""
        lines = []
        if self.improved_from:
            lines.append(
                _(
                    "Improved by {model} from: {prompt}",
                    model=self.improved_by or _("a text model"),
                    prompt=self.improved_from,
                )
            )
        if self.prompt_as_typed:
            lines.append(_("Typed prompt: {prompt}", prompt=self.prompt_as_typed))
        if self.upscaled_by:
            words = (
                N_("Creative upscale ×{factor} with {upscaler}: re-rendered at the larger size, details changed.")
                if self.creative
                else N_("Upscaled ×{factor} with {upscaler}.")
            )
            lines.append(_(words, factor=self.upscaled_by, upscaler=self.upscaled_with or "?"))
        if self.expanded:
            lines.append(_("Expanded: {sides}", sides=self.expanded))
        for element in self.elements:
            lines.append(_(_ELEMENT_LINES[element.role], name=element.name))
        return lines


# ---- stored elements -----------------------------------------------------------------------------


def _checked(name: str, kind: str, text: str) -> tuple[str, str, str]:
    name = " ".join(str(name).split())
    text = str(text).strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ElementRefused(_("Give the element a name of 1 to {max} characters.", max=MAX_NAME))
    if kind not in KINDS:
        raise ElementRefused(_("The kind is one of: {kinds}.", kinds=", ".join(_(KIND_LABELS[kind]) for kind in KINDS)))
    if len(text) > MAX_TEXT:
        raise ElementRefused(_("Describe it in at most {max} characters.", max=i18n.format_number(MAX_TEXT)))
    return name, kind, text


def create(
    engine: sqlalchemy.Engine, *, owner_id: str, name: str, kind: str, text: str, reference_id: str | None = None
) -> str:
    name, kind, text = _checked(name, kind, text)
    with storage_errors(), session(engine) as db:
        count = db.exec(
            select(sqlalchemy.func.count()).select_from(ContextElement).where(ContextElement.owner_id == owner_id)
        ).one()
        if count >= MAX_ELEMENTS:
            raise ElementRefused(_("You have {count} elements already; delete some first.", count=MAX_ELEMENTS))
        if (
            reference_id is not None
            and db.exec(
                select(ReferenceImage.id).where(ReferenceImage.id == reference_id, ReferenceImage.owner_id == owner_id)
            ).first()
            is None
        ):
            raise ElementRefused(_("That reference image is not available."))
        element = ContextElement(owner_id=owner_id, name=name, kind=kind, text=text, reference_id=reference_id)
        db.add(element)
        db.commit()
        return element.id


def update(
    engine: sqlalchemy.Engine,
    element_id: str,
    *,
    owner_id: str,
    name: str,
    kind: str,
    text: str,
    reference_id: str | None,
) -> bool:
    """Change an element's name, kind, text and image (None: no image). False when it is not the
    owner's (or gone). Runs made with it keep the words they were made with (in their recipe)."""
    name, kind, text = _checked(name, kind, text)
    with storage_errors(), session(engine) as db:
        element = db.exec(
            select(ContextElement).where(ContextElement.id == element_id, ContextElement.owner_id == owner_id)
        ).first()
        if element is None:
            return False
        if (
            reference_id is not None
            and reference_id != element.reference_id
            and db.exec(
                select(ReferenceImage.id).where(ReferenceImage.id == reference_id, ReferenceImage.owner_id == owner_id)
            ).first()
            is None
        ):
            raise ElementRefused(_("That reference image is not available."))
        element.name, element.kind, element.text, element.reference_id = name, kind, text, reference_id
        db.add(element)
        db.commit()
        return True


def owned(engine: sqlalchemy.Engine, *, owner_id: str) -> list[ContextElement]:
    with session(engine) as db:
        return list(
            db.exec(
                select(ContextElement).where(ContextElement.owner_id == owner_id).order_by(col(ContextElement.name))
            ).all()
        )


def delete(engine: sqlalchemy.Engine, element_id: str, *, owner_id: str) -> bool:
    with storage_errors(), session(engine) as db:
        element = db.exec(
            select(ContextElement).where(ContextElement.id == element_id, ContextElement.owner_id == owner_id)
        ).first()
        if element is None:
            return False
        db.delete(element)
        db.commit()
        return True


def picked(engine: sqlalchemy.Engine, roles: dict[str, str], *, owner_id: str) -> list[Picked]:
    """The owner's elements picked with a role (element id → role), as they are stored now; ids of
    anyone else's elements, unknown ids and unknown roles are left out."""
    wanted = {element_id: role for element_id, role in roles.items() if role in ROLES}
    if not wanted:
        return []
    with session(engine) as db:
        rows = db.exec(
            select(ContextElement).where(col(ContextElement.id).in_(list(wanted)), ContextElement.owner_id == owner_id)
        ).all()
    return [
        Picked(element_id=row.id, name=row.name, role=wanted[row.id], text=row.text, reference_id=row.reference_id)
        for row in rows
    ][:MAX_PICKED]
