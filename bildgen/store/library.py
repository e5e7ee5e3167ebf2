"""A user's images and reference images, looked up by id only together with their owner.

Every lookup takes the owner: a foreign id and a missing id both give None, so callers answer
both with the same "not found".
"""

from __future__ import annotations

import sqlalchemy
from sqlmodel import select

from bildgen.store.db import session, storage_errors
from bildgen.store.files import ImageFiles
from bildgen.store.models import EditMask, Generation, GenerationReference, Image, ReferenceImage


def find_image(engine: sqlalchemy.Engine, image_id: str, owner_id: str) -> tuple[Image, Generation] | None:
    with session(engine) as db:
        found = db.exec(
            select(Image, Generation)
            .join(Generation, Generation.id == Image.generation_id)
            .where(Image.id == image_id, Image.owner_id == owner_id)
        ).first()
        return (found[0], found[1]) if found else None


def owner_of_image(engine: sqlalchemy.Engine, image_id: str) -> str | None:
    """Whose image this is; only for checks that then act as that owner (a signed link)."""
    with session(engine) as db:
        return db.exec(select(Image.owner_id).where(Image.id == image_id)).first()


def add_reference(
    engine: sqlalchemy.Engine,
    files: ImageFiles,
    *,
    owner_id: str,
    png: bytes,
    name: str,
    source_image_id: str | None = None,
    credentials: str | None = None,
) -> ReferenceImage:
    """Store a cleaned reference image (file first, then its row) for one user; `credentials`: what
    the upload's Content Credentials said (as JSON). Raises StorageUnavailable when either cannot be written."""
    with storage_errors():
        sha256 = files.save(png)
        reference = ReferenceImage(
            owner_id=owner_id,
            sha256=sha256,
            name=name[:255],
            source_image_id=source_image_id,
            credentials=credentials,
        )
        with session(engine) as db:
            db.add(reference)
            db.commit()
    return reference


def find_reference(engine: sqlalchemy.Engine, reference_id: str, owner_id: str) -> ReferenceImage | None:
    with session(engine) as db:
        return db.exec(
            select(ReferenceImage).where(ReferenceImage.id == reference_id, ReferenceImage.owner_id == owner_id)
        ).first()


def references_of(engine: sqlalchemy.Engine, generation_id: str, owner_id: str) -> list[ReferenceImage]:
    with session(engine) as db:
        return list(
            db.exec(
                select(ReferenceImage)
                .join(GenerationReference, GenerationReference.reference_id == ReferenceImage.id)
                .where(GenerationReference.generation_id == generation_id, ReferenceImage.owner_id == owner_id)
                .order_by(GenerationReference.position)
            ).all()
        )


def add_mask(engine: sqlalchemy.Engine, files: ImageFiles, *, owner_id: str, reference_id: str, png: bytes) -> EditMask:
    """Store a cleaned mask (file first, then its row) painted on one of the user's references.
    Raises StorageUnavailable when either cannot be written."""
    with storage_errors():
        sha256 = files.save(png)
        mask = EditMask(owner_id=owner_id, reference_id=reference_id, sha256=sha256)
        with session(engine) as db:
            db.add(mask)
            db.commit()
    return mask


def find_mask(engine: sqlalchemy.Engine, mask_id: str, owner_id: str) -> EditMask | None:
    with session(engine) as db:
        return db.exec(select(EditMask).where(EditMask.id == mask_id, EditMask.owner_id == owner_id)).first()
