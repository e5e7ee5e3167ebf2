import os
import time

import pytest

from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.models import Image
from bildgen.store.sweep import sweep
from tests.unit.conftest import make_generation, make_user


@pytest.fixture
def store(tmp_path, database_url):
    engine = make_engine(database_url)
    migrate(engine)
    images = ImageFiles(tmp_path / "images")
    thumbnails = ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    references = ImageFiles(tmp_path / "references")
    return engine, images, thumbnails, references


def age(path, minutes: int) -> None:
    old = time.time() - minutes * 60
    os.utime(path, (old, old))


def run_sweep(store):
    engine, images, thumbnails, references = store
    return sweep(engine, images=images, thumbnails=thumbnails, references=references)


def test_old_temporaries_and_unreferenced_files_go_and_referenced_ones_stay(store):
    engine, images, thumbnails, _ = store
    owner = make_user(engine)
    kept = images.save(b"kept")
    thumbnails.save_as(kept, b"kept thumbnail")
    orphan = images.save(b"orphan")
    thumbnails.save_as(orphan, b"orphan thumbnail")
    generation = make_generation(engine, owner)
    with session(engine) as db:
        db.add(Image(owner_id=owner.id, generation_id=generation.id, variant=0, seed=1, width=1, height=1, sha256=kept))
        db.commit()
    images.temporary.mkdir(parents=True, exist_ok=True)
    leftover = images.temporary / "crashed.part"
    leftover.write_bytes(b"half")
    for path in (
        images.path_for(kept),
        images.path_for(orphan),
        thumbnails.path_for(kept),
        thumbnails.path_for(orphan),
        leftover,
    ):
        age(path, 60)

    report = run_sweep(store)
    assert (report.temporaries, report.orphans) == (1, 2)
    assert images.path_for(kept).exists() and thumbnails.path_for(kept).exists()
    assert not images.path_for(orphan).exists() and not thumbnails.path_for(orphan).exists()
    assert not leftover.exists()


def test_fresh_files_are_left_for_a_writer_that_may_still_insert_their_row(store):
    _, images, _, _ = store
    young = images.save(b"being written by another worker")
    assert run_sweep(store).orphans == 0
    assert images.path_for(young).exists()
