"""kill -9 in the middle of saving, restart, and no row points at a missing or partial file."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

from sqlmodel import select

from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import Image
from bildgen.store.sweep import sweep
from tests.servers import REPO_ROOT

GENERATE_FOREVER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bildgen.inference.demo.server import DemoOptions, start_demo_server
    from bildgen.inference.profiles import demo_catalog
    from bildgen.jobs import queue
    from bildgen.jobs.runner import JobRunner
    from bildgen.store.db import make_engine, migrate, session
    from bildgen.store.files import ImageFiles
    from bildgen.store.image_library import ImageLibrary
    from bildgen.store.models import User
    from tests.jobs import submission, wait_until_final

    root = Path(sys.argv[1])
    engine = make_engine(sys.argv[2])
    migrate(engine)
    with session(engine) as db:
        user = User(username="crash", password_hash="x")
        db.add(user)
        db.commit()
    images = ImageLibrary(engine, ImageFiles(root / "images"), ImageFiles(root / "thumbnails", suffix=".webp"))
    server = start_demo_server(DemoOptions(latency_per_image=0.0))
    catalog = demo_catalog(server.base_url)
    runner = JobRunner(engine=engine, images=images, references=ImageFiles(root / "references"), catalog=lambda: catalog)

    async def forever():
        seed = 0
        async with runner.running():
            while True:
                seeds = [seed, seed + 1, seed + 2, seed + 3]
                job_id = queue.submit(engine, submission(user, catalog.default, prompt="crash test", seeds=seeds, size=(512, 512)))
                runner.wake()
                await wait_until_final(engine, job_id, user.id)
                seed += 4
                print(seed, flush=True)

    asyncio.run(forever())
    """
)


def test_a_killed_process_leaves_no_row_without_its_whole_file(tmp_path, database_url):
    child = subprocess.Popen(
        [sys.executable, "-c", GENERATE_FOREVER, str(tmp_path), database_url],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # Let it save a good number of images, then kill it wherever it is.
        for _ in range(3):
            assert child.stdout.readline(), "the generating process died before it was killed"
        time.sleep(0.37)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)

    engine = make_engine(database_url)
    migrate(engine)
    images = ImageFiles(tmp_path / "images")
    thumbnails = ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    sweep(
        engine, images=images, thumbnails=thumbnails, references=ImageFiles(tmp_path / "references"), grace=timedelta(0)
    )

    with session(engine) as db:
        rows = db.exec(select(Image)).all()
    assert len(rows) >= 12
    for row in rows:
        data = images.path_for(row.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
    # A thumbnail may be missing (it is made just after the row); it is made again when asked for.
    library = ImageLibrary(engine, images, thumbnails)
    for row in rows:
        if not thumbnails.path_for(row.sha256).exists():
            library.make_thumbnail(row.sha256)
        assert thumbnails.path_for(row.sha256).stat().st_size > 0
    # And nothing is left that no row points at.
    assert {key for key, _ in images.stored()} == {row.sha256 for row in rows}
    assert images.temporaries() == []
