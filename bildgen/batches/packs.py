"""Inference packs: a named set of prompts and settings to run again on any model, private or shared.

- A pack is stored in the flow document's shape (`{"images": [...], defaults}`), exported and
  imported as exactly that JSON, so packs travel between bildgen instances and the flow tools.
- Every run of a pack uses the same seeds (an item's own, else the pack's base seed + its position),
  and all of one user's runs of a pack form one series: one comparison grid, rows = prompts,
  columns = runs. Extra prompts given at run time follow the pack's own, seeded the same way.
- Anyone may list, run and export a shared pack; only its owner renames, shares or deletes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlmodel import col, select

from bildgen import i18n
from bildgen.batches import runs
from bildgen.batches.items import MAX_ITEMS, MAX_PROMPT_CHARS, BatchItem, ItemFields, Parsed, parse_json, to_document
from bildgen.i18n import _
from bildgen.inference.profiles import Catalog
from bildgen.params import SEED_SPACE, random_seed
from bildgen.store.db import session, storage_errors
from bildgen.store.models import Batch, Pack, User, utc_now

MAX_NAME = 200


class PackRefused(ValueError):
    """The pack cannot be saved as given; the message says why, for the user."""


@dataclasses.dataclass(frozen=True)
class PackView:
    id: str
    name: str
    owner: str  # the owner's username ("" when the account is gone)
    mine: bool
    shared: bool
    prompt_count: int
    updated_at: datetime
    # The viewer's latest run of it, if any (its comparison grid shows every run).
    latest_run: str | None


def _document(pack: Pack) -> dict[str, Any]:
    return json.loads(pack.content)


def _contents(pack: Pack) -> Parsed:
    return parse_json(pack.content)


def _checked(name: str, items: Sequence[BatchItem]) -> str:
    name = " ".join(str(name).split())[:MAX_NAME]
    if not name:
        raise PackRefused(_("Give the pack a name."))
    if not items:
        raise PackRefused(_("A pack needs at least one prompt."))
    if len(items) > MAX_ITEMS:
        raise PackRefused(_("A pack holds at most {max} prompts.", max=i18n.format_number(MAX_ITEMS)))
    if any(not item.prompt.strip() or len(item.prompt) > MAX_PROMPT_CHARS for item in items):
        raise PackRefused(_("Every prompt needs 1 to {max} characters.", max=i18n.format_number(MAX_PROMPT_CHARS)))
    return name


def save(
    engine: sqlalchemy.Engine,
    *,
    owner_id: str,
    name: str,
    items: Sequence[BatchItem],
    defaults: ItemFields,
    shared: bool = False,
) -> str:
    """A new pack; its id. Models are checked when it runs, not here: a pack outlives models."""
    name = _checked(name, items)
    pack = Pack(
        owner_id=owner_id,
        name=name,
        shared=shared,
        content=json.dumps(to_document(items, defaults, name=name), ensure_ascii=False),
        base_seed=random_seed(),
    )
    with storage_errors(), session(engine) as db:
        db.add(pack)
        db.commit()
    return pack.id


def from_batch(
    engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str, name: str, shared: bool = False
) -> str | None:
    """A pack of one of the owner's batches: its items with the seeds they ran with, its defaults."""
    found = runs.items_of(engine, batch_id, owner_id=owner_id)
    if found is None:
        return None
    items, defaults, seeds = found
    seeded = [
        dataclasses.replace(item, fields=dataclasses.replace(item.fields, seed=str(seeds[index])))
        for index, item in enumerate(items)
    ]
    return save(engine, owner_id=owner_id, name=name, items=seeded, defaults=defaults, shared=shared)


def _visible(owner_id: str) -> Any:
    return sqlalchemy.or_(Pack.owner_id == owner_id, col(Pack.shared).is_(True))


def _find(engine: sqlalchemy.Engine, pack_id: str, owner_id: str) -> Pack | None:
    with session(engine) as db:
        return db.exec(select(Pack).where(Pack.id == pack_id, _visible(owner_id))).first()


def visible(engine: sqlalchemy.Engine, *, owner_id: str) -> list[PackView]:
    """The user's own packs and everyone's shared ones, most recently changed first."""
    with session(engine) as db:
        rows = db.exec(
            select(Pack, User.username)
            .join(User, col(Pack.owner_id) == User.id, isouter=True)
            .where(_visible(owner_id))
            .order_by(col(Pack.updated_at).desc(), col(Pack.id))
        ).all()
        latest: dict[str, str] = {}
        pack_ids = [pack.id for pack, _ in rows]
        if pack_ids:
            for batch_id, pack_id in db.exec(
                select(Batch.id, Batch.pack_id)
                .where(col(Batch.pack_id).in_(pack_ids), Batch.owner_id == owner_id)
                .order_by(col(Batch.created_at))
            ).all():
                latest[pack_id] = batch_id  # the newest wins
    return [
        PackView(
            id=pack.id,
            name=pack.name,
            owner=username or "",
            mine=pack.owner_id == owner_id,
            shared=pack.shared,
            prompt_count=len(_document(pack).get("images", [])),
            updated_at=pack.updated_at,
            latest_run=latest.get(pack.id),
        )
        for pack, username in rows
    ]


def _seeds(pack: Pack, count: int) -> dict[int, int]:
    return {position: (pack.base_seed + position) % SEED_SPACE for position in range(count)}


def export(engine: sqlalchemy.Engine, pack_id: str, *, owner_id: str) -> dict[str, Any] | None:
    """The flow document's JSON, every image with the seed it runs with, so an imported copy compares
    with this one. None for a pack the user may not see."""
    pack = _find(engine, pack_id, owner_id)
    if pack is None:
        return None
    contents = _contents(pack)
    seeds = _seeds(pack, len(contents.items))
    items = [
        item
        if item.fields.seed
        else dataclasses.replace(item, fields=dataclasses.replace(item.fields, seed=str(seeds[index])))
        for index, item in enumerate(contents.items)
    ]
    return to_document(items, contents.defaults, name=pack.name)


def import_document(
    engine: sqlalchemy.Engine, data: bytes, *, owner_id: str, name: str = "", shared: bool = False
) -> tuple[str, list[str]]:
    """A pack from exported JSON (or any JSON in the flow document's shape): its id and what was left
    out. Raises InputRefused for JSON that is no pack at all, PackRefused for an empty one."""
    parsed = parse_json(data)
    pack_id = save(
        engine,
        owner_id=owner_id,
        name=name or parsed.name or "Imported pack",
        items=parsed.items,
        defaults=parsed.defaults,
        shared=shared,
    )
    return pack_id, parsed.problems


def set_shared(engine: sqlalchemy.Engine, pack_id: str, *, owner_id: str, shared: bool) -> bool:
    with storage_errors(), session(engine) as db:
        pack = db.exec(select(Pack).where(Pack.id == pack_id, Pack.owner_id == owner_id)).first()
        if pack is None:
            return False
        pack.shared, pack.updated_at = shared, utc_now()
        db.add(pack)
        db.commit()
        return True


def delete(engine: sqlalchemy.Engine, pack_id: str, *, owner_id: str) -> bool:
    """The owner's pack is gone; batches that ran it stay (and keep their comparison)."""
    with storage_errors(), session(engine) as db:
        pack = db.exec(select(Pack).where(Pack.id == pack_id, Pack.owner_id == owner_id)).first()
        if pack is None:
            return False
        db.delete(pack)
        db.commit()
        return True


def run(
    engine: sqlalchemy.Engine,
    pack_id: str,
    *,
    owner_id: str,
    model: str,
    catalog: Catalog,
    extra: Sequence[BatchItem] = (),
) -> str | None:
    """A batch of the pack's prompts followed by `extra` ones, every item on `model`, with the pack's
    seeds, in the pack's series (this user's runs of it compare in one grid). Not queued yet (see
    runs.queue_items). None for a pack the user may not see; BatchInvalid when a row does not suit
    the model."""
    pack = _find(engine, pack_id, owner_id)
    if pack is None:
        return None
    contents = _contents(pack)
    profile = catalog.get(model)
    items = [
        dataclasses.replace(item, fields=dataclasses.replace(item.fields, model=""))
        for item in [*contents.items, *extra]
    ]
    return runs.create(
        engine,
        owner_id=owner_id,
        name=f"{pack.name} on {profile.label}",
        items=items,
        defaults=dataclasses.replace(contents.defaults, model=profile.id),
        catalog=catalog,
        series_id=pack.id,
        pack_id=pack.id,
        seeds=_seeds(pack, len(items)),
    )
