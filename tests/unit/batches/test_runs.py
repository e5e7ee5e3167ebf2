"""Batches in the database: made, queued as jobs (each once), run by a real JobRunner, followed, cancelled."""

import asyncio
import dataclasses

import pytest
from sqlmodel import select

from bildgen.batches import runs
from bildgen.batches.items import BatchItem, ItemFields
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue
from bildgen.jobs.refusals import QuotaReached
from bildgen.jobs.runner import JobRunner
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.gallery import Filters, page
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import Batch, Generation
from bildgen.store.models import BatchItem as ItemRow
from tests.jobs import submission
from tests.unit.conftest import make_user


@pytest.fixture
def two_models(demo_server) -> Catalog:
    base = demo_server.base_url
    return Catalog(
        default_model="demo",
        models={
            "demo": ModelProfile(id="demo", label="Demo", base_url=base, family="generic", max_concurrent=2),
            "flux": ModelProfile(id="flux", label="Demo FLUX", base_url=base, family="flux2", max_concurrent=2),
        },
    )


def prompts(count: int, **fields) -> list[BatchItem]:
    return [BatchItem(f"prompt number {n}", ItemFields(**fields)) for n in range(count)]


def make(engine, owner, catalog, items, defaults=ItemFields(width="256", height="256", steps="1"), **extra) -> str:
    return runs.create(engine, owner_id=owner.id, name="test", items=items, defaults=defaults, catalog=catalog, **extra)


def jobs_of(engine, batch_id) -> list[Generation]:
    with session(engine) as db:
        return list(db.exec(select(Generation).where(Generation.batch_id == batch_id)).all())


def run_all(engine, tmp_path, catalog, owner, batch_id):
    """Let a real JobRunner work until every job of the batch has ended."""
    library = ImageLibrary(engine, ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbs", suffix=".webp"))
    runner = JobRunner(engine=engine, images=library, references=ImageFiles(tmp_path / "refs"), catalog=lambda: catalog)

    async def go():
        async with runner.running():
            runner.wake()
            async with asyncio.timeout(60):
                while runs.summary(engine, batch_id, owner_id=owner.id).progress.active:
                    await asyncio.sleep(0.05)

    asyncio.run(go())


def test_every_item_becomes_a_job_that_runs_into_the_gallery_grouped_under_the_batch(engine, tmp_path, two_models):
    anna = make_user(engine)
    items = [
        BatchItem("a red fox", ItemFields(count="2", seed="10")),
        BatchItem("a grey wolf", ItemFields(model="flux")),
    ]
    batch_id = make(engine, anna, two_models, items)
    assert runs.summary(engine, batch_id, owner_id=anna.id).progress.states == {"pending": 2}

    assert runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models) == runs.Queued(2, 0)
    jobs = sorted(jobs_of(engine, batch_id), key=lambda job: job.batch_position)
    assert [(job.prompt, job.model_profile, job.variant_count) for job in jobs] == [
        ("a red fox", "demo", 2),
        ("a grey wolf", "flux", 1),
    ]
    assert queue.JobSpec.of(jobs[0]).seeds == [10, 11]

    run_all(engine, tmp_path, two_models, anna, batch_id)
    progress = runs.summary(engine, batch_id, owner_id=anna.id).progress
    assert progress.states == {"done": 2} and progress.images_done == 3 and not progress.active
    shown = runs.items_page(engine, batch_id, owner_id=anna.id)
    assert [(item.status, len(item.image_ids)) for item in shown] == [("done", 2), ("done", 1)]
    # The gallery shows exactly the batch's images when filtered by it.
    in_gallery = page(engine, anna.id, filters=Filters(batch_id=batch_id)).items
    assert {image.id for image, _ in in_gallery} == {image_id for item in shown for image_id in item.image_ids}


def test_queueing_again_after_a_crash_never_queues_an_item_twice(engine, two_models):
    anna = make_user(engine)
    batch_id = make(engine, anna, two_models, prompts(5))
    # A crash after item 0's job was written but before the item was marked queued:
    with session(engine) as db:
        first = db.exec(select(ItemRow).where(ItemRow.batch_id == batch_id, ItemRow.position == 0)).one()
    job = submission(anna, two_models.default, prompt=first.prompt, seeds=[first.seed])
    queue.submit(engine, dataclasses.replace(job, batch_id=batch_id, batch_position=0))
    runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models)
    runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models)  # a second tab, say
    assert sorted(job.batch_position for job in jobs_of(engine, batch_id)) == [0, 1, 2, 3, 4]
    assert runs.summary(engine, batch_id, owner_id=anna.id).progress.states == {"queued": 5}


def test_items_get_fixed_seeds_and_a_rerun_on_another_model_uses_the_same_ones(engine, two_models):
    anna = make_user(engine)
    batch_id = make(engine, anna, two_models, prompts(3) + [BatchItem("own seed", ItemFields(seed="5", model="demo"))])
    rerun_id = runs.rerun(engine, batch_id, owner_id=anna.id, model="flux", catalog=two_models)
    for batch in (batch_id, rerun_id):
        runs.queue_items(engine, batch, owner_id=anna.id, catalog=two_models)

    def seeds_and_models(batch):
        jobs = sorted(jobs_of(engine, batch), key=lambda job: job.batch_position)
        return [queue.JobSpec.of(job).seeds[0] for job in jobs], {job.model_profile for job in jobs}

    first_seeds, first_models = seeds_and_models(batch_id)
    rerun_seeds, rerun_models = seeds_and_models(rerun_id)
    assert first_seeds == rerun_seeds and first_seeds[3] == 5
    assert (first_models, rerun_models) == ({"demo"}, {"flux"})
    summaries = {summary.id: summary for summary in runs.recent(engine, owner_id=anna.id)}
    assert summaries[rerun_id].series_id == summaries[batch_id].series_id == batch_id
    # Told apart by the model it ran on; running that again names the new model instead of adding one.
    assert summaries[rerun_id].name == f"{summaries[batch_id].name} on Demo FLUX"
    again_id = runs.rerun(engine, rerun_id, owner_id=anna.id, model="demo", catalog=two_models)
    assert runs.summary(engine, again_id, owner_id=anna.id).name == f"{summaries[batch_id].name} on Demo"


def test_an_invalid_batch_writes_nothing(engine, two_models):
    anna = make_user(engine)
    with pytest.raises(runs.BatchInvalid) as refused:
        make(engine, anna, two_models, [BatchItem("ok"), BatchItem("bad", ItemFields(width="100"))])
    assert refused.value.plan.row_problems == {1: ["Width must be a multiple of 16 from 256 to 2048."]}
    with session(engine) as db:
        assert db.exec(select(Batch)).all() == []


def test_an_item_the_queue_refuses_shows_why_and_the_others_still_run(engine, two_models, monkeypatch):
    anna = make_user(engine)
    batch_id = make(engine, anna, two_models, prompts(3))
    real_submit = queue.submit

    def quota_after_two(engine, job):
        if job.batch_position == 2:
            raise QuotaReached("You have used your 2 images for today.", refills_at=None)
        return real_submit(engine, job)

    monkeypatch.setattr(queue, "submit", quota_after_two)
    assert runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models) == runs.Queued(2, 1)
    shown = runs.items_page(engine, batch_id, owner_id=anna.id)
    assert [(item.status, item.message) for item in shown] == [
        ("queued", ""),
        ("queued", ""),
        ("refused", "You have used your 2 images for today."),
    ]


def test_cancelling_drops_unqueued_items_and_cancels_waiting_jobs_of_the_owner_only(engine, two_models):
    anna, bob = make_user(engine), make_user(engine, "bob")
    batch_id = make(engine, anna, two_models, prompts(4))
    with session(engine) as db:  # two items queued, two not yet
        runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models)
        for job in db.exec(select(Generation).where(Generation.batch_position >= 2)).all():
            db.delete(job)
        for item in db.exec(select(ItemRow).where(ItemRow.position >= 2)).all():
            item.state = runs.PENDING
            db.add(item)
        db.commit()
    assert not runs.cancel(engine, batch_id, owner_id=bob.id)
    assert runs.summary(engine, batch_id, owner_id=anna.id).progress.states == {"queued": 2, "pending": 2}

    assert runs.cancel(engine, batch_id, owner_id=anna.id)
    progress = runs.summary(engine, batch_id, owner_id=anna.id).progress
    assert progress.states == {"cancelled": 4} and progress.cancelled and not progress.active
    # Nothing is queued afterwards, however often queueing is asked for.
    assert runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models) == runs.Queued(0, 0)
    assert len(jobs_of(engine, batch_id)) == 2


def test_another_users_batch_cannot_be_read_or_queued(engine, two_models):
    anna, bob = make_user(engine), make_user(engine, "bob")
    batch_id = make(engine, anna, two_models, prompts(2))
    assert runs.summary(engine, batch_id, owner_id=bob.id) is None
    assert runs.items_page(engine, batch_id, owner_id=bob.id) == []
    assert runs.queue_items(engine, batch_id, owner_id=bob.id, catalog=two_models) == runs.Queued(0, 0)
    assert runs.rerun(engine, batch_id, owner_id=bob.id, model="flux", catalog=two_models) is None
    assert runs.recent(engine, owner_id=bob.id) == []


def test_items_are_read_page_by_page_in_order(engine, two_models):
    anna = make_user(engine)
    batch_id = make(engine, anna, two_models, prompts(120))
    pages = [runs.items_page(engine, batch_id, owner_id=anna.id, start=start) for start in (0, 50, 100)]
    assert [len(shown) for shown in pages] == [50, 50, 20]
    assert [item.position for shown in pages for item in shown] == list(range(120))


def test_one_users_forty_item_batch_does_not_starve_another_users_single_image(engine, two_models):
    anna, bob = make_user(engine), make_user(engine, "bob")
    batch_id = make(engine, anna, two_models, prompts(40))
    runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models)
    bobs = queue.submit(engine, submission(bob, two_models.default, seeds=[1]))
    limits = two_models.concurrency_limits()  # the demo profile runs 2 images at once
    started = [job for _ in range(2) for job in queue.claim(engine, worker="w", limits=limits, capacity=1)]
    # Anna's first item starts, then Bob's image, not Anna's second of forty.
    assert [job.batch_position for job in started] == [0, None]
    assert started[1].id == bobs


def test_batches_left_half_queued_are_found_for_queueing_at_start(engine, two_models):
    anna, bob = make_user(engine), make_user(engine, "bob")
    half = make(engine, anna, two_models, prompts(3))
    done = make(engine, anna, two_models, prompts(2))
    stopped = make(engine, bob, two_models, prompts(2))
    runs.queue_items(engine, done, owner_id=anna.id, catalog=two_models)
    runs.cancel(engine, stopped, owner_id=bob.id)
    assert runs.with_pending_items(engine) == [(half, anna.id)]
    runs.queue_items(engine, half, owner_id=anna.id, catalog=two_models)
    assert runs.with_pending_items(engine) == []


def test_a_batchs_summary_counts_its_interrupted_items(engine, two_models):
    anna = make_user(engine)
    batch_id = make(engine, anna, two_models, prompts(3))
    runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=two_models)
    with session(engine) as db:
        for job, status in zip(
            sorted(jobs_of(engine, batch_id), key=lambda job: job.batch_position),
            ("done", "interrupted", "queued"),
            strict=False,
        ):
            job.status = status
            db.add(job)
        db.commit()
    progress = runs.summary(engine, batch_id, owner_id=anna.id).progress
    assert progress.describe() == "2 of 3 prompts finished · 0 images · 1 waiting · 1 interrupted"
