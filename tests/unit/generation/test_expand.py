"""Expand (outpaint): a padded canvas and the new area's mask, sent as an edit; only the new area is painted."""

import asyncio
import io

import pytest
from PIL import Image as PILImage
from PIL import ImageChops

from bildgen.generation.expand import ExpandRefused, Padding, expand_canvas, padding_for, submit_expand
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.prompts.elements import RecipeExtras
from bildgen.store import gallery
from bildgen.store.files import ImageFiles
from tests.jobs import wait_until_final
from tests.unit.test_jobs import World


@pytest.fixture
def world(tmp_path, database_url):
    server = start_demo_server(DemoOptions(latency_per_image=0.0))
    yield World(tmp_path, database_url, server.base_url), server
    server.stop()


def opened(world, image):
    return PILImage.open(io.BytesIO(world.library.files.path_for(image.sha256).read_bytes())).convert("RGB")


def expand(world, image_id, **choice):
    references = ImageFiles(world.library.files.root.parent / "references")

    async def go():
        async with world.runner().running() as runner:
            job_id = await asyncio.to_thread(
                submit_expand,
                world.engine,
                world.library.files,
                references,
                world.catalog,
                owner_id=world.owner.id,
                image_id=image_id,
                profile_id="demo",
                **choice,
            )
            runner.wake()
            return await wait_until_final(world.engine, job_id, world.owner.id)

    return asyncio.run(go())


def test_expanding_left_and_right_paints_only_the_new_area_and_keeps_the_lineage(world):
    world, server = world
    source = world.run([3], size=(512, 512)).images[0]

    job = expand(world, source.id, amounts={"left": 0.25, "right": 0.25})

    [result] = job.images.values()
    assert (result.width, result.height) == (768, 512)
    found = gallery.details(world.engine, world.owner.id, result.id)
    assert [image.id for image in found.made_from] == [source.id]
    assert found.generation.mode == "expand"
    assert RecipeExtras.decode(found.generation.recipe_extras).describe() == ["Expanded: left +128 px, right +128 px"]
    painted = opened(world, found.image)
    # The original, untouched in the middle; the new strips painted by the model.
    assert ImageChops.difference(painted.crop((128, 0, 640, 512)), opened(world, found.made_from[0])).getbbox() is None
    [edit] = [entry for entry in server.app.state.log.entries if entry["path"] == "/v1/images/edits"]
    assert edit["body"]["size"] == "768x512"


def test_a_target_aspect_ratio_pads_the_short_direction_evenly_to_the_models_step():
    assert padding_for(1024, 1024, aspect=(16, 9)) == Padding(left=398, right=402)  # 1820 → 1824
    assert padding_for(1024, 576, aspect=(1, 1)) == Padding(top=224, bottom=224)
    with pytest.raises(ExpandRefused):
        padding_for(512, 512, amounts={"left": 0.3})
    with pytest.raises(ExpandRefused):
        padding_for(512, 512, amounts={})


def test_the_mask_is_white_exactly_where_the_canvas_is_new():
    source = io.BytesIO()
    PILImage.new("RGB", (64, 32), (10, 200, 30)).save(source, format="PNG")
    canvas, mask = expand_canvas(source.getvalue(), Padding(top=16, bottom=16))
    canvas_image, mask_image = PILImage.open(io.BytesIO(canvas)), PILImage.open(io.BytesIO(mask))
    assert canvas_image.size == mask_image.size == (64, 64)
    assert mask_image.getpixel((5, 5)) == 255 and mask_image.getpixel((5, 60)) == 255
    assert mask_image.getpixel((5, 30)) == 0
    assert canvas_image.getpixel((5, 30)) == (10, 200, 30)


def test_an_expand_beyond_the_models_largest_side_is_refused_naming_it(world):
    world, _ = world
    source = world.run([3], size=(2048, 1024)).images[0]
    with pytest.raises(ExpandRefused, match="2048 pixels a side"):
        expand(world, source.id, amounts={"left": 0.5})
