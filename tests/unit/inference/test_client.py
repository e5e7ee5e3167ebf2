"""The client against the demo server and against servers that misbehave the ways real ones do."""

import asyncio
import base64
import io

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bildgen.inference.client import ImageRequest, InferenceClient, ServerEndpoint
from bildgen.inference.errors import ErrorKind, InferenceError

REQUEST = ImageRequest(prompt="a red fox", width=320, height=192, seed=11, diffusion_fields={"num_inference_steps": 12})


async def no_wait(seconds: float) -> None:
    pass


def generate(base_url: str, request: ImageRequest = REQUEST, model: str = "bildgen-demo"):
    async def run():
        async with InferenceClient(ServerEndpoint(base_url, deadline_s=5), sleep=no_wait) as client:
            return await client.generate(request, model=model)

    return asyncio.run(run())


def failure(base_url: str, **kwargs) -> InferenceError:
    with pytest.raises(InferenceError) as caught:
        generate(base_url, **kwargs)
    return caught.value


def test_text_to_image_returns_a_png_of_the_requested_size(demo_server):
    image = generate(demo_server.base_url)
    assert Image.open(io.BytesIO(image.png)).size == (320, 192) == (image.width, image.height)


def test_the_served_model_is_read_from_the_model_list(demo_server):
    async def run():
        async with InferenceClient(ServerEndpoint(demo_server.base_url)) as client:
            return await client.served_model()

    model = asyncio.run(run())
    assert model.id == "bildgen-demo"
    assert model.is_demo


def test_seed_and_diffusion_fields_reach_the_server_as_top_level_keys(demo_server):
    generate(demo_server.base_url)
    body = demo_server.app.state.log.entries[-1]["body"]
    assert body["seed"] == 11
    assert body["num_inference_steps"] == 12
    assert body["response_format"] == "b64_json"
    assert body["n"] == 1
    assert body["size"] == "320x192"


def test_a_server_that_is_down_is_reported_as_unreachable():
    error = failure("http://127.0.0.1:9/v1")
    assert error.kind is ErrorKind.UNREACHABLE
    assert "isn't answering" in error.user_message


def test_a_rejected_request_carries_the_servers_own_words(demo_server):
    error = failure(demo_server.base_url, model="another-model")
    assert error.kind is ErrorKind.REJECTED
    assert "Model mismatch" in error.user_message


def answering(response: Response | dict, status: int = 200) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return response if isinstance(response, Response) else JSONResponse(response, status_code=status)

    return Starlette(routes=[Route("/v1/images/generations", endpoint, methods=["POST"])])


def png_base64(size=(8, 8), image_format="PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (PlainTextResponse("<html>gateway</html>", media_type="application/json"), ErrorKind.MALFORMED),
        ({"data": [{"b64_json": base64.b64encode(b"plain text, not an image").decode()}]}, ErrorKind.MALFORMED),
        ({"data": [{"b64_json": png_base64()[:40]}]}, ErrorKind.MALFORMED),
        ({"created": 1}, ErrorKind.MALFORMED),
    ],
    ids=["html-as-json", "not-an-image", "truncated-png", "no-data"],
)
def test_garbage_answers_become_a_clear_error(serve, answer, kind):
    error = failure(serve(answering(answer)).base_url)
    assert error.kind is kind
    assert "Traceback" not in error.user_message


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (503, {"error": {"message": "engine not ready", "code": 503}}, ErrorKind.NOT_READY, "engine not ready"),
        (429, {"message": "too many requests"}, ErrorKind.BUSY, "too many requests"),
        (
            422,
            {"detail": [{"loc": ["body", "size"], "msg": "bad size", "type": "value_error"}]},
            ErrorKind.REJECTED,
            "bad size",
        ),
        (500, {"detail": "CUDA out of memory"}, ErrorKind.SERVER_FAILURE, "CUDA out of memory"),
        (401, {"error": {"message": "invalid api key"}}, ErrorKind.UNAUTHORIZED, "invalid api key"),
    ],
)
def test_error_statuses_map_to_kinds_and_keep_the_servers_words(serve, status, body, kind, words):
    error = failure(serve(answering(body, status)).base_url)
    assert error.kind is kind
    assert words in error.user_message


def test_a_plain_text_server_error_is_quoted(serve):
    error = failure(serve(answering(PlainTextResponse("worker crashed", status_code=500))).base_url)
    assert error.kind is ErrorKind.SERVER_FAILURE
    assert "worker crashed" in error.user_message


def test_jpeg_answers_are_converted_to_png_once(serve):
    image = generate(serve(answering({"data": [{"b64_json": png_base64((16, 12), "JPEG")}]})).base_url)
    assert image.png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(image.png)).size == (16, 12)


def test_a_slow_server_times_out_at_the_deadline(serve):
    async def slow(request: Request) -> Response:
        await asyncio.sleep(10)
        return JSONResponse({})

    server = serve(Starlette(routes=[Route("/v1/images/generations", slow, methods=["POST"])]))

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url, deadline_s=0.5)) as client:
            return await client.generate(REQUEST, model="m")

    with pytest.raises(InferenceError) as caught:
        asyncio.run(run())
    assert caught.value.kind is ErrorKind.TIMED_OUT


def test_a_request_is_never_retried_after_a_server_failure(serve):
    calls = []

    async def failing(request: Request) -> Response:
        calls.append(1)
        return JSONResponse({"error": {"message": "boom"}}, status_code=500)

    server = serve(Starlette(routes=[Route("/v1/images/generations", failing, methods=["POST"])]))
    failure(server.base_url)
    assert len(calls) == 1
