"""A worker stopped between an image's file and its row: when its job is taken back, that file goes
(no start-up sweep needed), and never while the worker's attempt still holds the job, however slow
it is. The worker is held at that moment by the library's test pause (image_library.PAUSE_ENV); a
worker process killed there with kill -9 is in tests/unit/jobs/test_worker_faults.py."""

import io
import threading
import time

import pytest
from PIL import Image as PILImage
from sqlmodel import select

from bildgen.inference.decoding import to_png
from bildgen.jobs import queue
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import PAUSE_ENV, ImageLibrary
from bildgen.store.models import Generation, GenerationStatus, Image
from bildgen.store.unrecorded import JobTakenBack
from tests.unit.conftest import make_generation, make_user


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.02)
    return value


def png_of(colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 32), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class PausedSave:
    """`save_generated` of a claimed job in a thread of its own, held after writing the file and
    before committing its row until `go()`."""

    def __init__(self, images: ImageLibrary, job: Generation, worker: str, pause) -> None:
        self.pause, self.error, self.saved = pause, None, None

        def save() -> None:
            try:
                self.saved = images.save_generated(
                    job, variant=0, seed=1, decoded=to_png(png_of("red")), generation_ms=1, worker=worker
                )
            except Exception as error:
                self.error = error

        self.thread = threading.Thread(target=save)
        self.thread.start()
        wait_for(pause.exists, timeout=30, what="the file written, the row not yet")

    def go(self) -> None:
        (self.pause.parent / f"{self.pause.name}.go").touch()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


@pytest.fixture
def setup(engine, tmp_path, monkeypatch):
    pause = tmp_path / "paused"
    monkeypatch.setenv(PAUSE_ENV, str(pause))
    images = ImageLibrary(engine, ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp"))
    make_generation(engine, make_user(engine), status=GenerationStatus.QUEUED)
    return images, pause


def claim(engine, worker: str) -> Generation:
    [job] = queue.claim(engine, worker=worker, limits={"demo": 1}, capacity=1)
    return job


def files_of(images: ImageLibrary) -> set[str]:
    return {key for key, _ in images.files.stored()}


def rows_of(engine) -> set[str]:
    with session(engine) as db:
        return set(db.exec(select(Image.sha256)).all())


def test_a_file_whose_attempt_is_over_goes_and_its_late_row_is_refused(engine, setup):
    """The slow worker's job was taken back and claimed again, even by the same worker name: the
    earlier attempt's file is removed, and its row, arriving late, is not kept."""
    images, pause = setup
    save = PausedSave(images, claim(engine, "worker-a"), "worker-a", pause)
    assert len(files_of(images)) == 1 and rows_of(engine) == set()

    taken = queue.take_back(engine, retries={"demo": True}, all_running=True)
    assert len(taken.requeued) == 1
    claim(engine, "worker-a")  # a new attempt of the same worker
    assert images.remove_unrecorded() == 1
    assert files_of(images) == set()

    save.go()
    assert isinstance(save.error, JobTakenBack)
    assert files_of(images) == rows_of(engine) == set()


def test_a_file_whose_worker_still_holds_the_job_is_never_removed(engine, setup):
    images, pause = setup
    save = PausedSave(images, claim(engine, "worker-a"), "worker-a", pause)
    # Another worker looks (its lease holds: nothing is taken back) and clears what is over.
    assert queue.take_back(engine, retries={"demo": True}) == queue.TakenBack()
    assert images.remove_unrecorded() == 0
    assert len(files_of(images)) == 1

    save.go()
    assert save.error is None and save.saved is not None
    assert files_of(images) == rows_of(engine) == {save.saved[1]}
    # Its row cleared the note: a later take-back of the job leaves the file (it is the row's).
    queue.take_back(engine, retries={"demo": True}, all_running=True)
    assert images.remove_unrecorded() == 0
    assert files_of(images) == rows_of(engine)
