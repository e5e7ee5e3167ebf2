"""A job that ends (or is queued) while the runner is claiming must not wait for the next poll."""

import asyncio

from bildgen.inference.profiles import demo_catalog
from bildgen.jobs import queue, runner
from bildgen.jobs.runner import JobRunner
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary


def test_a_wake_up_that_arrives_during_a_claim_is_not_lost(engine, tmp_path, monkeypatch):
    catalog = demo_catalog("http://127.0.0.1:9/v1")
    library = ImageLibrary(engine, ImageFiles(tmp_path / "i"), ImageFiles(tmp_path / "t", suffix=".webp"))
    job_runner = JobRunner(
        engine=engine, images=library, references=ImageFiles(tmp_path / "r"), catalog=lambda: catalog
    )
    claims: list[int] = []
    real_claim = queue.claim

    def claim(*args, **kwargs):
        claims.append(len(claims))
        if len(claims) == 1:
            # A job of this worker ends right now, while its claim is being made.
            job_runner.wake()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(queue, "claim", claim)

    async def go():
        async with job_runner.running():
            await asyncio.sleep(runner.POLL_S * 0.8)

    asyncio.run(go())
    # The wake-up made a second claim at once, not one poll (1 s) later.
    assert len(claims) >= 2
