"""A generation from start to saved files, against the demo server over HTTP."""

import asyncio
import hashlib
import time

import pytest
from sqlmodel import select

from bildgen.inference.client import ServerEndpoint
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, FaultPlan, create_app, start_demo_server
from bildgen.inference.errors import InferenceError
from bildgen.jobs import Generator, Recipe
from bildgen.params import FAMILIES, effective
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.models import Generation, GenerationStatus, Image
from tests.unit.conftest import make_user


@pytest.fixture
def generator(tmp_path, database_url):
    engine = make_engine(database_url)
    migrate(engine)
    generator = Generator(engine, ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp"))
    generator.owner = make_user(engine)
    return generator


def recipe(generator: Generator, seeds: list[int]) -> Recipe:
    parameters = effective(FAMILIES["generic"])
    return Recipe(
        owner_id=generator.owner.id, prompt="a red fox", profile_id="demo", parameters=parameters, seeds=seeds
    )


def run(generator: Generator, base_url: str, seeds: list[int]):
    async def go():
        running = await generator.start(recipe(generator, seeds), ServerEndpoint(base_url))
        outcomes = await asyncio.gather(*running.variants)
        status = await running.finished
        return running, outcomes, status

    return asyncio.run(go())


def rows(generator: Generator, table):
    with session(generator.engine) as db:
        return db.exec(select(table)).all()


def test_every_variant_is_saved_with_its_own_seed(generator, demo_server):
    running, outcomes, status = run(generator, demo_server.base_url, [5, 6, 7])
    assert status == GenerationStatus.DONE
    assert [outcome.seed for outcome in outcomes] == [5, 6, 7]
    images = rows(generator, Image)
    assert sorted(image.seed for image in images) == [5, 6, 7]
    for image in images:
        assert image.owner_id == generator.owner.id
        data = generator.files.path_for(image.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == image.sha256
        assert (image.width, image.height) == (1024, 1024)
    assert outcomes[0].image.filename.endswith("_a-red-fox_5_bildgen-demo.png")


def test_variants_run_concurrently(generator):
    server = start_demo_server(DemoOptions(latency_per_image=0.5))
    try:
        running, _, _ = run(generator, server.base_url, [1, 2, 3, 4])
        requests = [entry for entry in server.app.state.log.entries if entry["path"].endswith("/generations")]
    finally:
        server.stop()
    # All four requests were sent before the first answer could have come back.
    sent = sorted(entry["at"] for entry in requests)
    assert len(sent) == 4 and sent[-1] - sent[0] < 0.5


def test_the_same_recipe_and_seed_reproduce_the_same_bytes(generator, demo_server):
    run(generator, demo_server.base_url, [99])
    run(generator, demo_server.base_url, [99])
    images = rows(generator, Image)
    assert len(images) == 2 and images[0].sha256 == images[1].sha256


def test_a_server_that_is_down_stores_nothing(generator):
    with pytest.raises(InferenceError):
        run(generator, "http://127.0.0.1:9/v1", [1, 2])
    assert rows(generator, Generation) == []
    assert rows(generator, Image) == []
    assert not generator.files.root.exists() or list(generator.files.root.rglob("*.png")) == []


def test_a_failing_variant_does_not_stop_the_others(generator, demo_server, monkeypatch):
    original = generator._save

    def save_all_but_seed_2(generation, variant, seed, *rest):
        if seed == 2:
            raise OSError("disk full")
        return original(generation, variant, seed, *rest)

    monkeypatch.setattr(generator, "_save", save_all_but_seed_2)
    _, outcomes, status = run(generator, demo_server.base_url, [1, 2, 3])
    assert status == GenerationStatus.PARTIAL
    assert [outcome.image is not None for outcome in outcomes] == [True, False, True]
    assert "could not be saved" in outcomes[1].error
    assert sorted(image.seed for image in rows(generator, Image)) == [1, 3]
    assert rows(generator, Generation)[0].status == GenerationStatus.PARTIAL


def test_a_failing_server_leaves_a_failed_generation_and_no_image(generator):
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("server-error", remaining=10)
    server = BackgroundServer(app).start()
    try:
        _, outcomes, status = run(generator, server.base_url, [1, 2])
    finally:
        server.stop()
    assert status == GenerationStatus.FAILED
    assert all("failed while generating" in outcome.error for outcome in outcomes)
    assert rows(generator, Image) == []
    assert rows(generator, Generation)[0].error.startswith("The inference server failed while generating.")


def test_cancelling_closes_the_outstanding_requests_and_keeps_nothing(generator):
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("hang", remaining=2)
    server = BackgroundServer(app).start()

    async def go():
        running = await generator.start(recipe(generator, [1, 2]), ServerEndpoint(server.base_url))
        while len([e for e in app.state.log.entries if e["path"] == "/v1/images/generations"]) < 2:
            await asyncio.sleep(0.02)
        running.cancel()
        return await running.finished

    try:
        status = asyncio.run(go())
        for _ in range(50):
            if sum(entry["method"] == "DISCONNECT" for entry in app.state.log.entries) == 2:
                break
            time.sleep(0.05)
    finally:
        server.stop()
    assert status == GenerationStatus.CANCELLED
    assert sum(entry["method"] == "DISCONNECT" for entry in app.state.log.entries) == 2
    assert rows(generator, Image) == []


def test_each_saved_png_carries_its_recipe_and_has_a_small_webp_thumbnail(generator, demo_server):
    from PIL import Image as Picture

    from bildgen.store import metadata

    run(generator, demo_server.base_url, [41])
    [image] = rows(generator, Image)
    recipe = metadata.read(generator.files.path_for(image.sha256).read_bytes())
    assert (recipe.prompt, recipe.seed, recipe.steps, recipe.model) == (
        "a red fox",
        41,
        FAMILIES["generic"].steps,
        "bildgen-demo",
    )
    with Picture.open(generator.thumbnails.path_for(image.sha256)) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) == 384
    assert image.generation_ms is not None and image.generation_ms >= 0
