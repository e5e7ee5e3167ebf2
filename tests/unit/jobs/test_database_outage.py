"""PostgreSQL stopped for real while images render: nothing rendered is discarded (it waits in the
spool and is recorded when the database is back, or by the next start), and a failed commit leaves
no file behind. Each test runs a private PostgreSQL it can stop and start (tests/databases.py)."""

import asyncio
import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlmodel import select

from bildgen.inference.decoding import to_png
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import demo_catalog
from bildgen.jobs import queue, tasks, views
from bildgen.jobs.runner import JobRunner
from bildgen.store.db import is_storage_failure, make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import GenerationStatus, Image
from tests.databases import postgres_binaries
from tests.jobs import submission
from tests.servers import REPO_ROOT
from tests.unit.conftest import make_generation, make_user

pytestmark = pytest.mark.skipif(postgres_binaries() is None, reason="needs PostgreSQL's server binaries")


@pytest.fixture
def database(postgres):
    url = postgres.create_database("bildgen")
    engine = make_engine(url)
    migrate(engine)
    yield url, engine
    engine.dispose()


def library(data: Path, engine) -> ImageLibrary:
    return ImageLibrary(engine, ImageFiles(data / "images"), ImageFiles(data / "thumbnails", suffix=".webp"))


def spooled_entries(data: Path) -> list[Path]:
    return sorted((data / "spool").glob("*.json"))


def image_files(data: Path) -> set[str]:
    return {path.stem for path in (data / "images").glob("??/*.png")}


def rows_of(engine, job_id: str) -> list[Image]:
    with session(engine) as db:
        return list(db.exec(select(Image).where(Image.generation_id == job_id)).all())


def all_image_hashes(engine) -> set[str]:
    with session(engine) as db:
        return set(db.exec(select(Image.sha256)).all())


async def eventually(condition, *, timeout: float = 90.0, what: str):
    """Wait for the condition (read errors while the database is away count as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if found := await asyncio.to_thread(condition):
                return found
        except Exception:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def both_sent(engine, job_id: str) -> bool:
    return len(tasks.saved(engine, job_id)[0]) == 2


def test_images_that_arrive_while_postgresql_is_down_are_kept_and_the_job_ends_done(database, postgres, tmp_path):
    url, engine = database
    data = tmp_path / "data"
    user = make_user(engine)
    images = library(data, engine)
    # Long enough that the images arrive after the server is down (its stop is waited for).
    server = start_demo_server(DemoOptions(latency_per_image=3.0))
    catalog = demo_catalog(server.base_url)
    runner = JobRunner(
        engine=engine, images=images, references=ImageFiles(data / "references"), catalog=lambda: catalog
    )

    async def scenario():
        async with runner.running():
            job_id = queue.submit(engine, submission(user, catalog.default, prompt="outage", seeds=[1, 2]))
            runner.wake()
            await eventually(lambda: both_sent(engine, job_id), what="both variants sent")
            await asyncio.to_thread(postgres.stop)
            # The spool holds them, and nothing sits in images/ without a row meanwhile (a file written
            # there before the commit failed goes the moment its spooled copy is safe).
            await eventually(
                lambda: len(spooled_entries(data)) == 2 and image_files(data) == set(),
                what="the images kept in the spool, none left in images/, while the database is away",
                timeout=30,
            )
            await asyncio.to_thread(postgres.start)
            return await eventually(
                lambda: (job := views.view(engine, job_id, owner_id=user.id)) and not job.active and job,
                what="the job ends",
            )

    try:
        job = asyncio.run(scenario())
    finally:
        server.stop()
    assert job.status == GenerationStatus.DONE
    assert job.error is None
    assert sorted(job.images) == [0, 1]
    rows = rows_of(engine, job.id)
    assert sorted(row.seed for row in rows) == [1, 2]
    assert spooled_entries(data) == []
    # Every row has its file, and no file lacks a row.
    assert image_files(data) == {row.sha256 for row in rows} == all_image_hashes(engine)


WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bildgen.inference.demo.server import DemoOptions, start_demo_server
    from bildgen.inference.profiles import demo_catalog
    from bildgen.jobs import queue, views
    from bildgen.jobs.runner import JobRunner
    from bildgen.store.db import make_engine
    from bildgen.store.files import ImageFiles
    from bildgen.store.image_library import ImageLibrary
    from bildgen.store.models import User
    from bildgen.store.db import session
    from sqlmodel import select
    from tests.jobs import submission

    data, url = Path(sys.argv[1]), sys.argv[2]
    engine = make_engine(url)
    with session(engine) as db:
        user = db.exec(select(User)).one()
    images = ImageLibrary(engine, ImageFiles(data / "images"), ImageFiles(data / "thumbnails", suffix=".webp"))
    server = start_demo_server(DemoOptions(latency_per_image=3.0))
    catalog = demo_catalog(server.base_url)
    runner = JobRunner(engine=engine, images=images, references=ImageFiles(data / "references"), catalog=lambda: catalog)

    async def work():
        async with runner.running():
            job_id = queue.submit(engine, submission(user, catalog.default, prompt="killed", seeds=[7, 8]))
            print(job_id, flush=True)
            runner.wake()
            await asyncio.Event().wait()

    asyncio.run(work())
    """
)


def test_images_spooled_by_a_worker_killed_during_the_outage_are_recorded_by_the_next_start(
    database, postgres, tmp_path, monkeypatch
):
    from bildgen import services

    url, engine = database
    data = tmp_path / "data"
    user = make_user(engine)
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data), url], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        job_id = worker.stdout.readline().strip()
        assert job_id, "the worker did not start"
        asyncio.run(eventually(lambda: both_sent(engine, job_id), what="both variants sent"))
        postgres.stop()
        asyncio.run(eventually(lambda: len(spooled_entries(data)) == 2, what="the images kept on disk", timeout=30))
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    postgres.start()

    # The next start of bildgen on this data folder and database.
    monkeypatch.setenv("BILDGEN_DATA_DIR", str(data))
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("BILDGEN_DEMO_LATENCY", "0")
    monkeypatch.delenv("BILDGEN_CONFIG", raising=False)
    services._build.cache_clear()
    try:
        started = services.get_services()
        started.demo_server.stop()
        started.engine.dispose()
    finally:
        services._build.cache_clear()

    rows = rows_of(engine, job_id)
    assert sorted(row.seed for row in rows) == [7, 8]
    assert spooled_entries(data) == []
    assert image_files(data) == {row.sha256 for row in rows} == all_image_hashes(engine)
    job = views.view(engine, job_id, owner_id=user.id)
    assert sorted(job.images) == [0, 1]


def png_of(colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 32), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_commit_that_fails_with_the_database_down_and_no_spool_leaves_no_file(database, postgres, tmp_path):
    _, engine = database
    data = tmp_path / "data"
    images = library(data, engine)
    generation = make_generation(engine, make_user(engine), status=GenerationStatus.RUNNING)
    # The spool cannot be written either (a file where its folder should be: as a broken mount would).
    data.mkdir()
    (data / "spool").write_text("not a folder")
    postgres.stop()
    with pytest.raises(Exception):  # noqa: B017 - whichever storage failure: what matters is what is left
        images.save_generated(generation, variant=0, seed=1, decoded=to_png(png_of("red")), generation_ms=1)
    assert image_files(data) == set()


def test_a_failed_commit_never_removes_a_file_another_image_shares(database, postgres, tmp_path):
    _, engine = database
    data = tmp_path / "data"
    images = library(data, engine)
    generation = make_generation(engine, make_user(engine), status=GenerationStatus.RUNNING)
    decoded = to_png(png_of("blue"))
    first, sha256, _ = images.save_generated(generation, variant=0, seed=1, decoded=decoded, generation_ms=1)
    (data / "spool").write_text("not a folder")
    postgres.stop()
    # The identical image again (same pixels, same recipe): the same file, which is the first row's.
    with pytest.raises(Exception):  # noqa: B017
        images.save_generated(generation, variant=1, seed=1, decoded=decoded, generation_ms=1)
    postgres.start()
    assert image_files(data) == {sha256}
    assert [row.id for row in rows_of(engine, generation.id)] == [first.id]


def test_recording_the_spool_while_the_database_is_still_away_leaves_no_file(database, postgres, tmp_path):
    """The job's end records its spooled images again and again during an outage: each try that
    fails takes back the file it put into images/ (the spool keeps its copy)."""
    _, engine = database
    data = tmp_path / "data"
    images = library(data, engine)
    generation = make_generation(engine, make_user(engine))
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    png = buffer.getvalue()
    sha256 = hashlib.sha256(png).hexdigest()
    row = Image(
        owner_id=generation.owner_id, generation_id=generation.id, variant=0, seed=1, width=8, height=8, sha256=sha256
    )
    images.spool.put(row, png)

    postgres.stop()
    with pytest.raises(Exception) as failed:
        images.record_spooled(generation.id)
    assert is_storage_failure(failed.value)
    assert image_files(data) == set() and len(spooled_entries(data)) == 1

    postgres.start()
    assert images.record_spooled(generation.id) == 1
    assert image_files(data) == {sha256} == all_image_hashes(engine) and spooled_entries(data) == []
