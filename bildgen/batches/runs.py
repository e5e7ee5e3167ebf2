"""Batches in the database: made from checked items, queued item by item as jobs, followed, cancelled.

- A batch and all its items are written in one transaction, each item with its seed fixed then;
  only afterwards are the items queued, one job (Generation) each, carrying (batch_id, position).
  That pair is unique, so queueing again after a crash or from a second tab never runs an item
  twice: `queue_items` picks up whatever is still pending and can be called any number of times.
- The jobs are ordinary jobs: the fair queue serves other users between them, they run with the
  browser closed, survive restarts and land in the gallery.
- Every function takes the owner and touches nothing of anyone else's.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, col, func, select, update

from bildgen.batches.items import BatchItem, ItemFields
from bildgen.batches.plan import Plan, PlannedItem, plan
from bildgen.generation.submit import submission, submit_now
from bildgen.i18n import N_, _
from bildgen.inference.errors import in_language
from bildgen.inference.profiles import Catalog
from bildgen.jobs import queue
from bildgen.jobs.refusals import SubmissionRefused
from bildgen.params import SEED_SPACE, random_seed
from bildgen.store.db import session, storage_errors
from bildgen.store.models import Batch, Generation, GenerationStatus, Image
from bildgen.store.models import BatchItem as ItemRow

logger = logging.getLogger(__name__)

PENDING, QUEUED, REFUSED, CANCELLED = "pending", "queued", "refused", "cancelled"
# What an item shows when its generation is gone (all its images were deleted from the gallery).
REMOVED = "removed"
# Stored with the item in English; translated where shown.
CANCELLED_BEFORE_QUEUED = N_("Cancelled before it was queued.")
# What each state of an item is called on its page (translated where shown).
STATUS_LABELS = {
    PENDING: N_("Not queued yet"),
    GenerationStatus.QUEUED: N_("Waiting"),
    GenerationStatus.RUNNING: N_("Running"),
    GenerationStatus.DONE: N_("Done"),
    GenerationStatus.PARTIAL: N_("Partly done"),
    GenerationStatus.FAILED: N_("Failed"),
    GenerationStatus.CANCELLED: N_("Cancelled"),
    GenerationStatus.INTERRUPTED: N_("Interrupted"),
    REFUSED: N_("Refused"),
    REMOVED: N_("Images deleted"),
}


def status_label(state: str) -> str:
    """What an item's state is called, in the language of the user being answered."""
    return _(STATUS_LABELS[state]) if state in STATUS_LABELS else state


# How many items are in a state, in a batch's progress line.
_COUNTED = {
    GenerationStatus.RUNNING: N_("{count} running"),
    GenerationStatus.QUEUED: N_("{count} waiting"),
    PENDING: N_("{count} not queued yet"),
    REFUSED: N_("{count} refused"),
    GenerationStatus.FAILED: N_("{count} failed"),
    GenerationStatus.INTERRUPTED: N_("{count} interrupted"),
}
# Items marked queued per transaction while queueing (each job row is written on its own).
MARK_EVERY = 25
ITEMS_PAGE = 50


class BatchInvalid(ValueError):
    """Some rows (or the defaults) do not pass the checks; nothing was written."""

    def __init__(self, checked: Plan) -> None:
        super().__init__(checked.summary())
        self.plan = checked


# ---- making and queueing -------------------------------------------------------------------------


def create(
    engine: sqlalchemy.Engine,
    *,
    owner_id: str,
    name: str,
    items: Sequence[BatchItem],
    defaults: ItemFields,
    catalog: Catalog,
    series_id: str | None = None,
    pack_id: str | None = None,
    seeds: Mapping[int, int] | None = None,
) -> str:
    """Check every item, then write the batch with its items (not queued yet); its id.
    `seeds` fixes the seed of items that give none (a re-run, a pack); others get a random one.
    Raises BatchInvalid (nothing written) or StorageUnavailable."""
    checked = plan(items, defaults, catalog)
    if not checked.ok:
        raise BatchInvalid(checked)
    seeds = seeds or {}
    batch = Batch(
        owner_id=owner_id,
        name=name.strip()[:200] or "Batch",
        defaults=defaults.encode(),
        series_id="",
        pack_id=pack_id,
        item_count=len(checked.items),
    )
    batch.series_id = series_id or batch.id
    rows = [
        ItemRow(
            batch_id=batch.id,
            position=planned.position,
            prompt=planned.prompt,
            fields=items[planned.position].fields.encode(),
            seed=_seed(planned, seeds),
        )
        for planned in checked.items
    ]
    with storage_errors(), session(engine) as db:
        db.add(batch)
        db.flush()
        db.add_all(rows)
        db.commit()
    return batch.id


def _seed(planned: PlannedItem, seeds: Mapping[int, int]) -> int:
    if planned.seed is not None:
        return planned.seed
    given = seeds.get(planned.position)
    return given % SEED_SPACE if given is not None else random_seed()


@dataclasses.dataclass(frozen=True)
class Queued:
    queued: int
    refused: int


def queue_items(engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str, catalog: Catalog) -> Queued:
    """Queue every pending item of the batch as a job, in order; safe to repeat (after a crash, from
    another tab). An item the queue refuses (quota, switched off) keeps the refusal as its message.
    Stops with StorageUnavailable when the database refuses writes; what is left stays pending."""
    with session(engine) as db:
        batch = db.exec(select(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id)).first()
        if batch is None or batch.cancelled:
            return Queued(0, 0)
        pending = list(
            db.exec(
                select(ItemRow)
                .where(ItemRow.batch_id == batch_id, ItemRow.state == PENDING)
                .order_by(col(ItemRow.position))
            ).all()
        )
        # Items whose job exists already (an earlier call stopped before marking them).
        existing = set(db.exec(select(Generation.batch_position).where(Generation.batch_id == batch_id)).all())
    defaults = ItemFields.decode(batch.defaults)
    queued_positions: list[int] = []
    refused = 0
    try:
        for row in pending:
            if row.position in existing:
                queued_positions.append(row.position)
                continue
            message = _submit_item(engine, batch, row, defaults, catalog)
            if message is None:
                queued_positions.append(row.position)
            else:
                refused += 1
                _mark(engine, batch_id, [row.position], REFUSED, message)
            if len(queued_positions) >= MARK_EVERY:
                _mark(engine, batch_id, queued_positions, QUEUED)
                queued_positions.clear()
                if _cancelled(engine, batch_id):
                    break
    finally:
        if queued_positions:
            _mark(engine, batch_id, queued_positions, QUEUED)
    if _cancelled(engine, batch_id):
        # Cancelled while this was queueing: whatever it queued after the cancel goes too.
        queue.request_cancel_batch(engine, batch_id, owner_id=owner_id)
    done = sum(1 for row in pending) - refused
    return Queued(done, refused)


def with_pending_items(engine: sqlalchemy.Engine) -> list[tuple[str, str]]:
    """Every user's batches, not cancelled, with items still to queue: (batch id, owner id)."""
    with session(engine) as db:
        return [
            (batch_id, owner_id)
            for batch_id, owner_id in db.exec(
                select(Batch.id, Batch.owner_id)
                .where(
                    col(Batch.cancelled).is_(False),
                    col(Batch.id).in_(select(ItemRow.batch_id).where(ItemRow.state == PENDING)),
                )
                .order_by(col(Batch.created_at))
            ).all()
        ]


def _submit_item(
    engine: sqlalchemy.Engine, batch: Batch, row: ItemRow, defaults: ItemFields, catalog: Catalog
) -> str | None:
    """Queue one item's job; None when queued, otherwise why not (for the item's row)."""
    # Checked again: the catalog may have changed since the batch was made.
    checked = plan([BatchItem(row.prompt, ItemFields.decode(row.fields))], defaults, catalog)
    if not checked.ok:
        return checked.summary().removeprefix("Row 1: ")
    job = submission(
        batch.owner_id, checked.items[0].plan(catalog, row.seed), batch_id=batch.id, batch_position=row.position
    )
    try:
        submit_now(engine, job)
    except SubmissionRefused as refusal:
        return refusal.message
    except sqlalchemy.exc.IntegrityError:
        pass  # queued by a concurrent call a moment ago
    return None


def _mark(
    engine: sqlalchemy.Engine, batch_id: str, positions: list[int], state: str, message: str | None = None
) -> None:
    with storage_errors(), session(engine) as db:
        db.exec(
            update(ItemRow)
            .where(ItemRow.batch_id == batch_id, col(ItemRow.position).in_(positions), ItemRow.state == PENDING)
            .values(state=state, message=message)
        )
        db.commit()


def _cancelled(engine: sqlalchemy.Engine, batch_id: str) -> bool:
    with session(engine) as db:
        return bool(db.exec(select(Batch.cancelled).where(Batch.id == batch_id)).first())


def cancel(engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str) -> bool:
    """Stop the batch: items not queued yet are dropped, waiting jobs cancelled, running ones asked to
    stop (their saved images stay). False for a foreign or missing batch."""
    with storage_errors(), session(engine) as db:
        found = db.exec(
            update(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id).values(cancelled=True)
        ).rowcount
        if not found:
            return False
        db.exec(
            update(ItemRow)
            .where(ItemRow.batch_id == batch_id, ItemRow.state == PENDING)
            .values(state=CANCELLED, message=CANCELLED_BEFORE_QUEUED)
        )
        db.commit()
    queue.request_cancel_batch(engine, batch_id, owner_id=owner_id)
    return True


# ---- reading -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Progress:
    items: int
    # Items per state: pending, queued, running, done, partial, failed, cancelled, interrupted,
    # refused, removed.
    states: dict[str, int]
    images_done: int
    images_expected: int
    cancelled: bool

    @property
    def finished(self) -> int:
        return sum(count for state, count in self.states.items() if state not in (PENDING, QUEUED, "running"))

    @property
    def active(self) -> bool:
        return self.finished < self.items

    def describe(self) -> str:
        """For example: 12 of 40 prompts finished · 18 images · 3 running · 25 waiting (in the language of
        the user being answered)."""
        parts = [
            _("{finished} of {items} prompts finished", finished=self.finished, items=self.items),
            _("{count} images", count=self.images_done),
        ]
        for state, template in _COUNTED.items():
            if self.states.get(state):
                parts.append(_(template, count=self.states[state]))
        if self.cancelled:
            parts.append(_("cancelled"))
        return " · ".join(parts)


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    id: str
    name: str
    created_at: datetime
    series_id: str
    pack_id: str | None
    defaults: ItemFields
    progress: Progress


def _item_and_job() -> sqlalchemy.ColumnElement[bool]:
    return sqlalchemy.and_(Generation.batch_id == ItemRow.batch_id, Generation.batch_position == ItemRow.position)


def progress_in(db: Session, batch: Batch) -> Progress:
    states: collections.Counter[str] = collections.Counter()
    expected = 0
    for state, status, count, variants in db.exec(
        select(ItemRow.state, Generation.status, func.count(), func.sum(Generation.variant_count))
        .select_from(ItemRow)
        .join(Generation, _item_and_job(), isouter=True)
        .where(ItemRow.batch_id == batch.id)
        .group_by(ItemRow.state, Generation.status)
    ).all():
        if status is not None:  # a queued item's state is its job's
            states[status] += count
            expected += int(variants or 0)
        else:
            states[REMOVED if state == QUEUED else state] += count
    images = db.exec(
        select(func.count())
        .select_from(Image)
        .join(Generation, Generation.id == Image.generation_id)
        .where(Generation.batch_id == batch.id)
    ).one()
    return Progress(
        items=batch.item_count,
        states=dict(states),
        images_done=int(images),
        images_expected=expected,
        cancelled=batch.cancelled,
    )


def _summary(db: Session, batch: Batch) -> BatchSummary:
    return BatchSummary(
        id=batch.id,
        name=batch.name,
        created_at=batch.created_at,
        series_id=batch.series_id,
        pack_id=batch.pack_id,
        defaults=ItemFields.decode(batch.defaults),
        progress=progress_in(db, batch),
    )


def summary(engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str) -> BatchSummary | None:
    with session(engine) as db:
        batch = db.exec(select(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id)).first()
        return _summary(db, batch) if batch else None


def recent(engine: sqlalchemy.Engine, *, owner_id: str, limit: int = 50) -> list[BatchSummary]:
    """The owner's latest batches, newest first."""
    with session(engine) as db:
        batches = db.exec(
            select(Batch)
            .where(Batch.owner_id == owner_id)
            .order_by(col(Batch.created_at).desc(), col(Batch.id).desc())
            .limit(limit)
        ).all()
        return [_summary(db, batch) for batch in batches]


def series_size(engine: sqlalchemy.Engine, series_id: str, *, owner_id: str) -> int:
    """How many of the owner's batches run the same prompts and seeds (columns of one comparison)."""
    with session(engine) as db:
        return db.exec(
            select(func.count()).select_from(Batch).where(Batch.series_id == series_id, Batch.owner_id == owner_id)
        ).one()


@dataclasses.dataclass(frozen=True)
class ItemView:
    position: int
    prompt: str
    fields: ItemFields
    seed: int
    status: str
    message: str
    model_profile: str
    image_ids: list[str]
    variant_count: int
    generation_id: str | None


def items_page(
    engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str, start: int = 0, limit: int = ITEMS_PAGE
) -> list[ItemView]:
    """Items from position `start` on, in order, each with its job's state and image ids."""
    with session(engine) as db:
        owned = db.exec(select(Batch.id).where(Batch.id == batch_id, Batch.owner_id == owner_id)).first()
        if owned is None:
            return []
        rows = db.exec(
            select(ItemRow, Generation)
            .join(
                Generation,
                _item_and_job(),
                isouter=True,
            )
            .where(ItemRow.batch_id == batch_id, ItemRow.position >= start)
            .order_by(col(ItemRow.position))
            .limit(limit)
        ).all()
        generation_ids = [generation.id for _item, generation in rows if generation is not None]
        images: dict[str, list[str]] = collections.defaultdict(list)
        if generation_ids:
            for generation_id, image_id in db.exec(
                select(Image.generation_id, Image.id)
                .where(col(Image.generation_id).in_(generation_ids))
                .order_by(col(Image.variant))
            ).all():
                images[generation_id].append(image_id)
    return [_item_view(item, generation, images) for item, generation in rows]


def _item_view(item: ItemRow, generation: Generation | None, images: Mapping[str, list[str]]) -> ItemView:
    fields = ItemFields.decode(item.fields)
    if generation is not None:
        status, message = generation.status, in_language(generation.error) if generation.error else ""
    elif item.state == QUEUED:
        status, message = REMOVED, _("Its images were deleted from the gallery.")
    else:
        # Stored messages are English; those from the catalog (Cancelled before…) are shown translated.
        status, message = item.state, _(item.message) if item.message else ""
    return ItemView(
        position=item.position,
        prompt=item.prompt,
        fields=fields,
        seed=item.seed,
        status=status,
        message=message,
        model_profile=generation.model_profile if generation is not None else fields.model,
        image_ids=images.get(generation.id, []) if generation is not None else [],
        variant_count=generation.variant_count if generation is not None else 0,
        generation_id=generation.id if generation is not None else None,
    )


def items_of(
    engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str
) -> tuple[list[BatchItem], ItemFields, dict[int, int]] | None:
    """A batch's items and defaults as given, and each item's seed (by its new position): to run again."""
    with session(engine) as db:
        batch = db.exec(select(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id)).first()
        if batch is None:
            return None
        rows = db.exec(select(ItemRow).where(ItemRow.batch_id == batch_id).order_by(col(ItemRow.position))).all()
    items = [BatchItem(row.prompt, ItemFields.decode(row.fields)) for row in rows]
    return items, ItemFields.decode(batch.defaults), {index: row.seed for index, row in enumerate(rows)}


def rerun_name(name: str, label: str, catalog: Catalog) -> str:
    """A run again is told apart by its model: "Foxes on Demo FLUX.2" (a run again of that names the
    new model instead of adding a second one)."""
    for profile in catalog.models.values():
        if name.endswith(f" on {profile.label}"):
            name = name.removesuffix(f" on {profile.label}")
            break
    return f"{name} on {label}"


def rerun(engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str, model: str, catalog: Catalog) -> str | None:
    """The same prompts with the same seeds on another model, in the same series (one comparison
    grid); every item runs on `model`, whatever model it named. None for a foreign or missing batch."""
    found = items_of(engine, batch_id, owner_id=owner_id)
    if found is None:
        return None
    items, defaults, seeds = found
    with session(engine) as db:
        original = db.exec(select(Batch).where(Batch.id == batch_id)).one()
    profile = catalog.get(model)
    return create(
        engine,
        owner_id=owner_id,
        name=rerun_name(original.name, profile.label, catalog),
        items=[dataclasses.replace(item, fields=dataclasses.replace(item.fields, model="")) for item in items],
        defaults=dataclasses.replace(defaults, model=profile.id),
        catalog=catalog,
        series_id=original.series_id,
        pack_id=original.pack_id,
        seeds=seeds,
    )
