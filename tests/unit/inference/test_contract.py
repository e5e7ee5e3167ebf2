"""Contract tests: the client against each server flavor the demo server poses as, and each fault.

What is asserted is what a user ends up with (an image of the asked size, or the specific message)
and what the server saw (which route, which fields, how many generation requests).
"""

import asyncio
import io

import httpx
import pytest
from PIL import Image

from bildgen.inference.client import ImageRequest, InferenceClient, ServerEndpoint, remembered_edit_route
from bildgen.inference.demo.renderer import render
from bildgen.inference.demo.server import FLAVORS, GENERATION_PATHS, DemoOptions, start_demo_server
from bildgen.inference.errors import ErrorKind, InferenceError

REFERENCE = render("a reference photo", width=256, height=256, seed=5)
TEXT = ImageRequest(prompt="a red fox", width=256, height=192, seed=21, diffusion_fields={"num_inference_steps": 9})
EDIT = ImageRequest(
    prompt="make it snow",
    width=256,
    height=256,
    seed=21,
    diffusion_fields={"num_inference_steps": 9, "guidance_scale": 2.5},
    references=(REFERENCE, REFERENCE),
)


@pytest.fixture
def flavor_server():
    servers = []

    def start(flavor: str, **options):
        servers.append(start_demo_server(DemoOptions(latency_per_image=0.0, flavor=flavor, **options)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def ask(server, request: ImageRequest, *, sleeps: list | None = None, deadline_s: float = 10):
    async def no_wait(seconds):
        (sleeps if sleeps is not None else []).append(seconds)

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url, deadline_s=deadline_s), sleep=no_wait) as client:
            model = await client.served_model()
            return await client.generate(request, model=model.id)

    return asyncio.run(run())


def generation_requests(server) -> list[dict]:
    log = server.app.state.log.entries
    return [entry for entry in log if entry["path"] in GENERATION_PATHS and entry["method"] == "POST"]


def inject(server, fault: str, times: int = 1) -> None:
    httpx.post(server.base_url.removesuffix("/v1") + "/_demo/fault", json={"fault": fault, "times": times})


@pytest.mark.parametrize("flavor", FLAVORS)
def test_text_to_image_works_on_every_flavor(flavor_server, flavor):
    server = flavor_server(flavor)
    image = ask(server, TEXT)
    assert Image.open(io.BytesIO(image.png)).size == (256, 192)
    [request] = generation_requests(server)
    assert request["path"] == "/v1/images/generations"
    assert request["body"]["model"] == "bildgen-demo"
    assert request["body"]["seed"] == 21
    assert request["body"]["response_format"] == "b64_json"


@pytest.mark.parametrize("flavor", ["vllm-omni", "sglang", "openai"])
def test_image_to_image_uses_the_multipart_edits_route_where_it_exists(flavor_server, flavor):
    server = flavor_server(flavor)
    image = ask(server, EDIT)
    assert Image.open(io.BytesIO(image.png)).size == (256, 256)
    [request] = generation_requests(server)
    assert request["path"] == "/v1/images/edits"
    assert [part["field"] for part in request["body"]["image_parts"]] == ["image[]", "image[]"]
    assert request["body"]["num_inference_steps"] == "9"
    assert request["body"]["seed"] == "21"
    assert remembered_edit_route(server.base_url) == "edits"


def test_legacy_vllm_omni_falls_back_to_chat_with_parameters_nested_and_remembers_it(flavor_server):
    server = flavor_server("vllm-omni-legacy")
    ask(server, EDIT)
    ask(server, EDIT)
    paths = [request["path"] for request in generation_requests(server)]
    # The edits route was tried once, then every request went to chat completions directly.
    assert paths == ["/v1/images/edits", "/v1/chat/completions", "/v1/chat/completions"]
    chat = generation_requests(server)[1]["body"]
    assert chat["extra_body"] == {
        "size": "256x256",
        "seed": 21,
        "n": 1,
        "num_inference_steps": 9,
        "guidance_scale": 2.5,
    }
    assert not {"size", "seed", "num_inference_steps"} & set(chat)
    assert len(chat["image_parts"]) == 2


def test_edits_are_visibly_made_from_the_references(flavor_server):
    server = flavor_server("vllm-omni")
    edited = ask(server, EDIT)
    plain = ask(server, ImageRequest(**{**EDIT.__dict__, "references": ()}))
    reference_pixels = Image.open(io.BytesIO(REFERENCE)).convert("RGB").resize((256, 256))

    def distance(png: bytes) -> float:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        return sum(abs(a - b) for a, b in zip(image.tobytes(), reference_pixels.tobytes(), strict=False)) / (
            256 * 256 * 3
        )

    assert distance(edited.png) < distance(plain.png) / 2


@pytest.mark.parametrize("flavor", ["sglang", "openai"])
def test_url_answers_relative_or_absolute_are_fetched_from_the_server(flavor_server, flavor):
    server = flavor_server(flavor)
    inject(server, "url-answers")
    image = ask(server, TEXT)
    assert (image.width, image.height) == (256, 192)
    assert image.png.startswith(b"\x89PNG")


def test_sglang_model_is_found_at_the_origins_models_route(flavor_server):
    server = flavor_server("sglang")

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url)) as client:
            return await client.served_model()

    assert asyncio.run(run()).id == "bildgen-demo"


def test_a_url_on_another_host_is_refused(flavor_server):
    server = flavor_server("openai")

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url)) as client:
            return await client._first_image({"data": [{"url": "http://169.254.169.254/latest/meta-data"}]})

    with pytest.raises(InferenceError) as caught:
        asyncio.run(run())
    assert "another host" in caught.value.user_message


@pytest.mark.parametrize(
    ("fault", "kind", "requests"),
    [
        ("server-error", ErrorKind.SERVER_FAILURE, 1),
        ("malformed-json", ErrorKind.MALFORMED, 1),
        ("empty-data", ErrorKind.TOO_FEW, 1),
        ("fewer-images", ErrorKind.TOO_FEW, 1),
        ("bad-base64", ErrorKind.MALFORMED, 1),
        ("content-refused", ErrorKind.REFUSED, 1),
        ("busy", ErrorKind.BUSY, 3),
        ("not-ready", ErrorKind.NOT_READY, 3),
    ],
)
@pytest.mark.parametrize("request_", [TEXT, EDIT], ids=["text", "edit"])
def test_each_fault_gives_its_message_and_only_safe_faults_are_retried(flavor_server, fault, kind, requests, request_):
    server = flavor_server("vllm-omni")
    inject(server, fault, times=5)
    with pytest.raises(InferenceError) as caught:
        ask(server, request_)
    assert caught.value.kind is kind
    assert len(generation_requests(server)) == requests


def test_a_busy_server_is_waited_for_as_it_asks_and_then_answers(flavor_server):
    server = flavor_server("vllm-omni")
    inject(server, "busy", times=1)
    sleeps: list[float] = []
    image = ask(server, TEXT, sleeps=sleeps)
    assert image.width == 256
    assert sleeps == [1.0]  # the demo's Retry-After
    assert len(generation_requests(server)) == 2


def test_a_hanging_server_times_out_at_the_deadline_and_is_not_retried(flavor_server):
    server = flavor_server("vllm-omni")
    inject(server, "hang")
    with pytest.raises(InferenceError) as caught:
        ask(server, TEXT, deadline_s=0.5)
    assert caught.value.kind is ErrorKind.TIMED_OUT
    assert len(generation_requests(server)) == 1


def test_a_refused_connection_is_retried_then_reported():
    class Gone:
        base_url = "http://127.0.0.1:9/v1"

    sleeps: list[float] = []
    with pytest.raises(InferenceError) as caught:
        ask(Gone, TEXT, sleeps=sleeps)
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("flavor", "words"),
    [("vllm-omni", "Model mismatch"), ("openai", "does not exist"), ("vllm-omni-legacy", "Model mismatch")],
)
def test_each_flavors_error_envelope_reaches_the_user(flavor_server, flavor, words):
    server = flavor_server(flavor)

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url)) as client:
            return await client.generate(TEXT, model="not-the-served-model")

    with pytest.raises(InferenceError) as caught:
        asyncio.run(run())
    assert words in caught.value.user_message


def test_too_many_references_for_the_server_is_its_rejection_not_a_crash(flavor_server):
    server = flavor_server("vllm-omni", max_references=1)
    with pytest.raises(InferenceError) as caught:
        ask(server, EDIT)
    assert caught.value.kind is ErrorKind.REJECTED
    assert "At most 1" in caught.value.user_message
