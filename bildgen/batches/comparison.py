"""The comparison grid of one series of batches (re-runs of a batch, runs of a pack): rows are the
prompts, columns the runs (usually one model each), cells the images, all made with the same seeds.

A row is one prompt with one seed: runs that gave a prompt another seed show it on another row
rather than side by side with images that are not comparable.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy
from sqlmodel import Session, col, select

from bildgen.batches import runs
from bildgen.batches.items import ItemFields
from bildgen.store.db import session
from bildgen.store.models import Batch, Generation, Image
from bildgen.store.models import BatchItem as ItemRow

MAX_COLUMNS = 8
ROWS_PER_PAGE = 10


@dataclasses.dataclass(frozen=True)
class Column:
    batch_id: str
    model_profile: str
    created_at: datetime
    name: str


@dataclasses.dataclass(frozen=True)
class Cell:
    status: str
    image_ids: list[str]


@dataclasses.dataclass(frozen=True)
class Row:
    prompt: str
    seed: int
    cells: list[Cell | None]  # one per column; None where that run did not have this prompt


@dataclasses.dataclass(frozen=True)
class Grid:
    series_id: str
    columns: list[Column]
    rows: list[Row]
    total_rows: int
    active: bool


def grid(
    engine: sqlalchemy.Engine, batch_id: str, *, owner_id: str, start: int = 0, limit: int = ROWS_PER_PAGE
) -> Grid | None:
    """The grid of the series `batch_id` belongs to (the owner's runs only, the latest MAX_COLUMNS),
    rows `start` to `start + limit`. None for a foreign or missing batch."""
    with session(engine) as db:
        batch = db.exec(select(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id)).first()
        if batch is None:
            return None
        batches = list(
            db.exec(
                select(Batch)
                .where(Batch.series_id == batch.series_id, Batch.owner_id == owner_id)
                .order_by(col(Batch.created_at).desc(), col(Batch.id))
                .limit(MAX_COLUMNS)
            ).all()
        )[::-1]
        column_of = {batch.id: index for index, batch in enumerate(batches)}
        items = db.exec(
            select(ItemRow.batch_id, ItemRow.position, ItemRow.prompt, ItemRow.seed)
            .where(col(ItemRow.batch_id).in_(list(column_of)))
            .order_by(col(ItemRow.position))
        ).all()
        # Rows in the order prompts first appear, runs taken oldest first.
        places: dict[tuple[str, int], dict[int, int]] = collections.defaultdict(dict)
        order: dict[tuple[str, int], tuple[int, int]] = {}
        for item_batch, position, prompt, seed in items:
            key = (prompt, seed)
            places[key][column_of[item_batch]] = position
            order[key] = min(order.get(key, (position, column_of[item_batch])), (position, column_of[item_batch]))
        keys = sorted(places, key=lambda key: order[key])
        shown = keys[start : start + limit]
        wanted = [(batches[column].id, position) for key in shown for column, position in places[key].items()]
        jobs, images = _jobs_and_images(db, wanted)
        progress_active = any(runs.progress_in(db, each).active and not each.cancelled for each in batches)
    columns = [
        Column(
            batch_id=each.id,
            model_profile=ItemFields.decode(each.defaults).model,
            created_at=each.created_at,
            name=each.name,
        )
        for each in batches
    ]
    rows = []
    for key in shown:
        cells: list[Cell | None] = [None] * len(batches)
        for column, position in places[key].items():
            job = jobs.get((batches[column].id, position))
            cells[column] = Cell(job.status, images.get(job.id, [])) if job is not None else Cell(runs.PENDING, [])
        rows.append(Row(prompt=key[0], seed=key[1], cells=cells))
    return Grid(series_id=batch.series_id, columns=columns, rows=rows, total_rows=len(keys), active=progress_active)


def _jobs_and_images(
    db: Session, wanted: list[tuple[str, int]]
) -> tuple[Mapping[tuple[str, int], Generation], Mapping[str, list[str]]]:
    if not wanted:
        return {}, {}
    pairs = sqlalchemy.tuple_(Generation.batch_id, Generation.batch_position).in_(wanted)
    jobs = {(job.batch_id, job.batch_position): job for job in db.exec(select(Generation).where(pairs)).all()}
    images: dict[str, list[str]] = collections.defaultdict(list)
    job_ids = [job.id for job in jobs.values()]
    if job_ids:
        for generation_id, image_id in db.exec(
            select(Image.generation_id, Image.id)
            .where(col(Image.generation_id).in_(job_ids))
            .order_by(col(Image.variant))
        ).all():
            images[generation_id].append(image_id)
    return jobs, images
