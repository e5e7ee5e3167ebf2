"""Retry of a finished run: only its missing images, each with its own seed, as they were asked for."""

import asyncio

import pytest

from bildgen.generation.retry import NothingToRetry, retry_missing
from bildgen.inference.demo.common import FaultPlan
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, create_app
from bildgen.store.models import GenerationStatus
from tests.jobs import wait_until_final
from tests.unit.conftest import make_user
from tests.unit.test_jobs import World


def test_a_retry_makes_only_the_images_that_failed_with_their_own_seeds(tmp_path, database_url):
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("server-error", remaining=1)
    server = BackgroundServer(app).start()
    try:
        world = World(tmp_path, database_url, server.base_url)
        first = world.run([11, 12], steps=9)
        assert first.status == GenerationStatus.PARTIAL
        missing_seed = next(seed for variant, seed in enumerate(first.seeds) if variant not in first.images)

        async def retried():
            async with world.runner().running() as runner:
                job_id = retry_missing(world.engine, first.id, owner_id=world.owner.id)
                runner.wake()
                return await wait_until_final(world.engine, job_id, world.owner.id)

        again = asyncio.run(retried())
        assert again.status == GenerationStatus.DONE
        assert again.seeds == [missing_seed] and [image.seed for image in again.images.values()] == [missing_seed]
        sent = [entry for entry in app.state.demo.log.entries if entry["path"] == "/v1/images/generations"]
        assert sent[-1]["body"]["num_inference_steps"] == 9  # asked for as before
        assert sent[-1]["body"]["prompt"] == "a red fox"

        with pytest.raises(NothingToRetry):  # every image of the retry was saved
            retry_missing(world.engine, again.id, owner_id=world.owner.id)
        with pytest.raises(NothingToRetry):  # someone else's run is no run of theirs
            retry_missing(world.engine, first.id, owner_id=make_user(world.engine, "bert").id)
    finally:
        server.stop()
