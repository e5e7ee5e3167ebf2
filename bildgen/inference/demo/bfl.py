"""The demo server posing as Black Forest Labs' API (api.bfl.ai/v1).

- `POST /v1/<model>` (header `x-key`) answers at once `{"id", "polling_url", "cost"}`; the task is
  `Pending` (with a `progress` fraction) for the configured latency, then `Ready` with
  `result.sample`, an image URL that expires (`result_ttl_s`, ten minutes at BFL).
- `GET /v1/get_result?id=…`: `status` is one of Task not found, Pending, Request Moderated,
  Content Moderated, Ready, Error. `GET /v1/credits` → `{"credits": …}`.
- 422 `{"detail": [{loc, msg, type}]}` for invalid fields (sizes multiples of 32 from 256 to 1440,
  steps 1–50, guidance 1.5–5, safety_tolerance 0–6); 402 without credits; 429 with too many tasks;
  403 for a wrong key; 404 for an unknown model.
- Faults for the next N tasks: request-moderated, content-moderated, task-error, task-not-found,
  expired-url, slow (the task takes `slow_extra_s` longer), slow-polling (each poll answers after a
  second), garbage (polls answer HTML), no-credits, busy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import secrets
import time
from typing import TYPE_CHECKING, Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.common import DemoTask, FlavorServer, TaskStore, image_bytes, picture

if TYPE_CHECKING:
    from bildgen.inference.demo.server import DemoOptions

MODELS = ("flux-dev", "flux-pro-1.1", "flux-2-pro", "flux-2-flex", "flux-2-max", "flux-kontext-pro")
# Which models take steps and guidance, and how many input images.
TAKES_STEPS = ("flux-dev", "flux-2-flex")
MAX_INPUT_IMAGES = {"flux-2-pro": 8, "flux-2-flex": 8, "flux-2-max": 8, "flux-kontext-pro": 1}
FAULTS = (
    "request-moderated",
    "content-moderated",
    "task-error",
    "task-not-found",
    "expired-url",
    "slow",
    "slow-polling",
    "garbage",
    "no-credits",
    "busy",
)
# The fields BFL's endpoints take (steps and guidance only where the model has them, aspect_ratio
# only on Kontext); anything else is refused as BFL's validation refuses it.
COMMON_FIELDS = frozenset(
    {"prompt", "width", "height", "seed", "safety_tolerance", "output_format", "prompt_upsampling"}
    | {"webhook_url", "webhook_secret", "input_image"}
    | {f"input_image_{number}" for number in range(2, 9)}
)
KONTEXT_MODELS = ("flux-kontext-pro",)
COST_PER_IMAGE = 2.5
SLOW_POLL_S = 1.0


class Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _whole(body: dict[str, Any], key: str, default: int | None, low: int, high: int, step: int = 1) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high or value % step:
        rule = f"a multiple of {step} " if step > 1 else ""
        raise Invalid(key, f"Input should be {rule}between {low} and {high}")
    return value


class BflDemo(FlavorServer):
    faults = FAULTS

    def __init__(self, options: DemoOptions) -> None:
        super().__init__()
        self.options = options
        self.store = TaskStore(options.result_ttl_s)
        self.credits = options.credits

    # ---- helpers -----------------------------------------------------------------------------

    def authorised(self, request: Request) -> bool:
        key = self.options.api_key
        return not key or secrets.compare_digest(request.headers.get("x-key", ""), key)

    @staticmethod
    def detail(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    def validate(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise Invalid("prompt", "Field required")
        recipe: dict[str, Any] = {
            "prompt": prompt,
            "width": _whole(body, "width", 1024, 256, 1440, step=32),
            "height": _whole(body, "height", 768, 256, 1440, step=32),
            "seed": _whole(body, "seed", None, 0, 2**32 - 1),
            "safety_tolerance": _whole(body, "safety_tolerance", 2, 0, 6),
            "steps": 28,
            "guidance": 3.0,
        }
        if model in TAKES_STEPS:
            recipe["steps"] = _whole(body, "steps", 28, 1, 50)
            guidance = body.get("guidance", 3.0)
            if isinstance(guidance, bool) or not isinstance(guidance, int | float) or not 1.5 <= guidance <= 5:
                raise Invalid("guidance", "Input should be between 1.5 and 5")
            recipe["guidance"] = float(guidance)
        if not isinstance(body.get("prompt_upsampling", False), bool):
            raise Invalid("prompt_upsampling", "Input should be a valid boolean")
        output_format = body.get("output_format", "jpeg")
        if output_format not in ("jpeg", "png", "webp"):
            raise Invalid("output_format", "Input should be 'jpeg', 'png' or 'webp'")
        recipe["output_format"] = output_format
        names = ["input_image"] + [f"input_image_{number}" for number in range(2, 9)]
        given = [name for name in names if body.get(name) is not None]
        if len(given) > MAX_INPUT_IMAGES.get(model, 0):
            raise Invalid(given[-1], f"{model} takes at most {MAX_INPUT_IMAGES.get(model, 0)} input images")
        recipe["references"] = [self._decode(name, body[name]) for name in given]
        return recipe

    @staticmethod
    def _decode(field: str, text: Any) -> bytes:
        try:
            data = base64.b64decode(str(text), validate=True)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (binascii.Error, ValueError, OSError, SyntaxError):
            raise Invalid(field, "Input should be a valid base64 encoded image") from None
        return data

    # ---- routes ------------------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        model = request.path_params["model"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        logged = {key: value for key, value in (body or {}).items() if not key.startswith("input_image")}
        logged["input_images"] = sum(1 for key in (body or {}) if key.startswith("input_image"))
        self.log.add("POST", request.url.path, logged)
        if not self.authorised(request):
            return self.detail(403, "Not authenticated - Invalid Authentication")
        if model not in MODELS:
            return self.detail(404, "Not Found")
        if not isinstance(body, dict):
            return JSONResponse(
                {"detail": [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]},
                status_code=422,
            )
        accepted = COMMON_FIELDS | ({"steps", "guidance"} if model in TAKES_STEPS else set())
        accepted |= {"aspect_ratio"} if model in KONTEXT_MODELS else set()
        unknown = self.unknown_fields(request, body, accepted)
        if unknown:
            detail = [
                {"loc": ["body", key], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
                for key in unknown
            ]
            return JSONResponse({"detail": detail}, status_code=422)
        try:
            recipe = self.validate(model, body)
        except Invalid as error:
            detail = [{"loc": ["body", error.field], "msg": str(error), "type": "value_error"}]
            return JSONResponse({"detail": detail}, status_code=422)
        fault = self.fault.take()
        if fault == "busy":
            return self.detail(429, "You have exceeded the number of active tasks.", {"Retry-After": "1"})
        if fault == "no-credits" or self.credits < COST_PER_IMAGE:
            return self.detail(402, "Insufficient credits. Add credits to your account.")
        self.credits -= COST_PER_IMAGE
        latency = self.options.latency_per_image + (self.options.slow_extra_s if fault == "slow" else 0.0)
        outcome = {"request-moderated": "request-moderated", "content-moderated": "content-moderated"}.get(
            fault or "", "error" if fault == "task-error" else "ready"
        )
        seed = recipe["seed"] if recipe["seed"] is not None else secrets.randbelow(2**32)
        task = self.store.add(
            0.0 if outcome == "request-moderated" else latency, outcome=outcome, fault=fault, seed=seed, payload=recipe
        )
        if fault == "task-not-found":
            self.store.tasks.pop(task.id)  # as if the service had lost it
        elif outcome == "ready":
            # Made while the task is pending, as on the service's GPUs: Ready answers at once.
            task.payload["rendering"] = asyncio.create_task(self._finish(task))
        polling_url = f"{str(request.base_url).rstrip('/')}/v1/get_result?id={task.id}"
        return JSONResponse({"id": task.id, "polling_url": polling_url, "cost": COST_PER_IMAGE})

    async def get_result(self, request: Request) -> Response:
        task_id = request.query_params.get("id", "")
        self.log.add("GET", request.url.path, {"id": task_id})
        if not self.authorised(request):
            return self.detail(403, "Not authenticated - Invalid Authentication")
        task = self.store.tasks.get(task_id)
        if task is None:
            return JSONResponse({"id": task_id, "status": "Task not found", "result": None, "progress": None})
        task.polls += 1
        if task.fault == "slow-polling":
            await asyncio.sleep(SLOW_POLL_S)
        if task.fault == "garbage":
            return Response("<html><body>502 Bad Gateway</body></html>", media_type="text/html")
        now = time.time()
        if task.outcome == "request-moderated":
            return self._status(task, "Request Moderated", details={"Moderation Reasons": ["Derivative Works Filter"]})
        if now < task.ready_at:
            return self._status(task, "Pending", progress=round(task.progress(now), 3))
        if task.outcome == "content-moderated":
            return self._status(task, "Content Moderated", details={"Moderation Reasons": ["NSFW"]})
        if task.outcome == "error":
            return self._status(task, "Error", details={"error": "The generation failed on the worker."})
        rendering = task.payload.get("rendering")
        if rendering is not None:
            await rendering
        if task.result_id is None:
            await self._finish(task)
        sample = f"{str(request.base_url).rstrip('/')}/v1/delivery/{task.result_id}"
        result = {
            "sample": sample,
            "prompt": task.payload["prompt"],
            "seed": task.seed,
            "start_time": task.created_at,
            "end_time": task.ready_at,
            "duration": task.ready_at - task.created_at,
        }
        return self._status(task, "Ready", result=result)

    async def _finish(self, task: DemoTask) -> None:
        recipe = task.payload
        drawn = await picture(
            recipe["prompt"],
            width=recipe["width"],
            height=recipe["height"],
            seed=task.seed or 0,
            steps=recipe["steps"],
            guidance=recipe["guidance"],
            references=recipe["references"],
        )
        output_format = recipe["output_format"]
        data = await asyncio.to_thread(image_bytes, drawn, output_format)
        ttl = 0.0 if task.fault == "expired-url" else None
        task.result_id = self.store.publish(data, f"image/{output_format}", ttl_s=ttl)

    @staticmethod
    def _status(task: DemoTask, status: str, *, result=None, progress=None, details=None) -> Response:
        return JSONResponse(
            {
                "id": task.id,
                "status": status,
                "result": result,
                "progress": progress,
                "details": details,
                "preview": None,
            }
        )

    async def delivery(self, request: Request) -> Response:
        # Signed storage URLs on another host (delivery.*.bfl.ai): no key needed, and none taken (the
        # API's key there is a leak); an expired one is refused as Azure does.
        self.log.add("GET", request.url.path, None)
        refused = self.credentials_on_delivery(request)
        if refused is not None:
            return refused
        found = self.store.result(request.path_params["result_id"])
        if found is None:
            return Response(
                "<Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed</Message></Error>",
                status_code=403,
                media_type="application/xml",
            )
        data, media_type = found
        return Response(data, media_type=media_type)

    async def read_credits(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        if not self.authorised(request):
            return self.detail(403, "Not authenticated - Invalid Authentication")
        return JSONResponse({"credits": self.credits})

    def routes(self) -> list[Route]:
        return [
            *self.demo_routes(),
            Route("/v1/get_result", self.get_result, methods=["GET"]),
            Route("/v1/credits", self.read_credits, methods=["GET"]),
            Route("/v1/delivery/{result_id}", self.delivery, methods=["GET"]),
            Route("/v1/{model}", self.submit, methods=["POST"]),
        ]
