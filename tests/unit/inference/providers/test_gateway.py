"""The gateway adapter against the demo server posing as the organisation's image gateway."""

import asyncio
import io

import pytest
from PIL import Image

from bildgen.inference.demo.common import changed_box
from bildgen.inference.demo.renderer import render
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import ConfigError, load_catalog
from bildgen.inference.providers import ProbeProblem, TaskStatus
from tests.unit.inference.providers.conftest import Recorder, generate, inject, logged, probe, profile_for, request

REFERENCE = render("a reference photo", width=1024, height=1024, seed=5)


@pytest.fixture
def gateway(flavor_server, monkeypatch):
    monkeypatch.setenv("GATEWAY_TEST_KEY", "gw-key")
    return flavor_server("gateway", api_key="gw-key")


def routed(server, route, **fields):
    return profile_for(server, "gateway", route=route, api_key_env="GATEWAY_TEST_KEY", **fields)


def size_of(generated):
    return Image.open(io.BytesIO(generated.image.png)).size


@pytest.mark.parametrize(
    ("route", "ask", "path", "sent", "size"),
    [
        (
            "qwen",
            {"width": 1328, "height": 1328},
            "/v2/image/qwen/generate",
            {"size": "1328x1328", "seed": 21},
            (1328, 1328),
        ),
        (
            "qwen",
            {"width": 1024, "height": 1024, "references": [REFERENCE]},
            "/v2/image/qwen/edit",
            {"size": "1024x1024", "image": "<image>"},
            (1024, 1024),
        ),
        (
            "flux",
            {"width": 1344, "height": 768, "references": [REFERENCE, REFERENCE], "options": {"safety_tolerance": 5}},
            "/v2/image/flux/generate",
            {"width": 1344, "height": 768, "input_image": "<image>", "input_image_2": "<image>", "safety_tolerance": 5},
            (1344, 768),
        ),
        (
            "gemini-3",
            {"width": 1024, "height": 1024, "options": {"aspect_ratio": "16:9", "image_size": "2K"}},
            "/v2/image/gemini-3/generate",
            {"aspect_ratio": "16:9", "image_size": "2K"},
            (1376, 768),
        ),
        (
            "gemini-3",
            {"width": 768, "height": 1376},
            "/v2/image/gemini-3/generate",
            {"aspect_ratio": "9:16", "image_size": "1K"},
            (768, 1376),
        ),
        (
            "gpt-image",
            {"width": 1536, "height": 1024, "options": {"quality": "high"}},
            "/v2/image/gpt-image/generate",
            {"size": "1536x1024", "quality": "high", "n": 1},
            (1536, 1024),
        ),
        (
            "automatic1111",
            {"width": 512, "height": 768, "negative": "blurry"},
            "/v2/automatic1111/sdapi/v1/txt2img",
            # No seed: the route takes none (and the strict demo refuses fields a route does not take).
            {"width": 512, "height": 768, "negative_prompt": "blurry", "cfg_scale": 6.5, "steps": 12},
            (512, 768),
        ),
    ],
    ids=["qwen", "qwen-edit", "flux", "gemini-ratio", "gemini-from-size", "gpt-image", "automatic1111"],
)
def test_each_route_gets_its_providers_fields_and_its_answer_is_read(gateway, route, ask, path, sent, size):
    generated = generate(routed(gateway, route), request(**ask))
    assert size_of(generated) == size
    [entry] = logged(gateway, path)
    assert sent.items() <= entry["body"].items()
    assert "async" not in entry["body"]
    if route in ("qwen", "gpt-image"):  # URL answers: downloaded at once
        assert logged(gateway, "/v2/files/", method="GET")


def test_the_automatic1111_route_is_sent_no_seed_and_records_none(gateway):
    """The gateway's Stable Diffusion route takes no seed: none is sent, so the recipe records none
    (a seed there could not make the same image again)."""
    profile = routed(gateway, "automatic1111")
    generated = generate(profile, request(seed=99))
    [entry] = logged(gateway, "/v2/automatic1111/sdapi/v1/txt2img")
    assert "seed" not in entry["body"]
    assert isinstance(generated.seed, int)  # what the WebUI says it used, from `info`
    assert profile.capabilities().seed is False  # so the form offers none


def test_a_gpt_image_edit_sends_the_mask_and_only_the_white_area_changes(gateway):
    mask = Image.new("L", (1024, 1024), 0)
    mask.paste(255, (100, 200, 400, 500))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    generated = generate(
        routed(gateway, "gpt-image"), request(width=1024, height=1024, references=[REFERENCE], mask=buffer.getvalue())
    )
    [entry] = logged(gateway, "/v2/image/gpt-image/edit")
    assert entry["body"]["mask"] == "<image>"
    left, top, right, bottom = changed_box(REFERENCE, generated.image.png)
    assert 100 <= left and 200 <= top and right <= 400 and bottom <= 500


def test_async_mode_reports_the_task_and_polls_it_to_the_end(flavor_server):
    server = flavor_server("gateway", latency_per_image=1.2)
    events = Recorder()
    generated = generate(routed(server, "flux", async_tasks=True), request(width=1024, height=1024), events=events)
    assert size_of(generated) == (1024, 1024)
    [entry] = logged(server, "/v2/image/flux/generate")
    assert entry["body"]["async"] is True
    [handle] = events.handles
    assert logged(server, f"/v2/tasks/{handle.task_id}", method="GET")
    statuses = {report.status for report in events.reports}
    assert {TaskStatus.SUBMITTED, TaskStatus.RUNNING} <= statuses


@pytest.mark.parametrize("async_tasks", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        ("request-moderated", ErrorKind.MODERATED_REQUEST, "moderation declined"),
        ("content-moderated", ErrorKind.MODERATED_CONTENT, "withheld"),
        ("expired-url", ErrorKind.RESULT_EXPIRED, "download link had expired"),
        ("garbage", ErrorKind.MALFORMED, "not JSON"),
    ],
)
def test_each_fault_ends_in_its_own_message(gateway, fault, kind, words, async_tasks):
    inject(gateway, fault)
    with pytest.raises(InferenceError) as caught:
        generate(routed(gateway, "qwen", async_tasks=async_tasks), request(width=1024, height=1024))
    assert caught.value.kind is kind
    assert words in caught.value.user_message


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("server-error", ErrorKind.SERVER_FAILURE), ("no-credits", ErrorKind.NO_CREDITS)],
)
def test_gateway_failures_are_told_apart(gateway, fault, kind):
    inject(gateway, fault)
    with pytest.raises(InferenceError) as caught:
        generate(routed(gateway, "flux"), request(width=1024, height=1024))
    assert caught.value.kind is kind


def test_a_task_the_gateway_lost_is_named(gateway):
    inject(gateway, "task-not-found")
    with pytest.raises(InferenceError) as caught:
        generate(routed(gateway, "flux", async_tasks=True), request(width=1024, height=1024))
    assert caught.value.kind is ErrorKind.TASK_LOST


def test_a_busy_gateway_is_asked_again_after_retry_after(gateway):
    inject(gateway, "busy")
    generate(routed(gateway, "flux"), request(width=1024, height=1024))
    assert len(logged(gateway, "/v2/image/flux/generate")) == 2


def test_probe_checks_the_key_and_the_route_without_generating(gateway):
    assert probe(routed(gateway, "gemini-3")).ok
    assert probe(routed(gateway, "gemini-3"), api_key="nope").problem is ProbeProblem.WRONG_KEY
    assert all("prompt" not in entry["body"] for entry in logged(gateway, "/v2/image/"))


def test_a_gateway_profile_names_its_route(tmp_path):
    path = tmp_path / "bildgen.toml"
    path.write_text('default_model = "g"\n[models.g]\nlabel = "G"\nbase_url = "https://gw/v2"\nprovider = "gateway"\n')
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    assert "route must be one of qwen, flux, gemini-3, gpt-image, automatic1111" in str(caught.value)
    path.write_text(path.read_text() + 'route = "gemini-3"\n')
    capabilities = load_catalog(path).default.capabilities()
    assert capabilities.aspect_ratios[:2] == ("1:1", "16:9") and capabilities.image_sizes == ("1K", "2K", "4K")
    assert capabilities.cloud == "Google" and not capabilities.seed


def test_a_cancelled_task_is_dropped_at_the_gateway(flavor_server):
    from bildgen.inference import providers

    server = flavor_server("gateway", latency_per_image=10)
    events = Recorder()

    async def go():
        async with providers.adapter_for(routed(server, "flux", async_tasks=True)) as adapter:
            task = asyncio.create_task(adapter.generate(request(width=1024, height=1024), model=None, events=events))
            while not events.handles:
                await asyncio.sleep(0.02)
            task.cancel()
            await adapter.cancel(events.handles[0])

    asyncio.run(go())
    assert logged(server, f"/v2/tasks/{events.handles[0].task_id}", method="DELETE")
