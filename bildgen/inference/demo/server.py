"""The demo inference server: the OpenAI image endpoints of the servers bildgen meets, no model.

It poses as one protocol flavor at a time and validates requests the way that server does, so
bildgen's client is tested against each real server's rules, not against leniency:

- `vllm-omni`: /v1/models, generations, multipart edits, chat completions; 400 on a model mismatch
  and on response_format=url.
- `vllm-omni-legacy`: no edits route; chat completions read only the nested `extra_body` key and
  fail when a key is also given top-level; flat error envelope.
- `sglang`: model list at /models only; answers relative URLs when asked for url (its default);
  FastAPI error envelope.
- `openai`: OpenAI's error envelope; absolute URLs when asked for url.

Every flavor with an edits route takes a `mask` part as OpenAI does (a PNG with an alpha channel, the
first image's size; 400 otherwise) and honours it visibly: only its transparent area changes, the rest
of the answer is the first image.

Faults can be injected for the next N generation requests (POST /_demo/fault), every request
is logged for tests to read (GET /_demo/requests), and the generation requests in flight at once
are counted (GET /_demo/load: now and the peak). bildgen reaches the server only over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import io
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bildgen.inference.client import DEMO_OWNER
from bildgen.inference.demo.chat import DemoWriter
from bildgen.inference.demo.common import FlavorServer, LoadMeter
from bildgen.inference.demo.renderer import mask_problem, render, render_edit, repaint_masked
from bildgen.inference.demo.signed import sign_as_service
from bildgen.inference.demo.upscaler import UPSCALER_PREFIX, UpscalerDemo

DEMO_MODEL_ID = "bildgen-demo"
MAX_SIDE = 2048
MIN_SIDE = 64
# The OpenAI-compatible flavors (this module) …
FLAVORS = ("vllm-omni", "vllm-omni-legacy", "sglang", "openai")
# … and the other providers' (their own modules beside this one).
PROVIDER_FLAVORS = ("automatic1111", "bfl", "gateway", "upscaler")
ALL_FLAVORS = FLAVORS + PROVIDER_FLAVORS
FAULTS = (
    "hang",
    "slow",
    "busy",
    "server-error",
    "not-ready",
    "malformed-json",
    "empty-data",
    "bad-base64",
    "fewer-images",
    "content-refused",
    "url-answers",  # answer with a URL even when b64_json was asked, as some servers do
    "huge-body",  # a JSON answer far larger than any client should accept, made up as it is sent
    "trickle",  # headers at once, then the answer one byte at a time
)
GENERATION_PATHS = ("/v1/images/generations", "/v1/images/edits", "/v1/chat/completions")
KEPT_URL_IMAGES = 64


@dataclasses.dataclass
class DemoOptions:
    model_id: str = DEMO_MODEL_ID
    latency_per_image: float = 1.5
    flavor: str = "vllm-omni"
    slow_extra_s: float = 5.0
    max_references: int = 4
    huge_body_bytes: int = 4 * 1024**3
    trickle_every_s: float = 2.0
    # How many generation requests are worked on at once (None: no limit); the others wait their
    # turn, as on a GPU server with a fixed batch size.
    max_concurrent: int | None = None
    # The provider flavors: the key they demand (BFL's x-key, the gateway's bearer token,
    # AUTOMATIC1111's "user:password"); None accepts any request.
    api_key: str | None = dataclasses.field(default=None, repr=False)
    # How long a result URL stays valid (BFL: about ten minutes).
    result_ttl_s: float = 600.0
    # The BFL flavor's account balance; 0 answers 402 to every task.
    credits: float = 100.0

    def __post_init__(self) -> None:
        if self.flavor not in ALL_FLAVORS:
            raise ValueError(f"unknown flavor {self.flavor!r}; one of {', '.join(ALL_FLAVORS)}")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class Recipe:
    prompt: str
    width: int
    height: int
    n: int
    seed: int
    steps: int
    guidance: float
    response_format: str


class DrippedAnswer(StreamingResponse):
    """A JSON answer sent chunk by chunk until it ends or the client hangs up; reports the bytes sent."""

    def __init__(self, chunks: AsyncIterator[bytes], on_end: Callable[[int, bool], None]) -> None:
        super().__init__(chunks, media_type="application/json")
        self._on_end = on_end

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        hung_up = asyncio.Event()

        async def listen() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            hung_up.set()

        listener = asyncio.create_task(listen())
        sent = 0
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self.body_iterator:
                # uvicorn drops what is sent to a closed connection without a word: look before sending.
                await asyncio.sleep(0)
                if hung_up.is_set():
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
            else:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            listener.cancel()
            self._on_end(sent, hung_up.is_set())


async def _huge_json(total: int) -> AsyncIterator[bytes]:
    """`total` bytes of a well-formed image answer, made up chunk by chunk: the server stays small."""
    head, tail = b'{"created": 1, "data": [{"b64_json": "', b'"}]}'
    yield head
    chunk = b"A" * 65536
    remaining = total - len(head) - len(tail)
    while remaining > 0:
        yield chunk[:remaining]
        remaining -= len(chunk)
    yield tail


async def _trickled(body: bytes, every_s: float) -> AsyncIterator[bytes]:
    for index in range(len(body)):
        if index:
            await asyncio.sleep(every_s)
        yield body[index : index + 1]


def _digest(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _parse_size(value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", str(value or ""))
    size = (int(match.group(1)), int(match.group(2))) if match else None
    if size is None or not all(MIN_SIDE <= side <= MAX_SIDE and side % 16 == 0 for side in size):
        raise BadRequest(f"size must be WxH, multiples of 16 between {MIN_SIDE} and {MAX_SIDE}.")
    return size


def _integer(fields: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = fields.get(key, default)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)  # multipart form fields arrive as strings
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{key} must be an integer between {low} and {high}.")
    return value


def _number(fields: dict[str, Any], key: str, default: float) -> float:
    value = fields.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{key} must be a number.") from None


# What OpenAI's images API takes for GPT-Image (no seed, steps, guidance or negative prompt): a demo
# posing as it refuses any other field, as OpenAI does ("Unknown parameter").
GPT_IMAGE_FIELDS = frozenset(
    {"model", "prompt", "n", "size", "quality", "output_format", "output_compression", "background"}
    | {"moderation", "user", "partial_images", "stream"}
)
GPT_IMAGE_EDIT_FIELDS = GPT_IMAGE_FIELDS | {"image", "image[]", "mask", "input_fidelity"}


class DemoServer(FlavorServer):
    faults = FAULTS

    def __init__(self, options: DemoOptions) -> None:
        super().__init__()
        self.options = options
        self._url_images: OrderedDict[str, bytes] = OrderedDict()
        self._working = asyncio.Semaphore(options.max_concurrent) if options.max_concurrent else None

    # ---- protocol details that differ per flavor -------------------------------------------

    def error(self, status: int, message: str) -> JSONResponse:
        flavor = self.options.flavor
        if flavor == "vllm-omni":
            body: dict[str, Any] = {
                "error": {"message": message, "type": "BadRequestError", "param": None, "code": status}
            }
        elif flavor == "vllm-omni-legacy":
            body = {"object": "error", "message": message, "type": "BadRequestError", "code": status}
        elif flavor == "sglang":
            body = {"detail": message}
        else:
            body = {
                "error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_value"}
            }
        headers = {"Retry-After": "1"} if status == 429 else None
        return JSONResponse(body, status_code=status, headers=headers)

    def recipe(self, fields: dict[str, Any]) -> Recipe:
        flavor = self.options.flavor
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise BadRequest("prompt is required.")
        model = fields.get("model")
        if flavor.startswith("vllm-omni") and model not in (None, self.options.model_id):
            raise BadRequest(f"Model mismatch: this server serves {self.options.model_id!r}, not {model!r}.")
        if flavor == "openai" and model not in (None, self.options.model_id):
            raise BadRequest(f"The model {model!r} does not exist.", status=404)
        response_format = fields.get("response_format") or ("url" if flavor == "sglang" else "b64_json")
        if response_format not in ("b64_json", "url") or (response_format == "url" and flavor.startswith("vllm-omni")):
            raise BadRequest(f"response_format {response_format!r} is not supported; use 'b64_json'.")
        width, height = _parse_size(fields.get("size", "1024x1024"))
        seed = fields.get("seed")
        return Recipe(
            prompt=prompt,
            width=width,
            height=height,
            n=_integer(fields, "n", 1, 1, 4),
            # Some real servers silently use 1024 when no seed is sent; bildgen always sends one.
            seed=1024 if seed is None else _integer(fields, "seed", 0, 0, 2**32 - 1),
            steps=_integer(fields, "num_inference_steps", 20, 1, 200),
            guidance=_number(fields, "guidance_scale", _number(fields, "true_cfg_scale", 4.0)),
            response_format=response_format,
        )

    # ---- rendering and answers ---------------------------------------------------------------

    async def images(
        self, recipe: Recipe, references: list[bytes], fault: str | None, mask: bytes | None = None
    ) -> list[bytes]:
        count = recipe.n - 1 if fault == "fewer-images" else recipe.n
        pictures = []
        for index in range(count):
            await asyncio.sleep(self.options.latency_per_image)
            seed = (recipe.seed + index) % 2**32
            arguments = dict(
                width=recipe.width, height=recipe.height, seed=seed, steps=recipe.steps, guidance=recipe.guidance
            )
            if references:
                edit = await asyncio.to_thread(render_edit, recipe.prompt, references, **arguments)
                if mask is not None:
                    edit = await asyncio.to_thread(repaint_masked, references[0], edit, mask)
                pictures.append(edit)
            else:
                pictures.append(await asyncio.to_thread(render, recipe.prompt, **arguments))
        if self.options.flavor == "openai":
            # Like OpenAI's GPT-Image: what the service sends comes with its own Content Credentials.
            pictures = [await asyncio.to_thread(sign_as_service, picture) for picture in pictures]
        return pictures

    def image_items(
        self, request: Request, recipe: Recipe, pictures: list[bytes], fault: str | None
    ) -> list[dict[str, Any]]:
        items = []
        for picture in pictures:
            if fault == "bad-base64":
                items.append({"b64_json": "%%% this is not base64 %%%", "url": None, "revised_prompt": None})
            elif recipe.response_format == "url" or fault == "url-answers":
                image_id = uuid.uuid4().hex
                self._url_images[image_id] = picture
                while len(self._url_images) > KEPT_URL_IMAGES:
                    self._url_images.popitem(last=False)
                path = f"/v1/images/{image_id}/content"
                url = path if self.options.flavor == "sglang" else str(request.base_url).rstrip("/") + path
                items.append({"b64_json": None, "url": url, "revised_prompt": None})
            else:
                items.append(
                    {"b64_json": base64.b64encode(picture).decode("ascii"), "url": None, "revised_prompt": None}
                )
        return items

    async def before_generating(self, request: Request, fault: str | None) -> Response | None:
        """Apply an injected fault that replaces the answer; None lets generation go on."""
        if fault == "hang":
            # Hang until the client gives up, as a stuck GPU job would; a real server aborts then.
            while not await request.is_disconnected():
                await asyncio.sleep(0.1)
            self.log.add("DISCONNECT", request.url.path, None)
            return Response(status_code=499)
        if fault == "slow":
            await asyncio.sleep(self.options.slow_extra_s)
        if fault == "busy":
            return self.error(429, "Too many requests: the queue is full.")
        if fault == "server-error":
            return self.error(500, "CUDA error: an illegal memory access was encountered")
        if fault == "not-ready":
            return self.error(503, "The engine is still loading the model.")
        if fault == "content-refused":
            return self.error(400, "Request blocked by the content safety filter.")
        if fault == "malformed-json":
            return Response('{"created": 1, "data": [', media_type="application/json")
        if fault == "empty-data":
            return JSONResponse({"created": int(time.time()), "data": []})
        if fault == "huge-body":
            return self.dripped(request, fault, _huge_json(self.options.huge_body_bytes), self.options.huge_body_bytes)
        return None

    def answer(self, request: Request, payload: dict[str, Any], fault: str | None) -> Response:
        if fault != "trickle":
            return JSONResponse(payload)
        body = JSONResponse(payload).body
        return self.dripped(request, fault, _trickled(body, self.options.trickle_every_s), len(body))

    def dripped(self, request: Request, fault: str, chunks: AsyncIterator[bytes], body_bytes: int) -> Response:
        """A streamed answer whose end is logged: DISCONNECT when the client hung up first, else SENT."""

        def log_end(sent: int, hung_up: bool) -> None:
            details = {"fault": fault, "bytes_sent": sent, "body_bytes": body_bytes}
            self.log.add("DISCONNECT" if hung_up else "SENT", request.url.path, details)

        return DrippedAnswer(chunks, log_end)

    # ---- routes ------------------------------------------------------------------------------

    async def models(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        model = {"id": self.options.model_id, "object": "model", "created": 0, "owned_by": DEMO_OWNER}
        return JSONResponse({"object": "list", "data": [model]})

    async def generations(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return self.error(400, "Request body is not valid JSON.")
        if not isinstance(body, dict):
            return self.error(400, "Request body must be a JSON object.")
        self.log.add("POST", request.url.path, body)
        unknown = self._unknown_gpt_image_fields(request, body, GPT_IMAGE_FIELDS)
        if unknown:
            return self.error(400, f"Unknown parameter: {unknown[0]!r}.")
        return await self._answer_images(request, body, references=[])

    def _unknown_gpt_image_fields(
        self, request: Request, fields: dict[str, Any], accepted: frozenset[str]
    ) -> list[str]:
        """Posing as OpenAI's GPT-Image, the fields it does not take; other flavors take extra fields."""
        if self.options.flavor != "openai" or not self.options.model_id.startswith("gpt-image"):
            return []
        return self.unknown_fields(request, fields, accepted)

    async def edits(self, request: Request) -> Response:
        form = await request.form(max_files=16, max_fields=100)
        fields: dict[str, Any] = {}
        parts: list[dict[str, Any]] = []
        references: list[bytes] = []
        mask: bytes | None = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                parts.append({"field": key, **_digest(data)})
                if key == "mask":
                    mask = data
                else:
                    references.append(data)
            else:
                fields[key] = value
        self.log.add("POST", request.url.path, {**fields, "image_parts": parts})
        unknown = self._unknown_gpt_image_fields(
            request, {**fields, **{part["field"]: None for part in parts}}, GPT_IMAGE_EDIT_FIELDS
        )
        if unknown:
            return self.error(400, f"Unknown parameter: {unknown[0]!r}.")
        if any(key in ("url", "url[]") for key in fields):
            return self.error(400, "Image URLs are not accepted; send the image bytes.")
        if not references:
            return self.error(400, "At least one image is required (image or image[]).")
        if mask is not None:
            problem = mask_problem(mask, references[0])
            if problem:
                return self.error(400, problem)
        return await self._answer_images(request, fields, references=references, mask=mask)

    async def _generate(
        self, request: Request, fields: dict[str, Any], references: list[bytes], mask: bytes | None = None
    ) -> Response | tuple[Recipe, list[dict[str, Any]], str | None]:
        """Validate, apply any injected fault, render: an error response, or the recipe, items and fault."""
        try:
            recipe = self.recipe(fields)
            references = self._decode_references(references)
        except BadRequest as bad:
            return self.error(bad.status, str(bad))
        async with self._working or contextlib.nullcontext():
            fault = self.fault.take()
            replaced = await self.before_generating(request, fault)
            if replaced is not None:
                return replaced
            pictures = await self.images(recipe, references, fault, mask)
        return recipe, self.image_items(request, recipe, pictures, fault), fault

    async def _answer_images(
        self, request: Request, fields: dict[str, Any], references: list[bytes], mask: bytes | None = None
    ) -> Response:
        generated = await self._generate(request, fields, references, mask)
        if isinstance(generated, Response):
            return generated
        _, items, fault = generated
        payload = {"created": int(time.time()), "data": items, "metrics": {"images": len(items)}}
        return self.answer(request, payload, fault)

    def _decode_references(self, references: list[bytes]) -> list[bytes]:
        if len(references) > self.options.max_references:
            raise BadRequest(f"At most {self.options.max_references} input images are supported.")
        for data in references:
            try:
                with Image.open(io.BytesIO(data)) as image:
                    image.verify()
            except Exception:
                raise BadRequest("An input image could not be decoded.") from None
        return references

    async def chat(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return self.error(400, "Request body is not valid JSON.")
        texts, data_urls = [], []
        messages = body.get("messages") if isinstance(body, dict) else None
        for message in messages if isinstance(messages, list) else []:
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str):
                texts.append(content)
            for part in content if isinstance(content, list) else []:
                if isinstance(part, dict) and part.get("type") == "text":
                    texts.append(str(part.get("text", "")))
                elif isinstance(part, dict) and part.get("type") == "image_url":
                    url = str((part.get("image_url") or {}).get("url", ""))
                    if url.startswith("data:"):  # http URLs are skipped, as vLLM-Omni does
                        data_urls.append(url)
        references = [base64.b64decode(url.partition(",")[2]) for url in data_urls]
        logged = {key: value for key, value in body.items() if key != "messages"} if isinstance(body, dict) else {}
        logged["prompt"] = " ".join(texts)
        logged["image_parts"] = [_digest(data) for data in references]
        self.log.add("POST", request.url.path, logged)

        nested = body.get("extra_body") if isinstance(body, dict) else None
        nested = nested if isinstance(nested, dict) else {}
        top_level = {
            key: body[key]
            for key in ("size", "seed", "num_inference_steps", "guidance_scale", "true_cfg_scale", "n")
            if key in body
        }
        doubled = sorted(set(nested) & set(top_level))
        if doubled:
            return self.error(400, f"Parameters given both in extra_body and top-level: {', '.join(doubled)}.")
        # Old builds read diffusion parameters from the nested key only.
        fields = dict(nested) if self.options.flavor == "vllm-omni-legacy" else {**top_level, **nested}
        fields.update(prompt=" ".join(texts), model=body.get("model"), response_format="b64_json")
        generated = await self._generate(request, fields, references)
        if isinstance(generated, Response):
            return generated
        _, items, fault = generated
        content = [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{item['b64_json']}"}} for item in items
        ]
        return self.answer(
            request,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.options.model_id,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
            },
            fault,
        )

    async def url_content(self, request: Request) -> Response:
        # An image URL from an answer: fetched without the key (the rule every adapter keeps).
        self.log.add("GET", request.url.path, None)
        refused = self.credentials_on_delivery(request)
        if refused is not None:
            return refused
        picture = self._url_images.get(request.path_params["image_id"])
        if picture is None:
            return self.error(404, "No such image.")
        return Response(picture, media_type="image/png")

    async def not_found(self, request: Request) -> Response:
        # Logged too, so a test can see that a route was tried and did not exist.
        self.log.add(request.method, request.url.path, None)
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    def routes(self) -> list[Route]:
        flavor = self.options.flavor
        routes = [
            *self.demo_routes(),
            Route("/v1/images/generations", self.generations, methods=["POST"]),
            Route("/v1/images/{image_id}/content", self.url_content, methods=["GET"]),
        ]
        routes.append(Route("/models" if flavor == "sglang" else "/v1/models", self.models, methods=["GET"]))
        if flavor != "vllm-omni-legacy":
            routes.append(Route("/v1/images/edits", self.edits, methods=["POST"]))
        if flavor.startswith("vllm-omni"):
            routes.append(Route("/v1/chat/completions", self.chat, methods=["POST"]))
        routes.extend(DemoWriter().routes())  # the text model at /text/v1 (chat.py)
        # An upscaler at /upscaler (upscaler.py), with its own request log.
        self.upscaler = UpscalerDemo(self.options)
        routes.extend(self.upscaler.contract_routes(UPSCALER_PREFIX))
        routes.append(Route("/{path:path}", self.not_found, methods=["GET", "POST", "PUT", "DELETE"]))
        return routes


def create_app(options: DemoOptions | None = None) -> Starlette:
    options = options or DemoOptions()
    server: FlavorServer
    if options.flavor == "automatic1111":
        from bildgen.inference.demo.automatic1111 import A1111Demo

        server = A1111Demo(options)
    elif options.flavor == "bfl":
        from bildgen.inference.demo.bfl import BflDemo

        server = BflDemo(options)
    elif options.flavor == "upscaler":
        server = UpscalerDemo(options)
    elif options.flavor == "gateway":
        from bildgen.inference.demo.gateway import GatewayDemo

        server = GatewayDemo(options)
    else:
        server = DemoServer(options)
    app = Starlette(routes=server.routes(), middleware=[Middleware(LoadMeter, server=server)])
    app.state.demo = server
    app.state.log = server.log
    return app


class BackgroundServer:
    """Serves an ASGI app on 127.0.0.1 in a thread of its own; port 0 picks a free port."""

    def __init__(self, app: Any, *, port: int = 0, lifespan: str = "off") -> None:
        self.app = app
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="bildgen-background-server", daemon=True)

    @property
    def origin(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The server did not start.")
            time.sleep(0.02)
        return self

    def stop(self, *, graceful: bool = False) -> None:
        """At once, without waiting for requests in flight (a hung request would hold the stop for
        ever); or `graceful`, as a worker stops: requests get a few seconds, then the app's lifespan ends."""
        self._server.should_exit = True
        self._server.force_exit = not graceful
        self._thread.join(timeout=30 if graceful else 10)


def start_demo_server(options: DemoOptions | None = None) -> BackgroundServer:
    return BackgroundServer(create_app(options)).start()
