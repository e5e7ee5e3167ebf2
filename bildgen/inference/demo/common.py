"""What every flavor of the demo server shares: the request log, injected faults, rendering, and
(for the services that answer with a task) tasks that finish after the configured latency."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
import uuid
from collections import OrderedDict
from typing import Any

from PIL import Image, ImageChops
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.renderer import render, render_edit

KEPT_TASKS = 256


@dataclasses.dataclass
class RequestLog:
    """What the demo server was asked, in order, without image bytes."""

    entries: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Every request ever logged, also after the log was cleared.
    total: int = 0

    def add(self, method: str, path: str, body: Any) -> None:
        self.total += 1
        self.entries.append({"method": method, "path": path, "body": body, "at": time.time()})


@dataclasses.dataclass
class Load:
    """Generation requests in flight now, and the most there ever were at once."""

    in_flight: int = 0
    peak: int = 0


class LoadMeter:
    """ASGI middleware: counts the generation requests (POSTs but the demo's own routes, the text
    model's and AUTOMATIC1111's interrupt) from their arrival to their last byte."""

    def __init__(self, app: Any, server: FlavorServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        counted = (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and not path.startswith(("/_demo/", "/text/"))
            and not path.endswith("/interrupt")
        )
        if not counted:
            await self.app(scope, receive, send)
            return
        load = self.server.load
        load.in_flight += 1
        load.peak = max(load.peak, load.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            load.in_flight -= 1


@dataclasses.dataclass
class FaultPlan:
    name: str | None = None
    remaining: int = 0

    def take(self) -> str | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        return self.name


async def picture(
    prompt: str,
    *,
    width: int,
    height: int,
    seed: int,
    steps: int = 20,
    guidance: float = 4.0,
    references: list[bytes] | None = None,
) -> bytes:
    """The renderer's deterministic picture (an edit of the references when there are any)."""
    arguments = dict(width=width, height=height, seed=seed, steps=steps, guidance=guidance)
    if references:
        return await asyncio.to_thread(render_edit, prompt, references, **arguments)
    return await asyncio.to_thread(render, prompt, **arguments)


def inpaint(original: bytes, drawn: bytes, mask: bytes, strength: float) -> bytes:
    """The original with `drawn` blended in by `strength` where the mask is white, untouched
    elsewhere: a user (and a test) sees that only the painted area changed."""
    with Image.open(io.BytesIO(original)) as first:
        base = first.convert("RGB")
    with Image.open(io.BytesIO(drawn)) as second:
        new = second.convert("RGB").resize(base.size)
    with Image.open(io.BytesIO(mask)) as painted:
        area = painted.convert("L").resize(base.size)
    changed = Image.blend(base, new, max(0.0, min(1.0, strength)))
    result = Image.composite(changed, base, area.point(lambda value: 255 if value >= 128 else 0))
    buffer = io.BytesIO()
    result.save(buffer, format="PNG")
    return buffer.getvalue()


def changed_box(before: bytes, after: bytes) -> tuple[int, int, int, int] | None:
    """The box of pixels that differ between two images of one size (None: identical)."""
    with Image.open(io.BytesIO(before)) as first, Image.open(io.BytesIO(after)) as second:
        return ImageChops.difference(first.convert("RGB"), second.convert("RGB")).getbbox()


def image_bytes(picture_png: bytes, output_format: str) -> bytes:
    """The picture as the service would send it: PNG, JPEG or WebP."""
    if output_format == "png":
        return picture_png
    with Image.open(io.BytesIO(picture_png)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG" if output_format == "jpeg" else "WEBP", quality=90)
        return buffer.getvalue()


@dataclasses.dataclass
class DemoTask:
    """A task at a demo service: pending until `ready_at`, then its final status."""

    id: str
    created_at: float
    ready_at: float
    # What the task ends as: "ready", "request-moderated", "content-moderated", "error".
    outcome: str = "ready"
    fault: str | None = None
    result: bytes | None = None
    result_id: str | None = None
    seed: int | None = None
    cancelled: bool = False
    polls: int = 0
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)

    def progress(self, now: float) -> float:
        span = self.ready_at - self.created_at
        return 1.0 if span <= 0 else max(0.0, min(1.0, (now - self.created_at) / span))


class TaskStore:
    """Tasks by id, and their results by id (served as URLs that expire)."""

    def __init__(self, result_ttl_s: float) -> None:
        self.tasks: OrderedDict[str, DemoTask] = OrderedDict()
        self.results: OrderedDict[str, tuple[bytes, float, str]] = OrderedDict()
        self.result_ttl_s = result_ttl_s

    def add(self, latency_s: float, **fields: Any) -> DemoTask:
        now = time.time()
        task = DemoTask(id=str(uuid.uuid4()), created_at=now, ready_at=now + latency_s, **fields)
        self.tasks[task.id] = task
        while len(self.tasks) > KEPT_TASKS:
            self.tasks.popitem(last=False)
        return task

    def publish(self, data: bytes, media_type: str, *, ttl_s: float | None = None) -> str:
        """Keep a result for download; its id. It expires after `ttl_s` (the store's default)."""
        result_id = uuid.uuid4().hex
        self.results[result_id] = (data, time.time() + (self.result_ttl_s if ttl_s is None else ttl_s), media_type)
        while len(self.results) > KEPT_TASKS:
            self.results.popitem(last=False)
        return result_id

    def result(self, result_id: str) -> tuple[bytes, str] | None:
        found = self.results.get(result_id)
        if found is None or found[1] < time.time():
            return None
        return found[0], found[2]


CREDENTIAL_HEADERS = ("authorization", "x-key")


class FlavorServer:
    """Routes every provider flavor has: /health, the request log and fault injection.

    The flavors check requests as strictly as the real services, and note each breach of the rules
    a client must keep (a field the route does not take, credentials sent to the result-delivery
    host) in `violations` (GET /_demo/violations): a test run that ends with none kept them all."""

    faults: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.log = RequestLog()
        self.fault = FaultPlan()
        self.load = Load()
        self.violations: list[dict[str, Any]] = []

    def violation(self, request: Request, rule: str) -> None:
        self.violations.append({"method": request.method, "path": request.url.path, "rule": rule})

    def credentials_on_delivery(self, request: Request) -> Response | None:
        """Result URLs are another service than the API (BFL's delivery hosts, a file store): a
        request carrying the API's key there is refused, as a signed storage URL refuses it."""
        sent = [name for name in CREDENTIAL_HEADERS if name in request.headers]
        if not sent:
            return None
        self.violation(request, f"credentials on the result-delivery host: {', '.join(sent)}")
        return Response(
            "<Error><Code>InvalidAuthenticationInfo</Code><Message>Credentials are not accepted here</Message></Error>",
            status_code=400,
            media_type="application/xml",
        )

    def unknown_fields(self, request: Request, body: dict[str, Any], accepted: set[str] | frozenset[str]) -> list[str]:
        """The body's fields the route does not take (each noted as a violation)."""
        unknown = sorted(key for key in body if key not in accepted)
        for key in unknown:
            self.violation(request, f"unknown field {key!r}")
        return unknown

    async def read_violations(self, request: Request) -> Response:
        return JSONResponse({"requests": self.log.total, "violations": self.violations})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def read_log(self, request: Request) -> Response:
        return JSONResponse(self.log.entries)

    async def read_load(self, request: Request) -> Response:
        return JSONResponse(dataclasses.asdict(self.load))

    async def clear_log(self, request: Request) -> Response:
        self.log.entries.clear()
        return JSONResponse({"cleared": True})

    async def set_fault(self, request: Request) -> Response:
        body = await request.json()
        name = body.get("fault")
        if name is not None and name not in self.faults:
            return JSONResponse({"error": f"unknown fault; one of {', '.join(self.faults)}"}, status_code=400)
        self.fault = FaultPlan(name=name, remaining=int(body.get("times", 1)) if name else 0)
        return JSONResponse({"fault": name, "times": self.fault.remaining})

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def demo_routes(self) -> list[Route]:
        return [
            Route("/health", self.health, methods=["GET"]),
            Route("/_demo/requests", self.read_log, methods=["GET"]),
            Route("/_demo/requests", self.clear_log, methods=["DELETE"]),
            Route("/_demo/load", self.read_load, methods=["GET"]),
            Route("/_demo/violations", self.read_violations, methods=["GET"]),
            Route("/_demo/fault", self.set_fault, methods=["POST"]),
        ]
