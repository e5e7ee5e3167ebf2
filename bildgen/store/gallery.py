"""A user's gallery: pages by key (never OFFSET), filters, one image's details and lineage,
favourites and deletion. Every function takes the owner and touches nothing of anyone else's.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy
from sqlmodel import col, func, select

from bildgen.boards import sharing
from bildgen.store import library
from bildgen.store.db import session, storage_errors
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import shown_seed
from bildgen.store.models import (
    Board,
    BoardImage,
    Generation,
    GenerationReference,
    GenerationStatus,
    Image,
    ReferenceImage,
    ViewLink,
)

PAGE_SIZE = 48

# Generation.model_name in SQL: the model's label, or its served id where no label was kept.
_MODEL_NAME = func.coalesce(Generation.model_label, Generation.served_model)


@dataclasses.dataclass(frozen=True)
class Cursor:
    """Where the next page starts: strictly older than this (created_at, id)."""

    created_at: datetime
    image_id: str

    def encode(self) -> str:
        return f"{self.created_at.isoformat()}|{self.image_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        moment, _, image_id = text.partition("|")
        try:
            created_at = datetime.fromisoformat(moment)
        except ValueError:
            return None
        # bildgen's cursors carry UTC's offset; one without is not bildgen's.
        return cls(created_at, image_id) if image_id and created_at.tzinfo else None


@dataclasses.dataclass(frozen=True)
class Filters:
    model: str = ""  # a served model id; "" = every model
    favourites_only: bool = False
    text: str = ""  # words that must appear in the prompt
    batch_id: str = ""  # only the images of one batch (bildgen.batches); "" = any
    # Only the images of one board (bildgen.boards) the user may see: theirs or shared with them.
    board_id: str = ""


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[tuple[Image, Generation]]
    next_cursor: Cursor | None


def page(
    engine: sqlalchemy.Engine,
    owner_id: str,
    *,
    filters: Filters = Filters(),
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of what `owner_id` may see: their own images, or with a board filter that board's
    images (others' too, on a board shared with them)."""
    query = select(Image, Generation).join(Generation, Generation.id == Image.generation_id)
    # The key the page is ordered by: a board pages on its own index (BoardImage repeats created_at).
    created_at, image_id = col(Image.created_at), col(Image.id)
    if filters.board_id:
        query = (
            query.join(BoardImage, BoardImage.image_id == Image.id)
            .join(Board, Board.id == BoardImage.board_id)
            .where(Board.id == filters.board_id, sharing.viewable(owner_id))
        )
        created_at, image_id = col(BoardImage.image_created_at), col(BoardImage.image_id)
    else:
        query = query.where(Image.owner_id == owner_id)
    if after is not None:
        query = query.where(
            sqlalchemy.tuple_(created_at, image_id) < sqlalchemy.tuple_(after.created_at, after.image_id)
        )
    if filters.model:
        query = query.where(_MODEL_NAME == filters.model)
    if filters.batch_id:
        query = query.where(Generation.batch_id == filters.batch_id)
    if filters.favourites_only:
        query = query.where(col(Image.favourite).is_(True))
    for word in filters.text.split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Generation.prompt).like(f"%{escaped.lower()}%", escape="\\"))
    query = query.order_by(created_at.desc(), image_id.desc()).limit(limit + 1)
    with session(engine) as db:
        rows = [(image, generation) for image, generation in db.exec(query).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if rows else None
    return Page(items=rows, next_cursor=Cursor(last.created_at, last.id) if more and last else None)


def models_used(engine: sqlalchemy.Engine, owner_id: str) -> list[str]:
    """The names of the models a user's images were made with, for the gallery's filter."""
    with session(engine) as db:
        return sorted(db.exec(select(_MODEL_NAME).where(Generation.owner_id == owner_id).distinct()).all())


@dataclasses.dataclass(frozen=True)
class Details:
    image: Image
    generation: Generation
    references: list[ReferenceImage]  # what it was made from, in order
    made_from: list[Image]  # the user's own images among those references
    made_into: list[Image]  # images made with this one as a reference
    # Each of those images' seed as shown (image_library.shown_seed: None where none was sent).
    lineage_seeds: dict[str, int | None] = dataclasses.field(default_factory=dict)


def details(engine: sqlalchemy.Engine, owner_id: str, image_id: str) -> Details | None:
    found = library.find_image(engine, image_id, owner_id)
    if found is None:
        return None
    image, generation = found
    references = library.references_of(engine, generation.id, owner_id)
    with session(engine) as db:
        sources = [reference.source_image_id for reference in references if reference.source_image_id]
        made_from = (
            db.exec(select(Image).where(col(Image.id).in_(sources), Image.owner_id == owner_id)).all()
            if sources
            else []
        )
        made_into = db.exec(
            select(Image)
            .join(GenerationReference, GenerationReference.generation_id == Image.generation_id)
            .join(ReferenceImage, ReferenceImage.id == GenerationReference.reference_id)
            .where(ReferenceImage.source_image_id == image_id, Image.owner_id == owner_id)
            .order_by(col(Image.created_at))
        ).all()
        unique_made_into = list({made.id: made for made in made_into}.values())
        lineage = [*made_from, *unique_made_into]
        made_by = (
            {
                made.id: made
                for made in db.exec(
                    select(Generation).where(col(Generation.id).in_({image.generation_id for image in lineage}))
                ).all()
            }
            if lineage
            else {}
        )
        seeds = {image.id: shown_seed(image, made_by[image.generation_id]) for image in lineage}
        return Details(image, generation, list(references), list(made_from), unique_made_into, seeds)


def set_favourite(engine: sqlalchemy.Engine, owner_id: str, image_id: str, favourite: bool) -> bool:
    """False for a foreign or missing image; StorageUnavailable when the change cannot be written."""
    with storage_errors(), session(engine) as db:
        image = db.exec(select(Image).where(Image.id == image_id, Image.owner_id == owner_id)).first()
        if image is None:
            return False
        image.favourite = favourite
        db.add(image)
        db.commit()
        return True


def delete_image(
    engine: sqlalchemy.Engine, owner_id: str, image_id: str, *, files: ImageFiles, thumbnails: ImageFiles
) -> bool:
    """Remove the row; the file goes once no row references it (identical images share one).
    StorageUnavailable when the database refuses the change (nothing is removed then)."""
    with storage_errors(), session(engine) as db:
        image = db.exec(select(Image).where(Image.id == image_id, Image.owner_id == owner_id)).first()
        if image is None:
            return False
        sha256, generation_id = image.sha256, image.generation_id
        for reference in db.exec(select(ReferenceImage).where(ReferenceImage.source_image_id == image_id)).all():
            reference.source_image_id = None
            db.add(reference)
        db.exec(sqlalchemy.delete(BoardImage).where(BoardImage.image_id == image_id))
        db.exec(sqlalchemy.delete(ViewLink).where(ViewLink.image_id == image_id))
        db.delete(image)
        db.flush()
        if db.exec(select(func.count()).select_from(Image).where(Image.generation_id == generation_id)).one() == 0:
            for link in db.exec(
                select(GenerationReference).where(GenerationReference.generation_id == generation_id)
            ).all():
                db.delete(link)
            generation = db.get(Generation, generation_id)
            if generation is not None and generation.status != GenerationStatus.RUNNING:
                db.flush()
                db.delete(generation)
        still_used = db.exec(select(func.count()).select_from(Image).where(Image.sha256 == sha256)).one() > 0
        db.commit()
    if not still_used:
        files.delete(sha256)
        thumbnails.delete(sha256)
    return True


@dataclasses.dataclass(frozen=True)
class RunningJob:
    generation: Generation
    images_done: int


def running_jobs(engine: sqlalchemy.Engine, owner_id: str) -> list[RunningJob]:
    with session(engine) as db:
        rows = db.exec(
            select(Generation, func.count(col(Image.id)))
            .outerjoin(Image, Image.generation_id == Generation.id)
            .where(Generation.owner_id == owner_id, col(Generation.status).in_(GenerationStatus.ACTIVE))
            .group_by(Generation.id)
            .order_by(col(Generation.created_at).desc())
        ).all()
        return [RunningJob(generation, done) for generation, done in rows]


def latest_generation(engine: sqlalchemy.Engine, owner_id: str) -> tuple[Generation, list[Image]] | None:
    """The user's most recent generation and the images it has so far (it may still be running)."""
    with session(engine) as db:
        generation = db.exec(
            select(Generation)
            .where(Generation.owner_id == owner_id)
            .order_by(col(Generation.created_at).desc())
            .limit(1)
        ).first()
        if generation is None:
            return None
        images = db.exec(select(Image).where(Image.generation_id == generation.id).order_by(col(Image.variant))).all()
        return generation, list(images)
