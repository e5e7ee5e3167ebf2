"""The demo server posing as the organisation's image gateway (seeds/image-gateway-api.txt).

One route per provider and action under /v2, a bearer key, and each provider's fields and answer:
- `image/qwen/generate|edit` (size, seed; edit: image) → `{"urls": [...]}`, URLs that expire;
- `image/flux/generate` (width/height multiples of 32, seed, safety_tolerance, output_format,
  input_image…input_image_4) → `{"images": [base64]}`;
- `image/gemini-3/generate` (aspect_ratio, image_size) → `{"images": [base64]}`;
- `image/gpt-image/generate|edit` (size, quality, n; edit: image, mask with white = edit) →
  `{"images": [URL]}`;
- `automatic1111/sdapi/v1/txt2img` (the WebUI's fields) → `{"images": [base64], "info": "…"}`.
Any request with `"async": true` is answered 202 `{"task_address", "status"}`; `GET /v2/tasks/{address}`
gives `status` (queued, running, completed, failed, moderated), `progress` and, once completed,
`result` (the answer above). `DELETE /v2/tasks/{address}` cancels. Errors are
`{"error": {"code", "message"}}`. A field the route does not take is refused (400), and so is the
key on a result URL (`/v2/files/…`, a file store: signed links, no credentials).
Faults for the next N requests: request-moderated, content-moderated, task-not-found, expired-url,
slow, slow-polling, garbage, busy, server-error, no-credits.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.common import DemoTask, FlavorServer, TaskStore, image_bytes, inpaint, picture

if TYPE_CHECKING:
    from bildgen.inference.demo.server import DemoOptions

FAULTS = (
    "request-moderated",
    "content-moderated",
    "task-not-found",
    "expired-url",
    "slow",
    "slow-polling",
    "garbage",
    "busy",
    "server-error",
    "no-credits",
)
ASPECT_RATIOS = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (896, 1184),
    "4:3": (1184, 896),
    "4:5": (912, 1136),
    "5:4": (1136, 912),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1536, 672),
}
IMAGE_SIZE_SCALE = {"1K": 1, "2K": 2, "4K": 4}
GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
QUALITIES = ("auto", "low", "medium", "high")
# The fields each route takes (seeds/image-gateway-api.txt), besides "async"; any other is refused.
ACCEPTED_FIELDS = {
    ("qwen", "generate"): {"prompt", "size", "seed"},
    ("qwen", "edit"): {"prompt", "image", "size", "seed"},
    ("flux", "generate"): {"prompt", "width", "height", "seed", "safety_tolerance", "output_format"}
    | {"input_image", "input_image_2", "input_image_3", "input_image_4"},
    ("gemini-3", "generate"): {"prompt", "aspect_ratio", "image_size"},
    ("gpt-image", "generate"): {"prompt", "size", "quality", "n"},
    ("gpt-image", "edit"): {"prompt", "image", "mask", "size", "quality", "n"},
    ("automatic1111", "generate"): {"prompt", "negative_prompt", "model", "steps", "width", "height", "cfg_scale"},
}
SLOW_POLL_S = 1.0
# The demo answers Gemini's 2K and 4K at 1K: the aspect is what tests look at.
MAX_DEMO_SCALE = 1


class Invalid(Exception):
    pass


def _decode(text: Any, field: str) -> bytes:
    try:
        value = str(text)
        data = base64.b64decode(value.partition(",")[2] if value.startswith("data:") else value, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (binascii.Error, ValueError, OSError, SyntaxError):
        raise Invalid(f"{field} is not a base64-encoded image") from None
    return data


def _size(text: Any, field: str = "size") -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", str(text))
    if not match:
        raise Invalid(f"{field} must be WIDTHxHEIGHT")
    return int(match.group(1)), int(match.group(2))


def _whole(body: dict[str, Any], key: str, default: int | None, low: int, high: int, step: int = 1) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high or value % step:
        rule = f" in steps of {step}" if step > 1 else ""
        raise Invalid(f"{key} must be a whole number from {low} to {high}{rule}")
    return value


class GatewayDemo(FlavorServer):
    faults = FAULTS

    def __init__(self, options: DemoOptions) -> None:
        super().__init__()
        self.options = options
        # Qwen's URLs last seven days at the real gateway; here as long as the options say.
        self.store = TaskStore(options.result_ttl_s)

    # ---- helpers -----------------------------------------------------------------------------

    @staticmethod
    def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)

    def authorised(self, request: Request) -> bool:
        key = self.options.api_key
        return not key or secrets.compare_digest(request.headers.get("authorization", ""), f"Bearer {key}")

    def recipe(self, route: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise Invalid("prompt is required")
        recipe: dict[str, Any] = {"prompt": prompt, "seed": _whole(body, "seed", None, 0, 2**32 - 1), "references": []}
        recipe["steps"], recipe["guidance"], recipe["mask"] = 20, 4.0, None
        if route == "qwen":
            recipe["width"], recipe["height"] = _size(body.get("size", "1024x1024"))
            if action == "edit":
                recipe["references"] = [_decode(body.get("image"), "image")]
        elif route == "flux":
            recipe["width"] = _whole(body, "width", 1024, 64, 2048, step=32)
            recipe["height"] = _whole(body, "height", 1024, 64, 2048, step=32)
            _whole(body, "safety_tolerance", 2, 0, 6)
            if body.get("output_format", "png") not in ("png", "jpeg"):
                raise Invalid("output_format must be png or jpeg")
            names = ["input_image", "input_image_2", "input_image_3", "input_image_4"]
            recipe["references"] = [_decode(body[name], name) for name in names if body.get(name)]
        elif route == "gemini-3":
            ratio, image_size = body.get("aspect_ratio", "1:1"), body.get("image_size", "1K")
            if ratio not in ASPECT_RATIOS:
                raise Invalid(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}")
            if image_size not in IMAGE_SIZE_SCALE:
                raise Invalid("image_size must be 1K, 2K or 4K")
            scale = min(IMAGE_SIZE_SCALE[image_size], MAX_DEMO_SCALE)
            recipe["width"], recipe["height"] = (side * scale for side in ASPECT_RATIOS[ratio])
        elif route == "gpt-image":
            size = body.get("size", "1024x1024")
            if size not in GPT_SIZES:
                raise Invalid(f"size must be one of {', '.join(GPT_SIZES)}")
            if body.get("quality", "auto") not in QUALITIES:
                raise Invalid(f"quality must be one of {', '.join(QUALITIES)}")
            _whole(body, "n", 1, 1, 4)
            recipe["width"], recipe["height"] = _size("1024x1024" if size == "auto" else size)
            if action == "edit":
                recipe["references"] = [_decode(body.get("image"), "image")]
                recipe["mask"] = _decode(body["mask"], "mask") if body.get("mask") else None
        else:  # automatic1111
            recipe["width"] = _whole(body, "width", 512, 64, 2048, step=8)
            recipe["height"] = _whole(body, "height", 512, 64, 2048, step=8)
            recipe["steps"] = _whole(body, "steps", 20, 1, 150)
            cfg = body.get("cfg_scale", 7)
            if isinstance(cfg, bool) or not isinstance(cfg, int | float):
                raise Invalid("cfg_scale must be a number")
            recipe["guidance"] = float(cfg)
        if recipe["seed"] is None:
            recipe["seed"] = secrets.randbelow(2**32)
        return recipe

    async def render(self, recipe: dict[str, Any]) -> bytes:
        drawn = await picture(
            recipe["prompt"],
            width=recipe["width"],
            height=recipe["height"],
            seed=recipe["seed"],
            steps=recipe["steps"],
            guidance=recipe["guidance"],
            references=recipe["references"] if recipe["mask"] is None else None,
        )
        if recipe["mask"] is not None:
            with Image.open(io.BytesIO(recipe["references"][0])) as first:
                original = io.BytesIO()
                first.convert("RGB").resize((recipe["width"], recipe["height"])).save(original, format="PNG")
            drawn = await asyncio.to_thread(inpaint, original.getvalue(), drawn, recipe["mask"], 1.0)
        return drawn

    def answer(self, request: Request, route: str, recipe: dict[str, Any], png: bytes, fault: str | None) -> dict:
        """The route's answer body: base64 for some providers, URLs (which expire) for others."""
        ttl = 0.0 if fault == "expired-url" else None
        base = str(request.base_url).rstrip("/")
        if route == "qwen":
            return {"urls": [f"{base}/v2/files/{self.store.publish(png, 'image/png', ttl_s=ttl)}"]}
        if route == "gpt-image":
            return {"images": [f"{base}/v2/files/{self.store.publish(png, 'image/png', ttl_s=ttl)}"]}
        encoded = base64.b64encode(png).decode("ascii")
        if route == "automatic1111":
            info = {"seed": recipe["seed"], "all_seeds": [recipe["seed"]], "width": recipe["width"]}
            return {"images": [encoded], "info": json.dumps(info)}
        return {"images": [encoded]}

    # ---- routes ------------------------------------------------------------------------------

    async def generate(self, request: Request) -> Response:
        route = request.path_params.get("route", "automatic1111")
        action = request.path_params.get("action", "generate")
        try:
            body = await request.json()
        except ValueError:
            body = None
        logged = {
            key: (value if key not in ("image", "mask") and not key.startswith("input_image") else "<image>")
            for key, value in (body or {}).items()
        }
        self.log.add("POST", request.url.path, logged)
        if not self.authorised(request):
            return self.error(401, "unauthorized", "Invalid API key.")
        if (route, action) not in ACCEPTED_FIELDS:
            return self.error(404, "not_found", f"No route /v2/image/{route}/{action}.")
        if not isinstance(body, dict):
            return self.error(400, "invalid_request", "The body must be a JSON object.")
        unknown = self.unknown_fields(request, body, ACCEPTED_FIELDS[route, action] | {"async"})
        if unknown:
            return self.error(400, "invalid_request", f"Unknown field(s) for this route: {', '.join(unknown)}.")
        try:
            recipe = self.recipe(route, action, body)
        except Invalid as invalid:
            return self.error(400, "invalid_request", str(invalid))
        fault = self.fault.take()
        if fault == "busy":
            return self.error(429, "rate_limited", "Too many requests.", {"Retry-After": "1"})
        if fault == "no-credits":
            return self.error(402, "insufficient_credits", "Not enough credits for this request.")
        if fault == "server-error":
            return self.error(502, "upstream_error", "The provider failed to answer.")
        latency = self.options.latency_per_image + (self.options.slow_extra_s if fault == "slow" else 0.0)
        if body.get("async") is True:
            task = self.store.add(latency, fault=fault, payload={"route": route, "recipe": recipe})
            if fault == "task-not-found":
                self.store.tasks.pop(task.id)
            # Made while the task waits, as on the provider's GPUs: "completed" answers at once.
            task.payload["rendering"] = asyncio.create_task(self.render(recipe))
            return JSONResponse({"task_address": task.id, "status": "queued"}, status_code=202)
        if fault == "request-moderated":
            return self.error(400, "request_moderated", "The prompt was blocked by the provider's moderation.")
        await asyncio.sleep(latency)
        if fault == "content-moderated":
            return self.error(422, "content_moderated", "The generated image was blocked by the provider's moderation.")
        if fault == "garbage":
            return Response("<html>502 Bad Gateway</html>", media_type="text/html")
        png = await self.render(recipe)
        return JSONResponse(self.answer(request, route, recipe, png, fault))

    async def task(self, request: Request) -> Response:
        address = request.path_params["address"]
        self.log.add(request.method, request.url.path, None)
        if not self.authorised(request):
            return self.error(401, "unauthorized", "Invalid API key.")
        task = self.store.tasks.get(address)
        if task is None:
            return self.error(404, "task_not_found", "No such task.")
        if request.method == "DELETE":
            task.cancelled = True
            return JSONResponse({"task_address": address, "status": "cancelled"})
        task.polls += 1
        if task.fault == "slow-polling":
            await asyncio.sleep(SLOW_POLL_S)
        if task.fault == "garbage":
            return Response("<html>502 Bad Gateway</html>", media_type="text/html")
        now = time.time()
        if task.cancelled:
            return self._status(task, "cancelled")
        if task.fault == "request-moderated":
            return self._status(task, "moderated", error=("request_moderated", "The prompt was blocked by moderation."))
        if now < task.ready_at:
            fraction = task.progress(now)
            return self._status(task, "running" if fraction > 0.1 else "queued", progress=round(fraction, 3))
        if task.fault == "content-moderated":
            return self._status(task, "moderated", error=("content_moderated", "The image was blocked by moderation."))
        if task.result is None:
            task.result = await task.payload["rendering"]
            route, recipe = task.payload["route"], task.payload["recipe"]
            task.payload["answer"] = self.answer(request, route, recipe, task.result, task.fault)
        return self._status(task, "completed", result=task.payload["answer"])

    @staticmethod
    def _status(task: DemoTask, status: str, *, progress=None, result=None, error=None) -> Response:
        body: dict[str, Any] = {"task_address": task.id, "status": status, "progress": progress, "result": result}
        if error:
            body["error"] = {"code": error[0], "message": error[1]}
        return JSONResponse(body)

    async def files(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        refused = self.credentials_on_delivery(request)
        if refused is not None:
            return refused
        found = self.store.result(request.path_params["file_id"])
        if found is None:
            return self.error(404, "expired", "This link has expired.")
        data, media_type = found
        return Response(image_bytes(data, "png"), media_type=media_type)

    def routes(self) -> list[Route]:
        return [
            *self.demo_routes(),
            Route("/v2/image/{route}/{action}", self.generate, methods=["POST"]),
            Route("/v2/automatic1111/sdapi/v1/txt2img", self.generate, methods=["POST"]),
            Route("/v2/tasks/{address}", self.task, methods=["GET", "DELETE"]),
            Route("/v2/files/{file_id}", self.files, methods=["GET"]),
        ]
