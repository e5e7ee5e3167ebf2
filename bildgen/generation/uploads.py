"""The one way an upload becomes a stored image: a reference (the studio's drop zone, a result used
as a reference, a context element's image, a `/v1` edit's files) or a mask painted on one. Checked and
cleaned in the image pool (store/references.py, store/masks.py), then stored file first, row second.
Raises a Refusal: ReferenceRejected / MaskRejected say what is wrong with the file, StorageUnavailable
that nothing could be written, and a reference that is not the owner's is not found."""

from __future__ import annotations

import asyncio

from bildgen.boards import sharing
from bildgen.cpu import in_image_pool
from bildgen.i18n import _
from bildgen.provenance import verify as provenance
from bildgen.refusal import Refusal
from bildgen.services import Services
from bildgen.store import library
from bildgen.store.masks import clean_mask_for
from bildgen.store.models import EditMask, ReferenceImage
from bildgen.store.references import clean_reference_async


async def add_reference(
    services: Services,
    owner_id: str,
    data: bytes,
    *,
    name: str,
    stored_as: str | None = None,
    source_image_id: str | None = None,
) -> ReferenceImage:
    """`name` is how messages call the file; `stored_as` how the reference is listed (default: name)."""
    clean = await clean_reference_async(data, name=name)
    # Cleaning re-encodes the picture and drops its Content Credentials: they are checked before.
    credentials = await in_image_pool(provenance.upload_credentials, data)
    return await asyncio.to_thread(
        library.add_reference,
        services.engine,
        services.references,
        owner_id=owner_id,
        png=clean,
        name=stored_as or name,
        source_image_id=source_image_id,
        credentials=credentials,
    )


async def add_mask(services: Services, owner_id: str, reference_id: str, data: bytes) -> EditMask:
    """A mask as painted (white = change), fitted to the owner's reference it was painted on."""
    reference = await asyncio.to_thread(library.find_reference, services.engine, reference_id, owner_id)
    if reference is None:
        raise Refusal(_("That reference image does not exist (any more)."), field="reference", kind="not_found")
    clean = await clean_mask_for(data, services.references.path_for(reference.sha256))
    return await asyncio.to_thread(
        library.add_mask, services.engine, services.references, owner_id=owner_id, reference_id=reference.id, png=clean
    )


# What a front may look up of the owner's images and inputs: another user's are not found (None).


async def find_image(services: Services, image_id: str, owner_id: str):  # -> (GeneratedImage, Generation) | None
    return await asyncio.to_thread(library.find_image, services.engine, image_id, owner_id)


async def find_viewable_image(services: Services, image_id: str, viewer_id: str):  # -> (image, generation) | None
    """The viewer's own image, or someone else's on a board shared with the viewer (to copy from, never to change)."""
    return await asyncio.to_thread(sharing.viewable_image, services.engine, viewer_id, image_id)


async def find_mask(services: Services, mask_id: str, owner_id: str) -> EditMask | None:
    return await asyncio.to_thread(library.find_mask, services.engine, mask_id, owner_id)


async def references_of(services: Services, generation_id: str, owner_id: str) -> list[ReferenceImage]:
    return await asyncio.to_thread(library.references_of, services.engine, generation_id, owner_id)
