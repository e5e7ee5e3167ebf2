"""Jobs from queue to saved files: a real JobRunner against the demo server over HTTP."""

import asyncio
import hashlib
import subprocess
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from bildgen.inference.demo.common import FaultPlan
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, create_app, start_demo_server
from bildgen.inference.profiles import demo_catalog
from bildgen.jobs import queue, views
from bildgen.jobs.runner import JobRunner
from bildgen.params import FAMILIES
from bildgen.store.db import StorageUnavailable, make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import Generation, GenerationStatus, Image, utc_now
from tests.jobs import submission, wait_until_final
from tests.unit.conftest import make_user


class World:
    def __init__(self, root, database_url, base_url="http://127.0.0.1:9/v1", max_concurrent=4):
        self.engine = make_engine(database_url or f"sqlite:///{root / 'bildgen.db'}")
        migrate(self.engine)
        self.library = ImageLibrary(
            self.engine, ImageFiles(root / "images"), ImageFiles(root / "thumbnails", suffix=".webp")
        )
        self.catalog = demo_catalog(base_url)
        self.catalog.models["demo"] = self.catalog.default.model_copy(update={"max_concurrent": max_concurrent})
        self.owner = make_user(self.engine)

    def runner(self, worker: str | None = None) -> JobRunner:
        return JobRunner(
            engine=self.engine,
            images=self.library,
            references=ImageFiles(self.library.files.root.parent / "references"),
            catalog=lambda: self.catalog,
            worker=worker,
        )

    def submit(self, seeds, owner=None, **fields) -> str:
        return queue.submit(self.engine, submission(owner or self.owner, self.catalog.default, seeds=seeds, **fields))

    def run(self, seeds, **fields) -> views.JobView:
        async def go():
            async with self.runner().running() as runner:
                job_id = self.submit(seeds, **fields)
                runner.wake()
                return await wait_until_final(self.engine, job_id, self.owner.id)

        return asyncio.run(go())

    def rows(self, table):
        with session(self.engine) as db:
            return db.exec(select(table)).all()


@pytest.fixture
def world(tmp_path, database_url, demo_server):
    return World(tmp_path, database_url, demo_server.base_url)


def test_every_variant_is_saved_with_its_own_seed(world):
    job = world.run([5, 6, 7])
    assert job.status == GenerationStatus.DONE
    assert sorted(image.seed for image in job.images.values()) == [5, 6, 7]
    for image in world.rows(Image):
        assert image.owner_id == world.owner.id
        data = world.library.files.path_for(image.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == image.sha256
        assert (image.width, image.height) == (1024, 1024)
    assert job.images[0].filename.endswith("_a-red-fox_5_bildgen-demo.png")


def test_variants_run_concurrently(tmp_path, database_url):
    server = start_demo_server(DemoOptions(latency_per_image=0.5))
    try:
        World(tmp_path, database_url, server.base_url).run([1, 2, 3, 4])
        requests = [entry for entry in server.app.state.log.entries if entry["path"].endswith("/generations")]
    finally:
        server.stop()
    # All four requests were sent before the first answer could have come back.
    sent = sorted(entry["at"] for entry in requests)
    assert len(sent) == 4 and sent[-1] - sent[0] < 0.5


def test_the_same_recipe_and_seed_reproduce_the_same_bytes(world):
    world.run([99])
    world.run([99])
    images = world.rows(Image)
    assert len(images) == 2 and images[0].sha256 == images[1].sha256


def test_a_server_that_is_down_fails_the_job_plainly_and_stores_no_image(tmp_path, database_url):
    world = World(tmp_path, database_url)  # nothing listens on port 9
    job = world.run([1, 2])
    assert job.status == GenerationStatus.FAILED
    assert "isn't answering" in job.error
    assert world.rows(Image) == []


def test_a_failing_variant_does_not_stop_the_others(world, monkeypatch):
    original = world.library.save_generated

    def save_all_but_seed_2(generation, *, seed, **rest):
        if seed == 2:
            raise OSError(28, "No space left on device")
        return original(generation, seed=seed, **rest)

    monkeypatch.setattr(world.library, "save_generated", save_all_but_seed_2)
    job = world.run([1, 2, 3])
    assert job.status == GenerationStatus.PARTIAL
    assert sorted(job.images) == [0, 2]
    assert "could not be saved" in job.variant_errors[1]
    assert sorted(image.seed for image in world.rows(Image)) == [1, 3]


def test_a_failing_server_leaves_a_failed_job_and_no_image(tmp_path, database_url):
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("server-error", remaining=10)
    server = BackgroundServer(app).start()
    try:
        world = World(tmp_path, database_url, server.base_url)
        job = world.run([1, 2])
    finally:
        server.stop()
    assert job.status == GenerationStatus.FAILED
    assert all("failed while generating" in error for error in job.variant_errors.values())
    assert job.error.startswith("The inference server failed while generating.")
    assert world.rows(Image) == []


def test_cancelling_a_running_job_closes_its_requests_and_keeps_nothing(tmp_path, database_url):
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("hang", remaining=2)
    server = BackgroundServer(app).start()
    world = World(tmp_path, database_url, server.base_url)

    async def go():
        async with world.runner().running() as runner:
            job_id = world.submit([1, 2])
            runner.wake()
            while len([e for e in app.state.log.entries if e["path"] == "/v1/images/generations"]) < 2:
                await asyncio.sleep(0.02)
            assert queue.request_cancel(world.engine, job_id, owner_id=world.owner.id)
            runner.wake()
            return await wait_until_final(world.engine, job_id, world.owner.id, timeout=10)

    try:
        job = asyncio.run(go())
        for _ in range(50):
            if sum(entry["method"] == "DISCONNECT" for entry in app.state.log.entries) == 2:
                break
            time.sleep(0.05)
    finally:
        server.stop()
    assert job.status == GenerationStatus.CANCELLED
    assert sum(entry["method"] == "DISCONNECT" for entry in app.state.log.entries) == 2
    assert world.rows(Image) == []


def test_each_saved_png_carries_its_recipe_and_has_a_small_webp_thumbnail(world):
    from PIL import Image as Picture

    from bildgen.store import metadata

    world.run([41])
    [image] = world.rows(Image)
    recipe = metadata.read(world.library.files.path_for(image.sha256).read_bytes())
    assert (recipe.prompt, recipe.seed, recipe.steps, recipe.model) == (
        "a red fox",
        41,
        FAMILIES["generic"].steps,
        "bildgen-demo",
    )
    with Picture.open(world.library.thumbnails.path_for(image.sha256)) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) == 384
    assert image.generation_ms is not None and image.generation_ms >= 0


# ---- the queue: fairness, limits, leases -----------------------------------------------------------


def claim_one(world, worker="w1"):
    return queue.claim(world.engine, worker=worker, limits=world.catalog.concurrency_limits(), capacity=1)


def test_one_users_many_queued_jobs_do_not_starve_anothers_single_one(tmp_path, database_url):
    world = World(tmp_path, database_url, max_concurrent=2)
    bob = make_user(world.engine, "bob")
    anna_jobs = [world.submit([index]) for index in range(40)]
    bobs = world.submit([99], owner=bob)
    assert views.view(world.engine, bobs, owner_id=bob.id).ahead == 1
    first, second = claim_one(world), claim_one(world)
    # Anna's oldest starts, then it is Bob's turn, not Anna's 2nd of 40.
    assert [first[0].id, second[0].id] == [anna_jobs[0], bobs]
    # The server's limit of 2 is reached: nothing more starts, on this worker or another.
    assert claim_one(world, "w2") == []
    queue.finish(world.engine, bobs, worker="w1", status=GenerationStatus.DONE, error=None)
    assert [job.id for job in claim_one(world, "w2")] == [anna_jobs[1]]


def test_a_job_waits_until_the_server_has_room_for_all_its_variants(tmp_path, database_url):
    world = World(tmp_path, database_url, max_concurrent=4)
    bob = make_user(world.engine, "bob")
    small = world.submit([1, 2])
    big = world.submit([1, 2, 3, 4], owner=bob)
    assert [job.id for job in claim_one(world)] == [small]
    assert claim_one(world) == []  # 2 of 4 slots used: the 4-image job must wait
    queue.finish(world.engine, small, worker="w1", status=GenerationStatus.DONE, error=None)
    assert [job.id for job in claim_one(world)] == [big]


def test_only_jobs_whose_lease_ran_out_are_taken_back(tmp_path, database_url):
    world = World(tmp_path, database_url)
    alive, dead = world.submit([1]), world.submit([2])
    queue.claim(world.engine, worker="alive", limits={"demo": 4}, capacity=1)
    queue.claim(world.engine, worker="dead", limits={"demo": 4}, capacity=1)
    later = utc_now() + queue.LEASE - timedelta(seconds=5)
    # The living worker renews; the dead one does not. Another worker looking now takes back only the dead one's.
    assert queue.renew_leases(world.engine, worker="alive", job_ids=[alive], now=later) == set()
    taken = queue.take_back(world.engine, retries={"demo": True}, now=later + timedelta(seconds=10))
    assert (taken.requeued, taken.ended) == ([dead], [])
    assert views.view(world.engine, alive, owner_id=world.owner.id).status == GenerationStatus.RUNNING
    job = views.view(world.engine, dead, owner_id=world.owner.id)
    assert (job.status, job.resumed) == (GenerationStatus.QUEUED, True)
    # The dead worker, should it come back, learns that the job is no longer its own.
    assert queue.renew_leases(world.engine, worker="dead", job_ids=[dead]) == {dead}


def test_a_job_whose_worker_dies_three_times_ends_with_a_message_instead_of_taking_down_the_next(
    tmp_path, database_url
):
    world = World(tmp_path, database_url)
    job_id = world.submit([1])
    for death in range(1, queue.MAX_WORKER_DEATHS + 1):
        [job] = queue.claim(world.engine, worker=f"worker-{death}", limits={"demo": 4}, capacity=1)
        assert job.id == job_id
        # The worker dies mid-request; its lease runs out (a dead worker's liveness lock goes sooner).
        taken = queue.take_back(world.engine, retries={"demo": True}, now=utc_now() + queue.LEASE * 2)
        assert taken.requeued == ([job_id] if death < queue.MAX_WORKER_DEATHS else [])
    job = views.view(world.engine, job_id, owner_id=world.owner.id)
    # It had saved no image: the message promises none (the fault campaign found it saying "kept").
    assert job.status == GenerationStatus.FAILED
    assert job.error == queue.NOTHING_SAVED[queue.WORKER_DIED_TOO_OFTEN]
    assert "three times" in job.error and "kept" not in job.error
    assert queue.claim(world.engine, worker="next", limits={"demo": 4}, capacity=1) == []


def test_queued_jobs_survive_a_restart_and_run_afterwards(world):
    job_id = world.submit([3])  # no runner: the process "stops" with the job waiting

    async def restart():
        async with world.runner("after-restart").running():
            return await wait_until_final(world.engine, job_id, world.owner.id)

    job = asyncio.run(restart())
    assert job.status == GenerationStatus.DONE and job.images[0].seed == 3


def test_a_queued_job_cancelled_never_runs(world):
    job_id = world.submit([3])
    assert queue.request_cancel(world.engine, job_id, owner_id=world.owner.id)
    assert claim_one(world) == []
    assert views.view(world.engine, job_id, owner_id=world.owner.id).status == GenerationStatus.CANCELLED


def test_another_users_job_cannot_be_seen_or_cancelled(world):
    bob = make_user(world.engine, "bob")
    job_id = world.submit([3])
    assert views.view(world.engine, job_id, owner_id=bob.id) is None
    assert not queue.request_cancel(world.engine, job_id, owner_id=bob.id)
    assert views.view(world.engine, job_id, owner_id=world.owner.id).status == GenerationStatus.QUEUED


@pytest.mark.parametrize("retry", [True, False])
def test_a_stopping_worker_hands_its_jobs_back_unless_asking_again_may_cost(tmp_path, database_url, retry):
    """A request in flight to a self-hosted service is asked again by the next worker; where the
    profile says asking again may be billed twice (retry_interrupted = false), the job ends interrupted."""
    app = create_app(DemoOptions(latency_per_image=0.0))
    app.state.demo.fault = FaultPlan("hang", remaining=1)
    server = BackgroundServer(app).start()
    world = World(tmp_path, database_url, server.base_url)
    world.catalog.models["demo"] = world.catalog.default.model_copy(update={"retry_interrupted": retry})

    async def go():
        async with world.runner("first").running() as runner:
            job_id = world.submit([1])
            runner.wake()
            while not [e for e in app.state.log.entries if e["path"] == "/v1/images/generations"]:
                await asyncio.sleep(0.02)
        stopped = views.view(world.engine, job_id, owner_id=world.owner.id)
        async with world.runner("second").running() as runner:
            runner.wake()
            return stopped, await wait_until_final(world.engine, job_id, world.owner.id, timeout=30)

    try:
        stopped, job = asyncio.run(go())
    finally:
        server.stop()
    if retry:
        assert (stopped.status, stopped.resumed) == (GenerationStatus.QUEUED, True)
        assert job.status == GenerationStatus.DONE and [image.seed for image in job.images.values()] == [1]
    else:
        assert stopped.status == job.status == GenerationStatus.INTERRUPTED
        assert len([e for e in app.state.log.entries if e["method"] == "POST"]) == 1


# ---- a full disk -----------------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path):
    """A real, tiny file system (tmpfs), filled up; needs root to mount."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory):
    with open(directory / "filler", "wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
        except OSError:
            pass


def test_on_a_full_disk_generate_says_so_and_works_again_once_there_is_room(full_disk, demo_server):
    world = World(full_disk, None, demo_server.base_url)  # SQLite on that disk
    fill(full_disk)
    with pytest.raises(StorageUnavailable) as refused:
        world.submit([2])
    assert "disk may be full" in refused.value.user_message
    assert world.rows(Generation) == []
    (full_disk / "filler").unlink()
    job = world.run([2])
    assert job.status == GenerationStatus.DONE


def test_a_job_running_when_the_disk_fills_ends_with_a_message_and_no_half_saved_image(
    full_disk, tmp_path, monkeypatch
):
    server = start_demo_server(DemoOptions(latency_per_image=1.0))
    monkeypatch.setattr(queue, "LEASE", timedelta(seconds=2))
    world = World(full_disk, None, server.base_url)  # SQLite on that disk

    async def go():
        async with world.runner().running() as runner:
            job_id = world.submit([1])
            runner.wake()
            while not [e for e in server.app.state.log.entries if e["path"] == "/v1/images/generations"]:
                await asyncio.sleep(0.02)
            fill(full_disk)  # the answer arrives on a full disk
            return await wait_until_final(world.engine, job_id, world.owner.id, timeout=30)

    try:
        job = asyncio.run(go())
    finally:
        server.stop()
    assert job.status == GenerationStatus.INTERRUPTED and "storage is full" in job.error
    assert world.rows(Image) == [] and list(world.library.files.root.rglob("*.png")) == []


def test_an_option_the_model_does_not_take_fails_with_its_name_and_nothing_is_sent(world, demo_server):
    job = world.run([1], options={"quality": "high"})
    assert job.status == GenerationStatus.FAILED
    assert "This model does not take Quality." in job.error
    assert not [entry for entry in demo_server.app.state.log.entries if entry["method"] == "POST"]
