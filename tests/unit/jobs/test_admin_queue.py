"""What an administrator's queue page lists: every user's waiting and running jobs, with names and places."""

from datetime import timedelta

from bildgen.jobs import queue, views
from bildgen.store.models import GenerationStatus, utc_now
from tests.unit.conftest import make_generation, make_user


def test_everyones_waiting_and_running_jobs_are_listed_with_names_and_places(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    start = utc_now() - timedelta(minutes=5)

    def job(owner, minute, status, **fields):
        return make_generation(engine, owner, created_at=start + timedelta(minutes=minute), status=status, **fields)

    running = job(anna, 0, GenerationStatus.RUNNING, prompt="a lighthouse", started_at=start + timedelta(minutes=1))
    job(bob, 0.5, GenerationStatus.DONE)
    job(anna, 0.6, GenerationStatus.CANCELLED)
    annas_first, annas_second = job(anna, 1, GenerationStatus.QUEUED), job(anna, 2, GenerationStatus.QUEUED)
    bobs = job(bob, 3, GenerationStatus.QUEUED, prompt="bobs fox", variant_count=4)

    jobs = views.active_jobs(engine)

    # Oldest first; finished ones are left out.
    assert [j.id for j in jobs] == [running.id, annas_first.id, annas_second.id, bobs.id]
    assert [j.username for j in jobs] == ["anna", "anna", "anna", "bob"]
    listed = {j.id: j for j in jobs}
    assert listed[bobs.id].prompt == "bobs fox" and listed[bobs.id].variant_count == 4
    assert listed[running.id].started_at is not None and listed[running.id].ahead is None
    # Round-robin, as the studio says it: Bob's only job goes before Anna's second one.
    assert [listed[i].ahead for i in (annas_first.id, bobs.id, annas_second.id)] == [0, 1, 2]
    assert listed[bobs.id].ahead == views.view(engine, bobs.id, owner_id=bob.id).ahead


def test_one_users_listing_keeps_everyones_places(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    make_generation(engine, anna, status=GenerationStatus.QUEUED)
    bobs = make_generation(engine, bob, status=GenerationStatus.QUEUED)

    assert [(j.id, j.username, j.ahead) for j in views.active_jobs(engine, owner_id=bob.id)] == [(bobs.id, "bob", 1)]


def test_an_administrator_cancels_someone_elses_job_and_it_leaves_the_list(engine):
    anna = make_user(engine, "anna")
    waiting = make_generation(engine, anna, status=GenerationStatus.QUEUED)
    running = make_generation(engine, anna, status=GenerationStatus.RUNNING)

    assert queue.request_cancel(engine, waiting.id, owner_id=None)
    assert queue.request_cancel(engine, running.id, owner_id=None)

    jobs = views.active_jobs(engine)
    # The waiting one is gone at once; the running one stays, marked, until its worker has stopped.
    assert [(j.id, j.cancel_requested) for j in jobs] == [(running.id, True)]
