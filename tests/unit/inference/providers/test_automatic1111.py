"""The AUTOMATIC1111 adapter against the demo server posing as a WebUI with --api."""

import asyncio
import io

import pytest
from PIL import Image

from bildgen.inference import providers
from bildgen.inference.demo.common import changed_box
from bildgen.inference.demo.renderer import render
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers import ProbeProblem, TaskStatus
from tests.unit.inference.providers.conftest import (
    Recorder,
    generate,
    inject,
    logged,
    probe,
    profile_for,
    request,
    wait_for,
)

REFERENCE = render("a reference photo", width=512, height=512, seed=5)


def mask_png(box, size=(512, 512)) -> bytes:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def webui(flavor_server):
    return flavor_server("automatic1111")


def test_text_to_image_sends_the_webui_fields_and_keeps_the_seed_it_reports(webui):
    profile = profile_for(webui, "automatic1111", served_name="bildgen-demo.safetensors")
    generated = generate(profile, request(seed=77, width=768, height=512, negative="blurry"))
    assert Image.open(io.BytesIO(generated.image.png)).size == (768, 512)
    assert generated.seed == 77  # read back from the answer's info string
    [sent] = logged(webui, "/sdapi/v1/txt2img")
    body = sent["body"]
    assert (body["prompt"], body["negative_prompt"], body["seed"]) == ("a red fox", "blurry", 77)
    assert (body["steps"], body["cfg_scale"], body["width"], body["height"]) == (12, 6.5, 768, 512)
    assert body["override_settings"] == {"sd_model_checkpoint": "bildgen-demo.safetensors"}


def test_without_a_served_name_the_loaded_checkpoint_is_the_model(webui):
    async def ask():
        async with providers.adapter_for(profile_for(webui, "automatic1111")) as adapter:
            return await adapter.served_model()

    served = asyncio.run(ask())
    assert served.id == "bildgen-demo.safetensors [0123456789]"
    assert served.is_demo


def test_a_mask_repaints_only_the_white_area_of_the_reference(webui):
    box = (128, 128, 320, 288)
    generated = generate(
        profile_for(webui, "automatic1111"),
        request(references=[REFERENCE], mask=mask_png(box), options={"denoising_strength": 0.9}),
    )
    changed = changed_box(REFERENCE, generated.image.png)
    assert changed is not None
    assert box[0] <= changed[0] and box[1] <= changed[1] and changed[2] <= box[2] and changed[3] <= box[3]
    [sent] = logged(webui, "/sdapi/v1/img2img")
    assert sent["body"]["init_images"] == 1
    assert sent["body"]["mask"] is True
    assert sent["body"]["denoising_strength"] == 0.9


def test_an_unreadable_info_string_falls_back_to_the_asked_seed(webui):
    inject(webui, "bad-info")
    generated = generate(profile_for(webui, "automatic1111"), request(seed=5))
    assert generated.seed is None
    assert generated.image.width == 512


@pytest.mark.parametrize(
    ("fault", "kind", "words"),
    [
        ("server-error", ErrorKind.SERVER_FAILURE, "CUDA out of memory"),
        ("garbage", ErrorKind.MALFORMED, "not JSON"),
        ("no-images", ErrorKind.TOO_FEW, "fewer images"),
    ],
)
def test_each_fault_ends_in_its_own_message(webui, fault, kind, words):
    inject(webui, fault)
    with pytest.raises(InferenceError) as caught:
        generate(profile_for(webui, "automatic1111"), request())
    assert caught.value.kind is kind
    assert words in caught.value.user_message


def test_the_webuis_validation_message_reaches_the_user(webui):
    with pytest.raises(InferenceError) as caught:
        generate(profile_for(webui, "automatic1111"), request(width=516))
    assert caught.value.kind is ErrorKind.REJECTED
    assert "multiples of 8" in caught.value.user_message


def test_basic_auth_from_the_key_and_a_wrong_key_is_named(flavor_server):
    server = flavor_server("automatic1111", api_key="anna:s3cret")
    profile = profile_for(server, "automatic1111")
    assert generate(profile, request(), api_key="anna:s3cret").image.width == 512
    with pytest.raises(InferenceError) as caught:
        generate(profile, request(), api_key="anna:wrong")
    assert caught.value.kind is ErrorKind.UNAUTHORIZED
    result = probe(profile, api_key="anna:wrong")
    assert (result.ok, result.problem) == (False, ProbeProblem.WRONG_KEY)


def test_probe_finds_the_checkpoint_or_says_it_is_missing(webui):
    assert probe(profile_for(webui, "automatic1111", served_name="bildgen-demo")).ok
    missing = probe(profile_for(webui, "automatic1111", served_name="sdxl-turbo.safetensors"))
    assert (missing.ok, missing.problem) == (False, ProbeProblem.MODEL_NOT_FOUND)
    assert "sdxl-turbo" in missing.message


def test_progress_reports_the_fraction_eta_and_a_preview_while_the_image_is_made(flavor_server):
    server = flavor_server("automatic1111", latency_per_image=3.0)
    events = Recorder()
    generate(profile_for(server, "automatic1111"), request(), events=events)
    running = [report for report in events.reports if report.status is TaskStatus.RUNNING]
    assert running, events.reports
    assert all(0 < report.fraction < 1 for report in running)
    assert [report.fraction for report in running] == sorted(report.fraction for report in running)
    assert running[0].eta_s > 0
    previews = [report.preview for report in running if report.preview]
    assert previews and Image.open(io.BytesIO(previews[-1])).size[0] <= 128


def test_cancelling_interrupts_the_webuis_job(flavor_server):
    server = flavor_server("automatic1111", latency_per_image=10.0)

    async def cancel_soon():
        async with providers.adapter_for(profile_for(server, "automatic1111")) as adapter:
            task = asyncio.create_task(adapter.generate(request(), model=None))
            await asyncio.sleep(1.0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(cancel_soon())
    assert logged(server, "/sdapi/v1/interrupt")
    wait_for(lambda: logged(server, "/sdapi/v1/txt2img", method="INTERRUPTED"))


def test_the_deadline_ends_a_long_job_and_interrupts_it(flavor_server):
    server = flavor_server("automatic1111", latency_per_image=10.0)
    with pytest.raises(InferenceError) as caught:
        generate(profile_for(server, "automatic1111", deadline_s=1.0), request())
    assert caught.value.kind is ErrorKind.TIMED_OUT
    assert logged(server, "/sdapi/v1/interrupt")
