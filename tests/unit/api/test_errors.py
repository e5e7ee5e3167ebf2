"""Every refusal in OpenAI's error envelope with the right status, so that the openai SDK raises the
right exception with bildgen's own words; never a stack trace."""

import datetime
import sqlite3

import httpx
import openai
import pytest
import sqlalchemy
from PIL import Image

from bildgen.admin import users
from bildgen.api import app as api_app
from bildgen.auth import api_tokens, throttle
from bildgen.jobs import queue, views
from bildgen.jobs.refusals import GenerationPaused, QuotaReached, SubmissionRefused
from bildgen.store.models import utc_now
from tests.unit.api.conftest import SMALL, png
from tests.unit.api.test_masks import encoded
from tests.unit.conftest import make_user

GENERATE = {"model": "demo", "prompt": "a red fox", "size": SMALL}


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert "Traceback" not in response.text
    return body["error"]


def test_a_request_without_a_valid_token_is_401_with_a_way_out(bildgen):
    anna, token = bildgen.user_and_token("anna")
    info = api_tokens.tokens_of(bildgen.services.engine, anna.id)[0]
    with pytest.raises(openai.AuthenticationError, match="account page"):
        bildgen.sdk("bgk_made-up").models.list()
    with bildgen.http(None) as client:
        missing = client.get("models")
    assert missing.status_code == 401 and error_of(missing)["code"] == "missing_api_key"
    api_tokens.revoke(bildgen.services.engine, info.id, actor=anna, owner_id=anna.id)
    with pytest.raises(openai.AuthenticationError) as revoked:
        bildgen.sdk(token).models.list()
    assert revoked.value.body["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"n": 5}, "n", "less than or equal to 4"),
        ({"size": "1000x1000"}, "size", "Width must be a multiple of 16"),
        ({"size": "big"}, "size", "size"),
        ({"num_inference_steps": 0}, "num_inference_steps", "greater than or equal to 1"),
        ({"prompt": "   "}, "prompt", "The prompt is empty"),
        ({"steps": 30}, "steps", "Unrecognized request argument supplied: steps"),
        ({"response_format": "jpeg"}, "response_format", "response_format"),
        ({"stream": True}, "stream", "stream"),
    ],
)
def test_a_wrong_field_is_400_naming_it(bildgen, change, param, words):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        response = client.post("images/generations", json={**GENERATE, **change})
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == param and words in error["message"] and error["type"] == "invalid_request_error"


def test_a_body_that_is_not_json_is_400(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        response = client.post(
            "images/generations", content=b"{prompt: fox", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400 and "not valid JSON" in error_of(response)["message"]


def test_an_unknown_model_is_404_listing_the_models(bildgen):
    _, token = bildgen.user_and_token("anna")
    with pytest.raises(openai.NotFoundError) as missing:
        bildgen.sdk(token).images.generate(model="dall-e-2", prompt="x")
    assert missing.value.body["code"] == "model_not_found" and missing.value.body["param"] == "model"
    assert "Models: demo" in missing.value.body["message"]


def test_an_unknown_route_is_404_in_the_envelope(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        response = client.get("images/variations")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_oversized_bodies_and_uploads_are_413(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        body = client.post("images/generations", json={**GENERATE, "prompt": "x" * (2 * 1024 * 1024)})
        # A form where JSON belongs is not spooled to disk either.
        disguised = client.post("images/generations", files={"prompt": ("p.txt", b"x" * (2 * 1024 * 1024))})
        upload = client.post(
            "images/edits",
            data={"prompt": "bigger", "model": "demo"},
            files={"image": ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * 1024 * 1024), "image/png")},
        )
    assert body.status_code == 413 and "at most" in error_of(body)["message"]
    assert disguised.status_code == 413
    assert upload.status_code == 413 and "20 MB" in error_of(upload)["message"]


def test_a_disabled_users_token_is_403_and_queues_nothing(bildgen):
    anna, token = bildgen.user_and_token("anna")
    root = make_user(bildgen.services.engine, "root")
    users.set_disabled(bildgen.services.engine, anna.id, True, actor_id=root.id)
    with pytest.raises(openai.PermissionDeniedError, match="disabled") as refused:
        bildgen.sdk(token).images.generate(**GENERATE)
    assert refused.value.body["code"] == "account_disabled"
    with bildgen.http(token) as client:
        listed = client.get("models")
    assert listed.status_code == 403 and error_of(listed)["type"] == "permission_error"
    assert views.latest(bildgen.services.engine, owner_id=anna.id) is None


def test_an_image_that_cannot_be_read_is_422_and_queues_nothing(bildgen):
    anna, token = bildgen.user_and_token("anna")
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        bildgen.sdk(token).images.edit(model="demo", image=("notes.png", b"not a picture", "image/png"), prompt="x")
    assert refused.value.body["param"] == "image" and "not a PNG, JPEG or WebP" in refused.value.body["message"]
    assert views.latest(bildgen.services.engine, owner_id=anna.id) is None


def test_a_mask_that_cannot_be_used_is_422_naming_it_and_queues_nothing(bildgen):
    anna, token = bildgen.user_and_token("anna")
    image = ("a.png", png(300, 200), "image/png")
    unusable = {
        "must be a PNG": b"GIF89a",
        "same proportions": png(100, 100),  # the reference is 300×200
        "mask is empty": encoded(Image.new("RGBA", (300, 200), (0, 0, 0, 255))),  # nothing transparent
    }
    for reason, mask in unusable.items():
        with pytest.raises(openai.UnprocessableEntityError) as refused:
            bildgen.sdk(token).images.edit(model="demo", image=image, mask=("m.png", mask, "image/png"), prompt="x")
        assert refused.value.body["param"] == "mask" and reason in refused.value.body["message"]
    assert views.latest(bildgen.services.engine, owner_id=anna.id) is None


def test_a_mask_for_a_model_that_cannot_take_one_is_400_naming_it(bildgen):
    anna, token = bildgen.user_and_token("anna")
    sketcher = bildgen.add_profile("Sketcher", capabilities={"masks": False})
    mask = encoded(Image.new("RGBA", (300, 200), (0, 0, 0, 0)))
    with pytest.raises(openai.BadRequestError) as refused:
        bildgen.sdk(token).images.edit(
            model=sketcher, image=("a.png", png(300, 200), "image/png"), mask=("m.png", mask, "image/png"), prompt="x"
        )
    assert refused.value.body["param"] == "mask" and "Sketcher cannot apply" in refused.value.body["message"]
    assert views.latest(bildgen.services.engine, owner_id=anna.id) is None


def test_too_many_requests_with_one_token_is_429_with_retry_after_and_other_tokens_go_on(bildgen, monkeypatch):
    monkeypatch.setattr(api_app, "API_REQUESTS", throttle.Bucket("api", capacity=2, refill_every_s=30))
    _, anna = bildgen.user_and_token("anna")
    _, bob = bildgen.user_and_token("bob")
    with bildgen.http(anna) as client:
        answers = [client.get("models") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["retry-after"]) <= 30
    assert error_of(answers[2])["code"] == "rate_limit_exceeded"
    with bildgen.http(bob) as client:
        assert client.get("models").status_code == 200


def refuse_with(monkeypatch, refusal: Exception) -> None:
    """The queue's admission check (issue 12) refuses the next job."""

    def refuse(*_args, **_kwargs):
        raise refusal

    monkeypatch.setattr(queue, "submit", refuse)


def test_a_used_up_quota_is_429_saying_when_it_refills(bildgen, monkeypatch):
    _, token = bildgen.user_and_token("anna")
    refills = utc_now() + datetime.timedelta(minutes=10)
    refuse_with(monkeypatch, QuotaReached("You have used your 50 images for today.", refills))
    with bildgen.http(token) as client:
        response = client.post("images/generations", json=GENERATE)
    assert response.status_code == 429 and 590 <= int(response.headers["retry-after"]) <= 600
    assert error_of(response) == {
        "message": "You have used your 50 images for today.",
        "type": "rate_limit_error",
        "param": None,
        "code": "insufficient_quota",
    }


def test_generation_switched_off_is_503_and_other_refusals_403(bildgen, monkeypatch):
    _, token = bildgen.user_and_token("anna")
    refuse_with(monkeypatch, GenerationPaused("Image generation is paused for maintenance until 14:00."))
    with pytest.raises(openai.InternalServerError) as paused:
        bildgen.sdk(token).images.generate(model="demo", prompt="x")
    assert paused.value.status_code == 503 and "paused for maintenance" in paused.value.body["message"]
    refuse_with(monkeypatch, SubmissionRefused("Your account may not generate images."))
    with pytest.raises(openai.PermissionDeniedError, match="may not generate"):
        bildgen.sdk(token).images.generate(model="demo", prompt="x")


def test_a_generation_that_fails_at_the_image_server_says_why(bildgen):
    _, token = bildgen.user_and_token("anna")
    bildgen.fault("server-error")
    with bildgen.http(token) as client:
        response = client.post("images/generations", json=GENERATE)
    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "generation_failed" and error["type"] == "server_error" and error["message"]


def test_a_database_that_stops_answering_is_503_not_a_server_error(bildgen, monkeypatch):
    _, token = bildgen.user_and_token("anna")

    def locked(*_args, **_kwargs):
        raise sqlalchemy.exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(views, "view", locked)  # every read of a job, from here on
    with bildgen.http(token) as client:
        waited = client.post("images/generations", json=GENERATE)
        queued = client.post("images/generations", json={**GENERATE, "async": True})
        read = client.get(f"tasks/{'0' * 32}")
    for response in (waited, queued, read):
        assert response.status_code == 503 and "cannot store anything right now" in error_of(response)["message"]
        assert response.headers["retry-after"] == "30"


def test_a_bug_is_a_plain_500_in_the_envelope_without_its_details(bildgen, monkeypatch):
    _, token = bildgen.user_and_token("anna")

    def bug(*_args, **_kwargs):
        raise RuntimeError("secret internals at line 42")

    monkeypatch.setattr(api_app, "plan", bug)
    with bildgen.http(token) as client:
        response = client.post("images/generations", json=GENERATE)
    assert response.status_code == 500
    assert "nothing was lost" in error_of(response)["message"] and "secret internals" not in response.text
