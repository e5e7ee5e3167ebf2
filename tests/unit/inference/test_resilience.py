"""The client against servers that misbehave slowly: answers too large to hold, answers that trickle
in, and servers that are down. What counts is what a user waits for and what the server saw."""

import asyncio
import gzip
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bildgen.inference import transport
from bildgen.inference.client import ImageRequest, InferenceClient, ServerEndpoint
from bildgen.inference.demo.renderer import render
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, create_app, start_demo_server
from bildgen.inference.errors import ErrorKind, InferenceError

TEXT = ImageRequest(prompt="a red fox", width=256, height=192, seed=21)
EDIT = ImageRequest(
    prompt="make it snow", width=256, height=256, seed=21, references=(render("r", width=64, height=64, seed=5),)
)
MiB = 1024 * 1024


@pytest.fixture
def flavor_server():
    servers = []

    def start(flavor: str = "vllm-omni", **options):
        servers.append(start_demo_server(DemoOptions(latency_per_image=0.0, flavor=flavor, **options)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


async def no_wait(seconds: float) -> None:
    pass


def ask(base_url: str, request: ImageRequest = TEXT, *, deadline_s: float = 10, sleep=no_wait, **options):
    """One image as the studio asks for it; a test guard stops a client that would never return."""

    async def run():
        endpoint = ServerEndpoint(base_url, deadline_s=deadline_s)
        async with asyncio.timeout(30), InferenceClient(endpoint, sleep=sleep, **options) as client:
            model = await client.served_model()
            return await client.generate(request, model=model.id)

    return asyncio.run(run())


def failure(base_url: str, request: ImageRequest = TEXT, **options) -> tuple[InferenceError, float]:
    started = time.monotonic()
    with pytest.raises(InferenceError) as caught:
        ask(base_url, request, **options)
    return caught.value, time.monotonic() - started


def inject(server, fault: str, times: int = 1) -> None:
    httpx.post(server.base_url.removesuffix("/v1") + "/_demo/fault", json={"fault": fault, "times": times})


def stream_end(server, timeout: float = 5.0) -> dict:
    """The demo server's note on how a streamed answer ended, once the server has noticed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ends = [entry for entry in server.app.state.log.entries if entry["method"] in ("DISCONNECT", "SENT")]
        if ends:
            return ends[-1]
        time.sleep(0.05)
    raise AssertionError("the server never finished the streamed answer")


@pytest.mark.parametrize(
    ("flavor", "request_"),
    [("vllm-omni", TEXT), ("vllm-omni-legacy", EDIT)],
    ids=["sdk-generations", "raw-chat-completions"],
)
def test_a_huge_answer_is_cut_off_while_it_streams_in(flavor_server, flavor, request_):
    server = flavor_server(flavor)
    inject(server, "huge-body")
    error, _ = failure(server.base_url, request_, max_answer_bytes=1 * MiB)
    assert error.kind is ErrorKind.TOO_LARGE
    assert "larger than" in error.user_message
    end = stream_end(server)
    # The client hung up after about the cap: the 4 GiB answer was never read, nor held in memory.
    assert end["method"] == "DISCONNECT"
    assert end["body"]["bytes_sent"] < 32 * MiB < end["body"]["body_bytes"] // 100


def test_a_trickling_answer_ends_at_the_deadline(flavor_server):
    server = flavor_server(trickle_every_s=0.2)  # each byte comes well within any per-read timeout
    inject(server, "trickle")
    error, waited = failure(server.base_url, deadline_s=1.0)
    assert error.kind is ErrorKind.TIMED_OUT
    assert waited < 3.0
    assert stream_end(server)["method"] == "DISCONNECT"


def test_the_deadline_covers_retries_too(flavor_server):
    server = flavor_server()
    inject(server, "busy", times=5)  # 429 with Retry-After: 1, retried after real waits
    error, waited = failure(server.base_url, deadline_s=1.5, sleep=asyncio.sleep)
    assert error.kind is ErrorKind.TIMED_OUT
    assert waited < 3.0


def test_a_stopped_server_is_answered_at_once_until_it_is_back_and_a_probe_passes(monkeypatch):
    monkeypatch.setattr(transport, "BREAKER_COOL_DOWN_S", 1.0)
    running = start_demo_server(DemoOptions(latency_per_image=0.0))
    base_url = running.base_url
    port = int(base_url.split(":")[-1].split("/")[0])
    running.stop()

    # Two clicks on a stopped server: refused connections, retried; then the breaker opens.
    for _ in range(2):
        error, _ = failure(base_url)
        assert error.kind in (ErrorKind.UNREACHABLE, ErrorKind.UNAVAILABLE)
    # The next click is answered at once, without the retries' real waits (1 s + 3 s).
    error, waited = failure(base_url, sleep=asyncio.sleep)
    assert error.kind is ErrorKind.UNAVAILABLE
    assert "several attempts in a row failed" in error.user_message
    assert waited < 0.5

    back = BackgroundServer(create_app(DemoOptions(latency_per_image=0.0)), port=port).start()
    try:
        # Within the cool-down nothing is sent, even though the server is back.
        error, _ = failure(base_url)
        assert error.kind is ErrorKind.UNAVAILABLE
        assert back.app.state.log.entries == []
        time.sleep(1.1)
        # After it, one probe (the model listing) goes through, passes, and closes the breaker.
        image = ask(base_url)
        assert (image.width, image.height) == (256, 192)
        assert [entry["path"] for entry in back.app.state.log.entries] == ["/v1/models", "/v1/images/generations"]
    finally:
        back.stop()


def test_a_compressed_answer_is_refused_before_it_is_inflated(serve):
    # 64 MiB of answer in 64 KiB of gzip: counting the bytes on the wire alone would let it through.
    bomb = gzip.compress(b'{"data": [{"b64_json": "' + b"A" * (64 * MiB) + b'"}]}')

    async def compressed(request: Request) -> Response:
        return Response(bomb, media_type="application/json", headers={"Content-Encoding": "gzip"})

    server = serve(Starlette(routes=[Route("/v1/images/generations", compressed, methods=["POST"])]))

    async def run():
        async with InferenceClient(ServerEndpoint(server.base_url), max_answer_bytes=1 * MiB) as client:
            return await client.generate(TEXT, model="m")

    with pytest.raises(InferenceError) as caught:
        asyncio.run(run())
    assert caught.value.kind is ErrorKind.MALFORMED
    assert "compressed" in caught.value.user_message
