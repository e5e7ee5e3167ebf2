"""Workers that die or stop mid-job, as real processes: no job is lost, nothing is rendered twice
beyond the one request in flight, and a service's `max_concurrent` holds inside a job too.

The instances are granian serving bildgen's services (tests.servers.WorkerInstance), as scripts/serve
does; a worker is killed with SIGKILL, an instance stopped with SIGTERM as systemd stops it.
"""

import asyncio
import collections
import os
import random
import signal
import time

import psutil
import pytest
from sqlmodel import select

from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue, views
from bildgen.jobs.runner import JobRunner
from bildgen.state import run_cards
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import PAUSE_ENV, ImageLibrary
from bildgen.store.models import Generation, GenerationStatus, Image
from tests.jobs import submission, wait_until_final
from tests.servers import WorkerInstance
from tests.unit.conftest import TEST_DB, make_user

postgres_only = pytest.mark.skipif(
    TEST_DB != "postgresql", reason="several worker processes share one database only on PostgreSQL"
)


def wait_for(condition, *, timeout: float, what: str):
    """Poll until `condition()` is truthy; its value. Never a fixed sleep: the machine is shared."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def job_row(engine, job_id) -> Generation:
    with session(engine) as db:
        return db.get(Generation, job_id)


def posts_per_seed(server, path: str) -> collections.Counter:
    return collections.Counter(
        entry["body"]["seed"]
        for entry in server.app.state.log.entries
        if entry["method"] == "POST" and entry["path"] == path
    )


def worker_pid(worker: str) -> int:
    return int(worker.split(":")[1])  # runner.new_worker_id: host:pid:random


def worker_age(worker: str) -> float:
    """Seconds the worker process has lived; 0 when it is gone."""
    try:
        return time.time() - psutil.Process(worker_pid(worker)).create_time()
    except psutil.NoSuchProcess:
        return 0.0


@pytest.fixture
def deployment(tmp_path, database_url):
    """A demo image service (OpenAI-compatible, self-hosted), a configuration naming it, a database
    and a user; `start(...)` starts instances."""
    server = start_demo_server(DemoOptions(latency_per_image=2.0))
    config = tmp_path / "bildgen.toml"
    config.write_text(
        f'default_model = "demo"\n[models.demo]\nlabel = "Demo"\nbase_url = "{server.base_url}"\nmax_concurrent = 2\n'
    )
    engine = make_engine(database_url)
    migrate(engine)
    instances: list[WorkerInstance] = []

    class Deployment:
        def __init__(self) -> None:
            self.server, self.engine, self.owner = server, engine, make_user(engine)
            self.profile = ModelProfile(id="demo", label="Demo", base_url=server.base_url)

        def start(self, **options) -> WorkerInstance:
            instances.append(WorkerInstance(tmp_path, config, database_url, **options))
            return instances[-1]

        def submit(self, seeds) -> str:
            return queue.submit(engine, submission(self.owner, self.profile, seeds=seeds))

        def view(self, job_id):
            return views.view(engine, job_id, owner_id=self.owner.id)

        def final(self, job_id, timeout: float):
            return asyncio.run(wait_until_final(engine, job_id, self.owner.id, timeout=timeout))

    yield Deployment()
    for instance in instances:
        instance.stop()
    server.stop()
    engine.dispose()


@postgres_only
def test_a_killed_workers_job_is_finished_by_another_worker_within_seconds(deployment):
    deployment.start(), deployment.start()
    job_id = deployment.submit([1, 2, 3, 4])
    running = wait_for(
        lambda: (row := job_row(deployment.engine, job_id)).status == GenerationStatus.RUNNING and row,
        timeout=60,
        what="a worker claims the job",
    )
    # Two slots (max_concurrent = 2): killed once two images are saved and the other two are being made.
    wait_for(
        lambda: sum(posts_per_seed(deployment.server, "/v1/images/generations").values()) == 4
        and len(deployment.view(job_id).images) == 2,
        timeout=60,
        what="two images saved, the last two requests at the service",
    )
    saved_before = {image.seed for image in deployment.view(job_id).images.values()}
    os.kill(worker_pid(running.worker), signal.SIGKILL)
    killed_at = time.monotonic()
    again = wait_for(
        lambda: (row := job_row(deployment.engine, job_id)).worker not in (None, running.worker) and row,
        timeout=25,  # below the 30 s lease: noticed by the liveness lock, not by the lease
        what="another worker takes the job over",
    )
    print(f"kill -9 → running again on another worker: {time.monotonic() - killed_at:.2f} s")
    assert again.status == GenerationStatus.RUNNING
    card = run_cards.run_card(
        views.run(deployment.engine, job_id, owner_id=deployment.owner.id), labels={}, language="en"
    )
    assert card.notice == "Resumed on another worker."

    job = deployment.final(job_id, timeout=25)
    assert job.status == GenerationStatus.DONE, (job.status, job.error)
    assert sorted(image.seed for image in job.images.values()) == [1, 2, 3, 4]
    # The images saved before the kill were not made again; the two in flight were asked for once more.
    asked = posts_per_seed(deployment.server, "/v1/images/generations")
    assert len(saved_before) == 2 and all(asked[seed] == 1 for seed in saved_before)
    assert all(count <= 2 for count in asked.values())
    with session(deployment.engine) as db:
        assert len(db.exec(select(Image).where(Image.generation_id == job_id)).all()) == 4


@postgres_only
def test_a_worker_killed_between_an_images_file_and_its_row_leaves_no_file_behind(deployment, tmp_path):
    """kill -9 at the one moment a signed image's file exists without its row: the worker that takes
    the job back removes that file, and files and rows match both ways. No sweep runs (the start-up
    sweep of the respawned worker leaves files younger than its grace period alone)."""
    pause = tmp_path / "paused-before-row"  # only the first worker to get there stops (image_library.PAUSE_ENV)
    for _ in range(2):
        deployment.start(environment={PAUSE_ENV: str(pause)})
    job_id = deployment.submit([5])
    pid = int(wait_for(lambda: pause.exists() and pause.read_text().strip(), timeout=60, what="a worker stops there"))
    images = ImageFiles(tmp_path / "data" / "images")
    thumbnails = ImageFiles(tmp_path / "data" / "thumbnails", suffix=".webp")

    def files() -> set[str]:
        return {key for key, _ in images.stored()}

    def rows() -> set[str]:
        with session(deployment.engine) as db:
            return set(db.exec(select(Image.sha256)).all())

    [left] = files()
    assert rows() == set()
    os.kill(pid, signal.SIGKILL)

    job = deployment.final(job_id, timeout=60)
    assert job.status == GenerationStatus.DONE, (job.status, job.error)
    assert len(job.images) == 1
    wait_for(lambda: not images.path_for(left).exists(), timeout=30, what="the killed worker's file removed")
    assert files() == rows() and len(rows()) == 1
    wait_for(lambda: {key for key, _ in thumbnails.stored()} == rows(), timeout=30, what="its thumbnail, and no other")


@postgres_only
def test_sigterm_lets_the_running_images_finish_and_nothing_is_interrupted(deployment):
    instance = deployment.start(drain_s=60)
    job_id = deployment.submit([1, 2])
    wait_for(
        lambda: sum(posts_per_seed(deployment.server, "/v1/images/generations").values()) == 2,
        timeout=60,
        what="the requests reach the service",
    )
    running = job_row(deployment.engine, job_id)
    instance.process.send_signal(signal.SIGTERM)  # as systemd stops the instance
    job = deployment.final(job_id, timeout=60)
    assert job.status == GenerationStatus.DONE and len(job.images) == 2
    # The draining worker finished it itself: it never went back to the queue, and sent nothing twice.
    assert job_row(deployment.engine, job_id).requeues == 0
    assert job_row(deployment.engine, job_id).worker == running.worker
    assert posts_per_seed(deployment.server, "/v1/images/generations") == {1: 1, 2: 1}
    assert instance.process.wait(timeout=30) == 0


@postgres_only
def test_a_drain_that_runs_out_hands_the_job_to_another_instance(deployment):
    instances = [deployment.start(drain_s=0.5), deployment.start(drain_s=0.5)]
    job_id = deployment.submit([1, 2])
    wait_for(
        lambda: sum(posts_per_seed(deployment.server, "/v1/images/generations").values()) == 2,
        timeout=60,
        what="the requests reach the service",
    )
    running = job_row(deployment.engine, job_id)
    supervisor = psutil.Process(worker_pid(running.worker)).ppid()
    [stopping] = [instance for instance in instances if instance.process.pid == supervisor]
    [other] = [instance for instance in instances if instance is not stopping]
    stopping.process.send_signal(signal.SIGTERM)
    assert stopping.process.wait(timeout=30) == 0
    handed = job_row(deployment.engine, job_id)
    # Handed back, not interrupted (or already taken over by the other instance).
    assert handed.requeues == 1 and handed.status != GenerationStatus.INTERRUPTED
    job = deployment.final(job_id, timeout=60)
    assert job.status == GenerationStatus.DONE and len(job.images) == 2
    assert job_row(deployment.engine, job_id).worker != running.worker
    assert other.process.poll() is None


@postgres_only
def test_a_fault_campaign_loses_no_job_and_makes_no_image_twice_beyond_the_counted_retries(deployment):
    """Three instances work through 24 jobs while workers are killed (kill -9) and instances stopped
    (SIGTERM, then started again) at random moments: every job ends done with all its images, every
    image row has its file, and no image was asked for more often than once plus its job's counted
    hand-backs (each worker that stopped may have had it in flight)."""
    rng = random.Random(int(os.environ.get("BILDGEN_CAMPAIGN_SEED", "23")))
    instances = [deployment.start(drain_s=1.0) for _ in range(3)]
    jobs = [deployment.submit([100 * n + 1, 100 * n + 2][: 1 + n % 2]) for n in range(24)]
    faults = []
    while len(faults) < 8:
        # A running job whose worker has lived long enough that granian does not take a second
        # crash within 5.5 s for a crash loop. Faults strike at random, not at one job: a worker
        # holding a job that has already lost two workers is spared, since a third death ends a job
        # for good by design (queue.MAX_WORKER_DEATHS, tested on its own: a job that keeps killing
        # its workers is not tried forever).
        def victim():
            with session(deployment.engine) as db:
                rows = db.exec(select(Generation).where(Generation.status == GenerationStatus.RUNNING)).all()
            spared = {row.worker for row in rows if row.worker_deaths >= queue.MAX_WORKER_DEATHS - 1}
            grown = [row for row in rows if worker_age(row.worker) > 7 and row.worker not in spared]
            return rng.choice(grown) if grown else None

        try:
            row = wait_for(lambda: victim(), timeout=60, what="a running job")  # noqa: B023
        except TimeoutError:
            break  # the load is done
        pid = worker_pid(row.worker)
        try:
            supervisor = psutil.Process(pid).ppid()
        except psutil.NoSuchProcess:
            continue
        if rng.random() < 0.5:
            os.kill(pid, signal.SIGKILL)
            faults.append("kill -9")
        else:
            [instance] = [one for one in instances if one.process.pid == supervisor]
            instance.process.send_signal(signal.SIGTERM)
            instance.process.wait(timeout=60)
            instances.remove(instance)
            instances.append(deployment.start(drain_s=1.0))
            faults.append("SIGTERM")
    print(f"faults: {faults}")
    assert len(faults) >= 4, "the load ended before enough faults could be injected"

    asked = posts_per_seed(deployment.server, "/v1/images/generations")
    for job_id in jobs:
        job = deployment.final(job_id, timeout=180)
        assert job.status == GenerationStatus.DONE, (job.status, job.error)
        assert len(job.images) == len(job.seeds)
        row = job_row(deployment.engine, job_id)
        for seed in job.seeds:
            assert posts_per_seed(deployment.server, "/v1/images/generations")[seed] <= 1 + row.requeues, (seed, asked)
    with session(deployment.engine) as db:
        images = db.exec(select(Image)).all()
    files = ImageFiles(instances[0].log.parent / "data" / "images")
    assert all(files.path_for(image.sha256).is_file() for image in images)
    assert len({(image.generation_id, image.variant) for image in images}) == len(images) == 36


# ---- slots per request: one process is enough ---------------------------------------------------


@pytest.fixture
def webui(tmp_path, database_url):
    """An AUTOMATIC1111 WebUI (the demo's) behind a profile with max_concurrent = 1, and a runner."""
    server = start_demo_server(DemoOptions(flavor="automatic1111", latency_per_image=1.0))
    engine = make_engine(database_url)
    migrate(engine)
    profile = ModelProfile(
        id="sd", label="SD", base_url=server.origin, provider="automatic1111", max_concurrent=1, deadline_s=60
    )
    catalog = Catalog(default_model="sd", models={"sd": profile})
    library = ImageLibrary(engine, ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp"))

    class Setup:
        def __init__(self) -> None:
            self.server, self.engine, self.owner, self.profile = server, engine, make_user(engine), profile

        def runner(self) -> JobRunner:
            return JobRunner(
                engine=engine, images=library, references=ImageFiles(tmp_path / "references"), catalog=lambda: catalog
            )

        def posts(self) -> int:
            return sum(
                1 for e in server.app.state.log.entries if e["method"] == "POST" and e["path"].endswith("txt2img")
            )

    yield Setup()
    server.stop()
    engine.dispose()


def test_max_concurrent_1_sends_one_variant_at_a_time(webui):
    async def go():
        async with webui.runner().running() as runner:
            job_id = queue.submit(
                webui.engine, submission(webui.owner, webui.profile, seeds=[1, 2, 3, 4], size=(512, 512))
            )
            runner.wake()
            return await wait_until_final(webui.engine, job_id, webui.owner.id)

    job = asyncio.run(go())
    assert job.status == GenerationStatus.DONE and len(job.images) == 4
    assert webui.posts() == 4
    assert webui.server.app.state.demo.load.peak == 1


def test_cancel_stops_the_variants_that_wait_for_a_slot_before_they_are_sent(webui):
    async def go():
        async with webui.runner().running() as runner:
            job_id = queue.submit(
                webui.engine, submission(webui.owner, webui.profile, seeds=[1, 2, 3, 4], size=(512, 512))
            )
            runner.wake()
            while webui.posts() < 1:
                await asyncio.sleep(0.02)
            queue.request_cancel(webui.engine, job_id, owner_id=webui.owner.id)
            runner.wake()
            return await wait_until_final(webui.engine, job_id, webui.owner.id)

    job = asyncio.run(go())
    assert job.status in (GenerationStatus.CANCELLED, GenerationStatus.PARTIAL)
    assert webui.posts() <= 2  # the one in flight, and at most the next, if the first ended meanwhile
