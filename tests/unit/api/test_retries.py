"""Client retries never pay twice. The official openai SDK, at its default retries (two), sends a request
again after 408, 409, 429, 5xx or a timeout unless the answer says `x-should-retry: false`; bildgen says so
after every error that comes once a generation may have started, and an `Idempotency-Key` gets the job
its first request queued."""

import functools
import threading
import time
from datetime import timedelta

import httpx
import openai
import pytest
from sqlmodel import select

from bildgen.api import idempotency
from bildgen.jobs import views
from bildgen.store.db import session
from bildgen.store.models import Generation, ReferenceImage, utc_now
from tests.unit.api.conftest import SMALL, png, poll
from tests.unit.api.test_tasks import is_final

GENERATE = {"model": "demo", "prompt": "a red fox", "size": SMALL}


def sdk_with_default_retries(bildgen, token: str, timeout: float = 60) -> openai.OpenAI:
    return openai.OpenAI(base_url=bildgen.base_url, api_key=token, timeout=timeout)


def jobs_of(bildgen, user) -> list[Generation]:
    with session(bildgen.services.engine) as db:
        return list(db.exec(select(Generation).where(Generation.owner_id == user.id)).all())


def generation_posts(bildgen) -> list[dict]:
    return [entry for entry in bildgen.demo_requests() if entry["path"].endswith("/images/generations")]


def test_a_moderated_prompt_is_400_moderation_blocked_and_sent_to_the_service_once(bildgen):
    anna, token = bildgen.user_and_token("anna")
    bildgen.fault("content-refused", times=3)  # it would decline every attempt
    with pytest.raises(openai.BadRequestError) as refused:
        sdk_with_default_retries(bildgen, token).images.generate(**GENERATE)
    assert refused.value.code == "moderation_blocked"
    assert refused.value.body["type"] == "image_generation_user_error"
    assert "content safety filter" in refused.value.message  # the service's own words
    assert len(generation_posts(bildgen)) == 1 and len(jobs_of(bildgen, anna)) == 1


def test_a_missed_deadline_is_504_once_and_the_images_are_made_once(bildgen):
    anna, token = bildgen.user_and_token("anna")
    quick = bildgen.add_profile("Quick", deadline_s=0.5)
    bildgen.fault("slow", times=3)  # a few seconds more than the deadline, every time
    with pytest.raises(openai.InternalServerError) as missed:
        sdk_with_default_retries(bildgen, token).images.generate(**{**GENERATE, "model": quick})
    assert missed.value.status_code == 504 and missed.value.response.headers["x-should-retry"] == "false"
    [job] = jobs_of(bildgen, anna)
    with bildgen.http(token) as client:
        poll(client, f"tasks/{job.id}", is_final)
    assert len(generation_posts(bildgen)) == 1


def test_a_request_the_sdk_sends_again_with_an_idempotency_key_makes_one_job(bildgen):
    anna, token = bildgen.user_and_token("anna")
    bildgen.fault("slow")  # some seconds longer than the client waits for an answer
    key = {"Idempotency-Key": "fox-2026-12-07-1"}
    impatient = sdk_with_default_retries(bildgen, token, timeout=2)
    try:
        raw = impatient.images.with_raw_response.generate(**GENERATE, extra_headers=key)
        answer, retries = raw.parse(), raw.retries_taken
    except openai.APITimeoutError:  # all three attempts ran out of time: the job is still the one
        answer, retries = sdk_with_default_retries(bildgen, token).images.generate(**GENERATE, extra_headers=key), 2
    assert retries >= 1
    [job] = jobs_of(bildgen, anna)
    assert [image.id for image in answer.data] == [image.id for image in _images_of(bildgen, job, anna)]
    assert len(generation_posts(bildgen)) == 1


def _images_of(bildgen, job, owner):
    view = views.view(bildgen.services.engine, job.id, owner_id=owner.id)
    return [view.images[variant] for variant in sorted(view.images)]


def test_simultaneous_requests_with_one_key_queue_one_job(bildgen):
    anna, token = bildgen.user_and_token("anna")
    start = threading.Barrier(4)
    answers: list[httpx.Response] = []

    def send() -> None:
        with bildgen.http(token) as client:
            start.wait()
            response = client.post(
                "images/generations", json={**GENERATE, "async": True}, headers={"Idempotency-Key": "same"}
            )
            while response.status_code == 409:  # the first is still being queued: again, as the SDK does,
                # after the Retry-After it was given (a client hammering the API is throttled with 429)
                time.sleep(float(response.headers.get("retry-after", "1")))
                response = client.post(
                    "images/generations", json={**GENERATE, "async": True}, headers={"Idempotency-Key": "same"}
                )
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [response.status_code for response in answers] == [202] * 4
    [job] = jobs_of(bildgen, anna)
    assert {response.json()["id"] for response in answers} == {job.id}


def test_a_key_sent_with_another_request_is_422_and_other_tokens_keys_are_their_own(bildgen):
    anna, token = bildgen.user_and_token("anna")
    ben, bens_token = bildgen.user_and_token("ben")
    headers = {"Idempotency-Key": "k1"}
    with bildgen.http(token) as client:
        first = client.post("images/generations", json={**GENERATE, "async": True}, headers=headers)
        again = client.post("images/generations", json={**GENERATE, "async": True}, headers=headers)
        other = client.post("images/generations", json={**GENERATE, "async": True, "n": 2}, headers=headers)
    with bildgen.http(bens_token) as client:
        bens = client.post("images/generations", json={**GENERATE, "async": True}, headers=headers)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused" and "new key" in other.json()["error"]["message"]
    assert bens.status_code == 202 and bens.json()["id"] != first.json()["id"]
    assert len(jobs_of(bildgen, anna)) == 1 and len(jobs_of(bildgen, ben)) == 1


def test_an_edit_sent_again_with_its_key_stores_its_upload_once_and_another_image_is_422(bildgen):
    anna, token = bildgen.user_and_token("anna")
    headers = {"Idempotency-Key": "edit-1"}
    form = {"model": "demo", "prompt": "in winter", "size": SMALL, "async": "true"}

    def edit(client, colour):
        return client.post(
            "images/edits", data=form, files={"image": ("photo.png", png(colour=colour), "image/png")}, headers=headers
        )

    with bildgen.http(token) as client:
        first, again, other = edit(client, (200, 30, 30)), edit(client, (200, 30, 30)), edit(client, (30, 30, 200))
        poll(client, first.json()["status_url"], is_final)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(jobs_of(bildgen, anna)) == 1
    with session(bildgen.services.engine) as db:
        assert len(db.exec(select(ReferenceImage).where(ReferenceImage.owner_id == anna.id)).all()) == 1
    assert len([entry for entry in bildgen.demo_requests() if entry["path"].endswith("/images/edits")]) == 1


def test_a_key_whose_first_request_never_queued_is_free_after_a_while_and_every_key_after_a_day(engine):
    claim = functools.partial(idempotency.claim, engine, token_id="t1", key="k")
    start = utc_now()
    assert claim(fingerprint="a", now=start) is None  # the first request; its process dies before queueing
    with pytest.raises(idempotency.KeyInUse):
        claim(fingerprint="a", now=start + timedelta(minutes=1))
    assert claim(fingerprint="a", now=start + idempotency.ABANDONED_AFTER + timedelta(seconds=1)) is None
    idempotency.attach(engine, token_id="t1", key="k", job_id="j1")
    assert claim(fingerprint="a", now=start + timedelta(hours=23)) == "j1"
    with pytest.raises(idempotency.KeyReused):
        claim(fingerprint="b", now=start + timedelta(hours=23))
    assert claim(fingerprint="b", now=start + idempotency.WINDOW + timedelta(minutes=10)) is None
