"""Upscale as a job: through the queue to the demo upscaler, saved as a new image with lineage and recipe."""

import asyncio
import io

import pytest
from PIL import Image as PILImage

from bildgen.generation.upscale import UpscaleRefused, submit_upscale
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import views
from bildgen.prompts.elements import RecipeExtras
from bildgen.store import gallery
from bildgen.store.files import ImageFiles
from bildgen.store.models import GenerationStatus, ReferenceImage
from tests.jobs import wait_until_final
from tests.unit.conftest import make_user
from tests.unit.test_jobs import World


@pytest.fixture
def servers():
    image_server = start_demo_server(DemoOptions(latency_per_image=0.0))
    upscaler = start_demo_server(DemoOptions(flavor="upscaler", latency_per_image=0.0))
    yield image_server, upscaler
    upscaler.stop()
    image_server.stop()


def with_upscaler(world: World, upscaler_url: str, **fields) -> None:
    profile = ModelProfile(
        id="sharp", label="Sharp ×4", base_url=upscaler_url, provider="upscaler-http", max_concurrent=1, **fields
    )
    world.catalog = Catalog(
        default_model="demo", models={"demo": world.catalog.default, "sharp": profile}, default_upscaler="sharp"
    )


def upscale(world: World, image_id: str, factor: int, owner=None) -> views.JobView:
    owner = owner or world.owner
    references = ImageFiles(world.library.files.root.parent / "references")

    async def go():
        async with world.runner().running() as runner:
            job_id = await asyncio.to_thread(
                submit_upscale,
                world.engine,
                world.library.files,
                references,
                world.catalog,
                owner_id=owner.id,
                image_id=image_id,
                factor=factor,
            )
            runner.wake()
            return await wait_until_final(world.engine, job_id, owner.id)

    return asyncio.run(go())


def size(world: World, image) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(world.library.files.path_for(image.sha256).read_bytes())) as opened:
        return opened.size


def test_an_upscale_is_a_job_whose_image_is_larger_and_remembers_its_source(tmp_path, database_url, servers):
    image_server, upscaler = servers
    world = World(tmp_path, database_url, image_server.base_url)
    with_upscaler(world, upscaler.origin)
    source = world.run([7], size=(512, 384)).images[0]

    job = upscale(world, source.id, 2)

    assert job.status == GenerationStatus.DONE
    [larger] = job.images.values()
    assert (larger.width, larger.height) == (1024, 768)
    found = gallery.details(world.engine, world.owner.id, larger.id)
    assert [image.id for image in found.made_from] == [source.id]
    assert size(world, found.image) == (1024, 768)
    assert found.generation.mode == "upscale"
    assert found.generation.model_label == "Sharp ×4"
    recipe = RecipeExtras.decode(found.generation.recipe_extras)
    assert recipe.describe() == ["Upscaled ×2 with Sharp ×4."]
    assert [image.id for image in gallery.details(world.engine, world.owner.id, source.id).made_into] == [larger.id]
    [sent] = [entry for entry in upscaler.app.state.log.entries if entry["path"] == "/upscale"]
    assert sent["body"]["scale"] == 2


def test_an_upscale_beyond_the_profiles_largest_side_is_refused_naming_it_and_stores_nothing(
    tmp_path, database_url, servers
):
    image_server, upscaler = servers
    world = World(tmp_path, database_url, image_server.base_url)
    with_upscaler(world, upscaler.origin, max_output_side=1536)
    source = world.run([7], size=(512, 512)).images[0]
    references_before = len(world.rows(ReferenceImage))

    with pytest.raises(UpscaleRefused) as refused:
        upscale(world, source.id, 4)

    assert "2048×2048" in refused.value.message and "1536" in refused.value.message
    assert (refused.value.field, refused.value.kind) == ("scale", "invalid")
    assert len(world.rows(ReferenceImage)) == references_before


def test_someone_elses_image_cannot_be_upscaled(tmp_path, database_url, servers):
    image_server, upscaler = servers
    world = World(tmp_path, database_url, image_server.base_url)
    with_upscaler(world, upscaler.origin)
    source = world.run([7], size=(512, 512)).images[0]
    with pytest.raises(UpscaleRefused, match="does not exist"):
        upscale(world, source.id, 2, owner=make_user(world.engine, "bert"))


def test_without_an_upscaler_the_upscale_is_refused_in_words(tmp_path, database_url, servers):
    image_server, _ = servers
    world = World(tmp_path, database_url, image_server.base_url)
    world.catalog = Catalog(default_model="demo", models={"demo": world.catalog.default})
    source = world.run([7], size=(512, 512)).images[0]
    with pytest.raises(UpscaleRefused, match="No upscaler"):
        upscale(world, source.id, 2)


def test_a_creative_upscale_on_an_image_profile_is_an_edit_at_the_larger_size_said_to_change_details(
    tmp_path, database_url, servers
):
    image_server, _ = servers
    world = World(tmp_path, database_url, image_server.base_url)
    world.catalog = Catalog(default_model="demo", models={"demo": world.catalog.default}, default_upscaler="demo")
    source = world.run([7], size=(512, 512)).images[0]

    job = upscale(world, source.id, 2)

    assert job.status == GenerationStatus.DONE
    found = gallery.details(world.engine, world.owner.id, job.images[0].id)
    assert (found.image.width, found.image.height) == (1024, 1024)
    assert found.generation.mode == "creative-upscale"
    assert "details changed" in RecipeExtras.decode(found.generation.recipe_extras).describe()[0]
    edits = [entry for entry in image_server.app.state.log.entries if entry["path"] == "/v1/images/edits"]
    assert edits and edits[-1]["body"]["size"] == "1024x1024"


def test_the_embedded_demo_upscales_out_of_the_box(tmp_path, database_url, servers):
    image_server, _ = servers
    world = World(tmp_path, database_url, image_server.base_url)
    source = world.run([7], size=(256, 256)).images[0]
    job = upscale(world, source.id, 4)
    assert job.status == GenerationStatus.DONE
    assert (job.images[0].width, job.images[0].height) == (1024, 1024)
    log = image_server.app.state.demo.upscaler.log.entries
    assert [entry["body"]["scale"] for entry in log if entry["method"] == "POST"] == [4]
