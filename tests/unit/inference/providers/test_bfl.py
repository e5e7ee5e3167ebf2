"""The BFL adapter against the demo server posing as api.bfl.ai: every image is a polled task."""

import asyncio
import io
import time

import pytest
from PIL import Image

from bildgen.inference import providers
from bildgen.inference.demo.renderer import render
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import ConfigError, load_catalog
from bildgen.inference.providers import ProbeProblem, TaskHandle, TaskStatus
from tests.unit.inference.providers.conftest import Recorder, generate, inject, logged, probe, profile_for, request

REFERENCE = render("a reference photo", width=256, height=256, seed=5)


def bfl_request(**fields):
    fields.setdefault("width", 1024)
    fields.setdefault("height", 768)
    fields.setdefault("guidance", 3.5)
    fields.setdefault("guidance_field", "guidance")
    return request(**fields)


@pytest.fixture
def bfl(flavor_server):
    return flavor_server("bfl", latency_per_image=0.6, api_key="bfl-test-key")


def flux(server, model="flux-dev", **fields):
    return profile_for(server, "bfl", served_name=model, api_key_env="BFL_TEST_KEY", **fields)


@pytest.fixture(autouse=True)
def bfl_key(monkeypatch):
    monkeypatch.setenv("BFL_TEST_KEY", "bfl-test-key")


def test_a_task_is_submitted_reported_polled_and_its_image_fetched_at_once(bfl):
    events = Recorder()
    generated = generate(flux(bfl), bfl_request(seed=42, options={"safety_tolerance": 4}), events=events)
    assert Image.open(io.BytesIO(generated.image.png)).size == (1024, 768)
    assert generated.seed == 42
    [handle] = events.handles
    assert handle.polling_url.endswith(f"/v1/get_result?id={handle.task_id}")
    statuses = [report.status for report in events.reports]
    assert statuses[0] is TaskStatus.SUBMITTED
    assert TaskStatus.RUNNING in statuses
    [sent] = logged(bfl, "/v1/flux-dev")
    body = sent["body"]
    assert body == {
        "prompt": "a red fox",
        "seed": 42,
        "output_format": "png",
        "width": 1024,
        "height": 768,
        "steps": 12,
        "guidance": 3.5,
        "safety_tolerance": 4,
        "input_images": 0,
    }
    assert logged(bfl, "/v1/delivery/", method="GET")


def test_flux_2_takes_references_as_input_images_and_no_steps_or_guidance(bfl):
    generate(
        flux(bfl, "flux-2-pro"), bfl_request(references=[REFERENCE, REFERENCE], options={"prompt_upsampling": True})
    )
    [sent] = logged(bfl, "/v1/flux-2-pro")
    assert sent["body"]["input_images"] == 2
    assert "steps" not in sent["body"] and "guidance" not in sent["body"]
    assert sent["body"]["prompt_upsampling"] is True


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        ("request-moderated", ErrorKind.MODERATED_REQUEST, "Derivative Works Filter"),
        ("content-moderated", ErrorKind.MODERATED_CONTENT, "withheld"),
        ("task-error", ErrorKind.SERVER_FAILURE, "failed on the worker"),
        ("task-not-found", ErrorKind.TASK_LOST, "no longer knows this task"),
        ("expired-url", ErrorKind.RESULT_EXPIRED, "download link had expired"),
        ("garbage", ErrorKind.MALFORMED, "not JSON"),
        ("no-credits", ErrorKind.NO_CREDITS, "Insufficient credits"),
    ],
)
def test_each_fault_ends_in_its_own_message(bfl, fault, kind, words):
    inject(bfl, fault)
    with pytest.raises(InferenceError) as caught:
        generate(flux(bfl), bfl_request())
    assert caught.value.kind is kind
    assert words in caught.value.user_message
    assert caught.value.is_refusal == (kind in (ErrorKind.MODERATED_REQUEST, ErrorKind.MODERATED_CONTENT))


def test_bfls_validation_message_reaches_the_user(bfl):
    with pytest.raises(InferenceError) as caught:
        generate(flux(bfl), bfl_request(width=1000))
    assert caught.value.kind is ErrorKind.REJECTED
    assert "multiple of 32" in caught.value.user_message


def test_too_many_active_tasks_is_retried_after_retry_after_and_paid_once(bfl):
    inject(bfl, "busy")
    generate(flux(bfl), bfl_request())
    assert len(logged(bfl, "/v1/flux-dev")) == 2
    assert bfl.app.state.demo.credits == 100.0 - 2.5


def test_a_long_task_is_polled_with_backoff(flavor_server, monkeypatch):
    server = flavor_server("bfl", latency_per_image=3.0)
    monkeypatch.delenv("BFL_TEST_KEY")
    started = time.monotonic()
    generate(flux(server), bfl_request())
    took = time.monotonic() - started
    polls = logged(server, "/v1/get_result", method="GET")
    # Quick at first, then backing off to one poll every 2 s at most: a handful of polls, little delay.
    assert 4 <= len(polls) <= 10
    assert took < 3.0 + 2.5


def test_a_wrong_key_no_credits_and_an_unknown_model_are_told_apart_by_probe(flavor_server, monkeypatch):
    server = flavor_server("bfl", api_key="right")
    monkeypatch.setenv("BFL_TEST_KEY", "right")
    assert probe(flux(server)).ok
    assert "100 credits left" in probe(flux(server)).message
    assert probe(flux(server), api_key="wrong").problem is ProbeProblem.WRONG_KEY
    assert probe(flux(server, "flux-9-ultra")).problem is ProbeProblem.MODEL_NOT_FOUND
    server.app.state.demo.credits = 0
    assert probe(flux(server)).problem is ProbeProblem.NO_CREDITS
    # Probing never started a task.
    assert not [entry for entry in logged(server, "/v1/flux-dev") if entry["body"].get("prompt")]


def test_a_saved_task_is_resumed_by_a_new_process_without_submitting_again(flavor_server, monkeypatch):
    server = flavor_server("bfl", latency_per_image=1.5)
    monkeypatch.delenv("BFL_TEST_KEY")
    events = Recorder()

    async def crash_after_submitting():
        async with providers.adapter_for(flux(server)) as adapter:
            task = asyncio.create_task(adapter.generate(bfl_request(seed=9), model="flux-dev", events=events))
            while not events.handles:
                await asyncio.sleep(0.01)
            task.cancel()  # the process stops here, the handle saved

    async def resume(handle: TaskHandle):
        async with providers.adapter_for(flux(server)) as adapter:
            return await adapter.resume(handle)

    asyncio.run(crash_after_submitting())
    generated = asyncio.run(resume(events.handles[0]))
    assert generated.seed == 9
    assert len(logged(server, "/v1/flux-dev")) == 1


def test_the_deadline_counts_from_the_tasks_submission_even_after_a_restart(flavor_server):
    server = flavor_server("bfl")
    handle = TaskHandle(task_id="t", polling_url=None, submitted_at=time.time() - 25)

    async def resume():
        async with providers.adapter_for(flux(server, deadline_s=20)) as adapter:
            return await adapter.resume(handle)

    with pytest.raises(InferenceError) as caught:
        asyncio.run(resume())
    assert caught.value.kind is ErrorKind.TIMED_OUT
    assert not logged(server, "/v1/get_result", method="GET")


def test_a_bfl_profile_names_its_model_and_says_where_data_goes(tmp_path):
    path = tmp_path / "bildgen.toml"
    path.write_text(
        'default_model = "f"\n[models.f]\nlabel = "F"\nbase_url = "https://api.bfl.ai/v1"\nprovider = "bfl"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    assert "served_name names the BFL model" in str(caught.value)
    path.write_text(path.read_text() + 'served_name = "flux-dev"\n')
    capabilities = load_catalog(path).default.capabilities()
    assert capabilities.cloud == "Black Forest Labs"
    assert (capabilities.size_step, capabilities.max_side, capabilities.guidance_range) == (32, 1440, (1.5, 5.0))
    assert capabilities.negative_prompt is False and capabilities.prompt_upsampling and capabilities.safety_tolerance


def test_a_service_that_answers_each_poll_slowly_still_delivers(bfl):
    inject(bfl, "slow-polling")
    assert generate(flux(bfl), bfl_request()).image.width == 1024
    assert len(logged(bfl, "/v1/get_result", method="GET")) >= 1
