"""A job with a painted mask: the runner sends it with the first reference, and the generation keeps it."""

import io

from PIL import Image, ImageChops, ImageDraw

from bildgen.store import library, metadata
from bildgen.store.files import ImageFiles
from bildgen.store.masks import clean_mask
from bildgen.store.models import Generation, GenerationStatus
from bildgen.store.models import Image as ImageRow
from tests.unit import test_jobs

world = test_jobs.world


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_masked_edit_sends_the_mask_changes_only_that_area_and_records_it(world, demo_server):
    references = ImageFiles(world.library.files.root.parent / "references")
    original = Image.new("RGB", (256, 256), "teal")
    reference = library.add_reference(world.engine, references, owner_id=world.owner.id, png=png(original), name="r")
    painting = Image.new("L", (128, 128), 0)
    ImageDraw.Draw(painting).rectangle((0, 0, 63, 63), fill=255)  # the top-left quarter, at half resolution
    mask = library.add_mask(
        world.engine,
        references,
        owner_id=world.owner.id,
        reference_id=reference.id,
        png=clean_mask(png(painting), reference_size=(256, 256)),
    )

    job = world.run([3], reference_ids=[reference.id], mask_id=mask.id, size=(256, 256))

    assert job.status == GenerationStatus.DONE
    edit = [entry for entry in demo_server.app.state.log.entries if entry["path"] == "/v1/images/edits"][-1]
    assert [part["field"] for part in edit["body"]["image_parts"]] == ["image[]", "mask"]
    saved = world.library.files.path_for(world.rows(ImageRow)[0].sha256)
    result = Image.open(io.BytesIO(saved.read_bytes())).convert("RGB")
    assert ImageChops.difference(result, original).getbbox() == (0, 0, 128, 128)
    assert metadata.read(saved.read_bytes()).masked is True
    [generation] = world.rows(Generation)
    assert generation.mask_id == mask.id


def test_without_a_mask_the_recipe_says_so(world):
    world.run([3])
    [generation] = world.rows(Generation)
    assert generation.mask_id is None
    saved = world.library.files.path_for(world.rows(ImageRow)[0].sha256)
    assert metadata.read(saved.read_bytes()).masked is False
