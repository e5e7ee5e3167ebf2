"""The studio's history of runs: one user's generations, newest first, paged by key."""

from datetime import timedelta

from bildgen.jobs import queue, tasks, views
from bildgen.store.db import session
from bildgen.store.models import GenerationStatus, Image, utc_now
from tests.unit.conftest import make_generation, make_user


def test_runs_are_the_owners_newest_first_in_pages_that_neither_skip_nor_repeat(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    start = utc_now() - timedelta(hours=1)
    annas = [
        make_generation(engine, anna, prompt=f"run {n}", created_at=start + timedelta(minutes=n)) for n in range(7)
    ]
    # Two runs made in the same instant: the id decides, and neither is lost between pages.
    twins = [make_generation(engine, anna, prompt=f"twin {n}", created_at=start + timedelta(minutes=3)) for n in (1, 2)]
    make_generation(engine, bob, prompt="bob's", created_at=start + timedelta(minutes=9))
    make_generation(engine, anna, prompt="batch item", batch_id="b" * 32, created_at=start + timedelta(minutes=8))

    seen, cursor = [], None
    while True:
        page = views.runs(engine, owner_id=anna.id, before=cursor, limit=3)
        assert len(page.runs) <= 3
        seen.extend(page.runs)
        cursor = page.next_cursor
        if cursor is None:
            break

    ids = [run.view.id for run in seen]
    assert sorted(ids) == sorted(g.id for g in [*annas, *twins])
    assert len(ids) == len(set(ids))
    moments = [run.generation.created_at for run in seen]
    assert moments == sorted(moments, reverse=True)
    assert seen[0].view.prompt == "run 6"


def test_a_run_carries_its_state_and_recipe_and_stays_its_owners(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    job = make_generation(
        engine, anna, prompt="a kite", width=640, height=384, steps=12, status=GenerationStatus.QUEUED, variant_count=2
    )
    found = views.run(engine, job.id, owner_id=anna.id)
    assert found.view.active and found.view.status == GenerationStatus.QUEUED and found.view.ahead == 0
    assert (found.generation.width, found.generation.height, found.generation.steps) == (640, 384, 12)
    assert views.run(engine, job.id, owner_id=bob.id) is None
    assert views.runs(engine, owner_id=bob.id).runs == []


def test_an_interrupted_run_promises_kept_images_only_when_it_saved_some(engine):
    anna = make_user(engine)
    interrupted = dict(status=GenerationStatus.INTERRUPTED, error=queue.INTERRUPTED, variant_count=2)
    empty, half = make_generation(engine, anna, **interrupted), make_generation(engine, anna, **interrupted)
    with session(engine) as db:
        db.add(Image(owner_id=anna.id, generation_id=half.id, variant=0, seed=1, width=64, height=64, sha256="a" * 64))
        db.commit()
    assert "kept" not in views.view(engine, empty.id, owner_id=anna.id).error
    assert "before any image was saved" in views.view(engine, empty.id, owner_id=anna.id).error
    assert "The images it saved are kept" in views.view(engine, half.id, owner_id=anna.id).error
    # A job whose worker stopped renewing its lease, seen before anyone has recorded that.
    stalled = make_generation(engine, anna, status=GenerationStatus.QUEUED)
    queue.claim(engine, worker="gone", limits={"demo": 1}, capacity=1, now=utc_now() - 2 * queue.LEASE)
    # Its image was sent (nothing else to go on with: a job with unsent images shows as waiting).
    tasks.record(engine, stalled.id, 0, status=tasks.SUBMITTED)
    view = views.view(engine, stalled.id, owner_id=anna.id)
    assert view.status == GenerationStatus.INTERRUPTED and "kept" not in view.error


def test_a_run_lists_the_reference_images_it_was_made_from_in_order(engine, tmp_path):
    from bildgen.store import library
    from bildgen.store.files import ImageFiles
    from bildgen.store.models import GenerationReference

    anna = make_user(engine, "anna")
    files = ImageFiles(tmp_path)
    first, second = (
        library.add_reference(engine, files, owner_id=anna.id, png=f"\x89PNG-{n}".encode(), name=f"{n}.png")
        for n in (1, 2)
    )
    edit = make_generation(engine, anna, prompt="an edit", reference_count=2)
    plain = make_generation(engine, anna, prompt="plain")
    with session(engine) as db:
        db.add(GenerationReference(generation_id=edit.id, position=1, reference_id=first.id))
        db.add(GenerationReference(generation_id=edit.id, position=0, reference_id=second.id))
        db.commit()
    assert views.run(engine, edit.id, owner_id=anna.id).reference_ids == (second.id, first.id)
    by_id = {run.view.id: run for run in views.runs(engine, owner_id=anna.id).runs}
    assert by_id[edit.id].reference_ids == (second.id, first.id)
    assert by_id[plain.id].reference_ids == ()
