"""The embedded demo inference server: the OpenAI image endpoints of a vLLM-Omni server, no model.

It validates requests the way vLLM-Omni does (model name, response_format, size), answers in the
same shapes, and waits a configurable time per image so progress, concurrency and benchmarks are
real. bildgen talks to it over HTTP through the same client it uses for real servers.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import re
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bildgen.inference.demo.renderer import render

DEMO_MODEL_ID = "bildgen-demo"
# Marks the model listing so the studio can say truthfully that no real model is connected.
DEMO_OWNER = "bildgen-demo"
MAX_SIDE = 2048
MIN_SIDE = 64


@dataclasses.dataclass
class DemoOptions:
    model_id: str = DEMO_MODEL_ID
    latency_per_image: float = 1.5


@dataclasses.dataclass
class RequestLog:
    """What the demo server was asked, in order, for tests to read."""

    entries: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def add(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        self.entries.append({"method": method, "path": path, "body": body, "at": time.time()})


def _error(status: int, message: str, error_type: str = "BadRequestError") -> JSONResponse:
    # vLLM's OpenAI-compatible error envelope.
    return JSONResponse(
        {"error": {"message": message, "type": error_type, "param": None, "code": status}}, status_code=status
    )


def _parse_size(value: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", str(value or ""))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def create_app(options: DemoOptions | None = None) -> Starlette:
    options = options or DemoOptions()
    log = RequestLog()

    async def models(request: Request) -> JSONResponse:
        log.add("GET", request.url.path, None)
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": options.model_id, "object": "model", "created": 0, "owned_by": DEMO_OWNER}],
            }
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def generations(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Request body is not valid JSON.")
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object.")
        log.add("POST", request.url.path, body)

        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, "prompt is required.")
        if body.get("model") not in (None, options.model_id):
            return _error(400, f"Model mismatch: this server serves {options.model_id!r}, not {body.get('model')!r}.")
        if body.get("response_format", "b64_json") != "b64_json":
            return _error(400, "Only response_format 'b64_json' is supported.")
        size = _parse_size(body.get("size", "1024x1024"))
        if size is None or not all(MIN_SIDE <= side <= MAX_SIDE and side % 16 == 0 for side in size):
            return _error(400, f"size must be WxH, multiples of 16 between {MIN_SIDE} and {MAX_SIDE}.")
        n = body.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= 4:
            return _error(400, "n must be between 1 and 4.")
        seed = body.get("seed")
        if seed is None:
            seed = 1024  # what some real servers silently do; bildgen always sends one
        if not isinstance(seed, int) or not 0 <= seed < 2**32:
            return _error(400, "seed must be an integer in 0..2^32-1.")
        steps = body.get("num_inference_steps", 20)
        guidance = body.get("guidance_scale", body.get("true_cfg_scale", 4.0))
        if not isinstance(steps, int) or not 1 <= steps <= 200:
            return _error(400, "num_inference_steps must be between 1 and 200.")
        if not isinstance(guidance, (int, float)):
            return _error(400, "guidance_scale must be a number.")

        width, height = size
        started = time.perf_counter()
        images = []
        for index in range(n):
            await asyncio.sleep(options.latency_per_image)
            png = await asyncio.to_thread(
                render, prompt, width=width, height=height, seed=(seed + index) % 2**32, steps=steps, guidance=float(guidance)
            )
            images.append({"b64_json": base64.b64encode(png).decode("ascii"), "url": None, "revised_prompt": None})
        return JSONResponse(
            {
                "created": int(time.time()),
                "data": images,
                "metrics": {"inference_time_s": round(time.perf_counter() - started, 3)},
            }
        )

    async def request_log(request: Request) -> JSONResponse:
        return JSONResponse(log.entries)

    app = Starlette(
        routes=[
            Route("/v1/models", models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/v1/images/generations", generations, methods=["POST"]),
            Route("/_demo/requests", request_log, methods=["GET"]),
        ]
    )
    app.state.options = options
    app.state.log = log
    return app


class BackgroundServer:
    """Serves an ASGI app on 127.0.0.1 in a thread of its own; port 0 picks a free port."""

    def __init__(self, app: Any, *, port: int = 0) -> None:
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="bildgen-background-server", daemon=True)

    @property
    def base_url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self, timeout: float = 10.0) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The server did not start.")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        # Do not wait for requests still in flight (a hung request would hold the stop for ever).
        self._server.should_exit = self._server.force_exit = True
        self._thread.join(timeout=10)


def start_demo_server(options: DemoOptions | None = None) -> BackgroundServer:
    return BackgroundServer(create_app(options)).start()
