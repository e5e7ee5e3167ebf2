"""Jobs on the other providers, end to end below the studio: a real JobRunner, the demo server's
provider flavors over HTTP, and restarts in the middle of a polled task."""

import asyncio
import re
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlmodel import select

from bildgen.api import tasks as api_tasks
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue, tasks, views
from bildgen.jobs.runner import JobRunner
from bildgen.state.gallery import gallery_card
from bildgen.store import gallery, metadata
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary, reference_name, stored_recipe
from bildgen.store.models import Generation, GenerationStatus, Image, VariantTask, utc_now
from tests.jobs import submission, wait_until_final
from tests.unit.conftest import make_user


@pytest.fixture
def services_for(tmp_path, database_url):
    """A database, image files and a catalog of one profile on a demo flavor."""
    servers = []

    class Setup:
        def __init__(self, flavor: str, provider: str, root: str, latency: float = 0.0, model_id=None, **fields):
            demo = {"model_id": model_id} if model_id else {}
            self.server = start_demo_server(DemoOptions(flavor=flavor, latency_per_image=latency, **demo))
            servers.append(self.server)
            self.database_url = database_url
            self.engine = make_engine(database_url)
            migrate(self.engine)
            self.library = ImageLibrary(
                self.engine, ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp")
            )
            self.profile = ModelProfile(
                id="p", label="P", base_url=self.server.origin + root, provider=provider, deadline_s=30, **fields
            )
            self.catalog = Catalog(default_model="p", models={"p": self.profile})
            self.owner = make_user(self.engine)
            self.root = tmp_path

        def runner(self, worker=None) -> JobRunner:
            return JobRunner(
                engine=self.engine,
                images=self.library,
                references=ImageFiles(self.root / "references"),
                catalog=lambda: self.catalog,
                worker=worker,
            )

        def submit(self, seeds, **fields) -> str:
            return queue.submit(self.engine, submission(self.owner, self.profile, seeds=seeds, **fields))

        def view(self, job_id):
            return views.view(self.engine, job_id, owner_id=self.owner.id)

        def posts(self, path: str) -> int:
            return sum(1 for e in self.server.app.state.log.entries if e["method"] == "POST" and e["path"] == path)

        def task_rows(self, job_id):
            with session(self.engine) as db:
                return db.exec(select(VariantTask).where(VariantTask.generation_id == job_id)).all()

    yield Setup
    for server in servers:
        server.stop()


async def until(condition, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(condition):
            await asyncio.sleep(0.05)


def test_an_automatic1111_job_keeps_its_options_and_reported_seeds_in_the_recipe(services_for):
    setup = services_for("automatic1111", "automatic1111", "")

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([11, 12], size=(512, 512))
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE
    assert {state.status for state in job.variants.values()} == {tasks.DONE}
    with session(setup.engine) as db:
        images = db.exec(select(Image)).all()
    assert sorted(image.seed for image in images) == [11, 12]
    recipe = metadata.read(setup.library.files.path_for(images[0].sha256).read_bytes())
    assert recipe.guidance_field == "cfg_scale" and recipe.guidance == 7.0


def test_a_gpt_image_recipe_records_no_seed_steps_or_guidance_it_was_never_sent(services_for):
    """GPT-Image takes no seed, steps or guidance: the image's recipe (the PNG's chunks, the lightbox,
    Reproduce) and the run's cards hold none of the family's placeholders, and offer no seed to reuse."""
    setup = services_for("openai", "openai", "/v1", model_id="gpt-image-1", served_name="gpt-image-1")

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([7], size=(1024, 1024))
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE
    assert job.seed_sent is False
    [sent] = [e["body"] for e in setup.server.app.state.log.entries if e["path"] == "/v1/images/generations"]
    assert not {"seed", "steps", "num_inference_steps", "guidance_scale"} & set(sent)
    with session(setup.engine) as db:
        [image] = db.exec(select(Image)).all()
        generation = db.get(Generation, image.generation_id)
    png = setup.library.files.path_for(image.sha256).read_bytes()
    recipe = metadata.read(png)
    assert (recipe.seed, recipe.steps, recipe.guidance) == (None, None, None)
    assert recipe.to_a1111() == "a red fox\nSize: 1024x1024, Model: gpt-image-1"
    assert stored_recipe(generation, image.seed) == recipe
    # The lightbox's recipe shows no steps, guidance or seed, and so offers no "Reuse seed".
    from bildgen.state.lightbox import detail_view

    shown = detail_view(gallery.details(setup.engine, setup.owner.id, image.id), "en")
    assert (shown.steps, shown.guidance, shown.seed) == ("", "", "")
    assert shown.size == "1024 × 1024"
    # Nor does anything else name or export the seed: the download's name, the gallery tile's names,
    # a reference made from it and the /v1 answer (image_library.shown_seed).
    assert re.fullmatch(r"\d{8}-\d{6}_a-red-fox_gpt-image-1\.png", shown.filename)
    [saved] = job.images.values()
    assert saved.seed is None and saved.filename == shown.filename
    assert gallery_card(image, generation).seed_sent is False
    assert reference_name(image, generation) == "generated image"
    answer = asyncio.run(
        api_tasks.images(
            setup.engine, setup.library.files, b"s" * 32, job, owner_id=setup.owner.id, response_format="url", origin=""
        )
    )
    assert [(data.id, data.seed) for data in answer.data] == [(image.id, None)]


def test_a_bfl_recipe_records_the_seed_steps_and_guidance_it_sent(services_for):
    setup = services_for("bfl", "bfl", "/v1", served_name="flux-dev")

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([5], size=(1024, 1024), steps=20)
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE and job.seed_sent is True
    with session(setup.engine) as db:
        [image] = db.exec(select(Image)).all()
    recipe = metadata.read(setup.library.files.path_for(image.sha256).read_bytes())
    assert (recipe.seed, recipe.steps, recipe.guidance_field) == (5, 20, "guidance")
    from bildgen.state.lightbox import detail_view

    shown = detail_view(gallery.details(setup.engine, setup.owner.id, image.id), "en")
    assert (shown.steps, shown.seed) == ("20", "5")
    assert re.fullmatch(r"\d{8}-\d{6}_a-red-fox_5_flux-dev\.png", shown.filename)
    [saved] = job.images.values()
    assert saved.seed == 5 and saved.filename == shown.filename


def test_a_moderated_variant_says_so_and_the_others_are_kept(services_for):
    setup = services_for("bfl", "bfl", "/v1", latency=0.3, served_name="flux-dev")
    setup.server.app.state.demo.fault.name, setup.server.app.state.demo.fault.remaining = "request-moderated", 1

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([1, 2], size=(1024, 1024))
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.PARTIAL
    assert len(job.images) == 1
    [(moderated, state)] = [(v, s) for v, s in job.variants.items() if s.status == tasks.MODERATED]
    assert state.label == "Declined by the service's moderation"
    assert "moderation declined this prompt" in job.variant_errors[moderated]


def test_while_a_task_waits_the_tab_sees_it_queued_or_running_at_the_service(services_for):
    setup = services_for("bfl", "bfl", "/v1", latency=2.5, served_name="flux-dev")
    seen = []

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([1], size=(1024, 1024))
            runner.wake()
            async with asyncio.timeout(20):
                while True:
                    job = await asyncio.to_thread(setup.view, job_id)
                    seen.extend(state.label for state in job.variants.values())
                    if not job.active:
                        return job
                    await asyncio.sleep(0.1)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE
    assert "Being generated" in seen
    fractions = [s.fraction for s in job.variants.values()]
    assert fractions == [None]  # a finished variant shows no progress


def test_a_stopping_worker_hands_polled_tasks_to_the_next_which_resumes_them_paid_once(services_for):
    setup = services_for("bfl", "bfl", "/v1", latency=3.0, served_name="flux-dev")

    async def start_and_stop():
        async with setup.runner("first").running() as runner:
            job_id = setup.submit([1, 2], size=(1024, 1024))
            runner.wake()
            await until(lambda: sum(1 for row in setup.task_rows(job_id) if row.task_id) == 2)
        return job_id

    job_id = asyncio.run(start_and_stop())
    # The worker stopped (a restart): the job waits, its two tasks are still at the service.
    assert setup.view(job_id).status == GenerationStatus.QUEUED

    async def resume():
        async with setup.runner("second").running() as runner:
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(resume())
    assert job.status == GenerationStatus.DONE
    assert sorted(image.seed for image in job.images.values()) == [1, 2]
    assert setup.posts("/v1/flux-dev") == 2  # nothing was paid twice


def test_a_crashed_worker_s_polled_tasks_are_resumed_once_its_lease_runs_out(services_for):
    setup = services_for("bfl", "bfl", "/v1", latency=4.0, served_name="flux-dev")
    job_id = setup.submit([7], size=(1024, 1024))
    # Another process claims the job, submits the task and dies without a word (no cleanup at all).
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, setup.database_url, str(setup.root), setup.profile.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline().strip() == "task saved", "the worker never saved its task"
        worker.wait(timeout=10)
    finally:
        worker.kill()
    assert worker.returncode == 9
    [row] = setup.task_rows(job_id)
    assert row.task_id and row.status in tasks.IN_PROGRESS
    # Its lease runs out (after 30 s; moved back here rather than waited for).
    with session(setup.engine) as db:
        job = db.get(Generation, job_id)
        job.lease_expires_at = utc_now() - timedelta(seconds=1)
        db.add(job)
        db.commit()
    assert setup.view(job_id).status == GenerationStatus.QUEUED  # not "interrupted"

    async def resume():
        async with setup.runner("survivor").running() as runner:
            runner.wake()
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(resume())
    assert job.status == GenerationStatus.DONE
    assert [image.seed for image in job.images.values()] == [7]
    assert setup.posts("/v1/flux-dev") == 1


def test_an_interrupted_request_without_a_task_is_not_sent_again_where_that_may_cost(services_for):
    """A service that answers in one long request (AUTOMATIC1111) has no task to resume: where the
    profile says asking again may be billed (retry_interrupted = false), the image in flight is
    reported interrupted, never requested (and paid for) a second time."""
    setup = services_for("automatic1111", "automatic1111", "", latency=3.0, retry_interrupted=False)

    async def start_and_stop():
        async with setup.runner("first").running() as runner:
            job_id = setup.submit([1], size=(512, 512))
            runner.wake()
            await until(lambda: setup.posts("/sdapi/v1/txt2img") == 1)
        return job_id

    job_id = asyncio.run(start_and_stop())
    job = setup.view(job_id)
    assert job.status == GenerationStatus.INTERRUPTED
    assert job.variants[0].status == tasks.INTERRUPTED


CRASHING_WORKER = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from sqlmodel import select
    from bildgen.inference.profiles import Catalog, ModelProfile
    from bildgen.jobs.runner import JobRunner
    from bildgen.store.db import make_engine, session
    from bildgen.store.files import ImageFiles
    from bildgen.store.image_library import ImageLibrary, stored_recipe
    from bildgen.store.models import VariantTask

    engine = make_engine(sys.argv[1])
    root = Path(sys.argv[2])
    profile = ModelProfile.model_validate_json(sys.argv[3])
    catalog = Catalog(default_model=profile.id, models={profile.id: profile})
    library = ImageLibrary(engine, ImageFiles(root / "images"), ImageFiles(root / "thumbnails", suffix=".webp"))

    async def main():
        runner = JobRunner(engine=engine, images=library, references=ImageFiles(root / "references"),
                           catalog=lambda: catalog, worker="doomed")
        async with runner.running():
            runner.wake()
            while True:
                with session(engine) as db:
                    if db.exec(select(VariantTask).where(VariantTask.task_id != None)).first():  # noqa: E711
                        print("task saved", flush=True)
                        os._exit(9)
                await asyncio.sleep(0.05)

    asyncio.run(main())
    """
)


def test_cancelling_a_job_drops_its_task_at_the_gateway(services_for):
    setup = services_for("gateway", "gateway", "/v2", latency=10.0, route="flux", async_tasks=True)

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([1], size=(1024, 1024))
            runner.wake()
            await until(lambda: any(row.task_id for row in setup.task_rows(job_id)))
            queue.request_cancel(setup.engine, job_id, owner_id=setup.owner.id)
            return await wait_until_final(setup.engine, job_id, setup.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.CANCELLED
    [row] = setup.task_rows(job_id := job.id)
    deletes = [e for e in setup.server.app.state.log.entries if e["method"] == "DELETE" and row.task_id in e["path"]]
    assert deletes, job_id


def test_a_worker_that_lost_its_lease_leaves_the_task_for_the_worker_that_took_over(services_for, monkeypatch):
    from bildgen.jobs import runner as runner_module

    monkeypatch.setattr(runner_module, "HOUSEKEEPING_S", 0.2)
    setup = services_for("gateway", "gateway", "/v2", latency=10.0, route="flux", async_tasks=True)

    async def go():
        async with setup.runner("slow-one").running() as runner:
            job_id = setup.submit([1], size=(1024, 1024))
            runner.wake()
            await until(lambda: any(row.task_id for row in setup.task_rows(job_id)))
            # Meanwhile another worker declared it lost and took the job over.
            with session(setup.engine) as db:
                job = db.get(Generation, job_id)
                job.worker = "the-other-one"
                db.add(job)
                db.commit()
            await until(lambda: not runner._running)
        return job_id

    job_id = asyncio.run(go())
    [row] = setup.task_rows(job_id)
    assert not [e for e in setup.server.app.state.log.entries if e["method"] == "DELETE"]
    assert row.status in tasks.IN_PROGRESS  # still there for the other worker to resume


def test_a_webuis_progress_and_eta_reach_the_tab_while_the_image_is_made(services_for):
    setup = services_for("automatic1111", "automatic1111", "", latency=4.0)
    seen = []

    async def go():
        async with setup.runner().running() as runner:
            job_id = setup.submit([3], size=(512, 512))
            runner.wake()
            async with asyncio.timeout(20):
                while True:
                    job = await asyncio.to_thread(setup.view, job_id)
                    seen.extend(job.variants.values())
                    if not job.active:
                        return job
                    await asyncio.sleep(0.1)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE
    running = [state for state in seen if state.status == tasks.RUNNING]
    assert running, seen
    assert all(0 < state.fraction < 1 and state.eta_s > 0 for state in running)
    assert running[-1].fraction > running[0].fraction
    assert running[0].label == "Being generated"
