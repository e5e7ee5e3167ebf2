"""The demo server posing as an AUTOMATIC1111 WebUI started with --api.

- `POST /sdapi/v1/txt2img` and `/sdapi/v1/img2img` (init_images, denoising_strength, mask: white =
  repaint) answer `{"images": [bare base64 PNG], "parameters": {…}, "info": "<a JSON string>"}`,
  with the seeds used in `info.all_seeds`; `seed: -1` picks one.
- One job at a time, as the WebUI's queue lock does; `GET /sdapi/v1/progress` reports the running
  job's fraction, ETA and a preview (`current_image`); `POST /sdapi/v1/interrupt` stops it.
- `GET /sdapi/v1/sd-models` and `/sdapi/v1/options` (`sd_model_checkpoint`); optional HTTP basic
  auth (`--api-auth user:password`: DemoOptions.api_key).
- Errors as the WebUI sends them: 422 `{"detail": [{loc, msg, type}]}` for validation, 500
  `{"error", "detail", "body", "errors"}` for exceptions, 401 `{"detail": …}` without credentials.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import random
import secrets
import time
from typing import TYPE_CHECKING, Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.common import FlavorServer, inpaint, picture
from bildgen.inference.demo.upscaler import UpscaleRefused, lanczos_upscale
from bildgen.waits import event_within

if TYPE_CHECKING:
    from bildgen.inference.demo.server import DemoOptions

CHECKPOINT_HASH = "0123456789"
# The WebUI's built-in upscalers and the Real-ESRGAN one most installs add.
UPSCALERS = ("None", "Lanczos", "Nearest", "R-ESRGAN 4x+")
FAULTS = ("slow", "hang", "server-error", "garbage", "no-images", "bad-info")


class Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float, *, whole: bool = False) -> Any:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Invalid(key, f"ensure this value is between {low:g} and {high:g}")
    if whole and not float(value).is_integer():
        raise Invalid(key, "value is not a valid integer")
    return int(value) if whole else float(value)


def _image(text: Any, field: str) -> bytes:
    if not isinstance(text, str):
        raise Invalid(field, "str type expected")
    try:
        data = base64.b64decode(text.partition(",")[2] if text.startswith("data:") else text, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (binascii.Error, ValueError, OSError, SyntaxError):
        raise Invalid(field, "Invalid encoded image") from None
    return data


class A1111Demo(FlavorServer):
    faults = FAULTS

    def __init__(self, options: DemoOptions) -> None:
        super().__init__()
        self.options = options
        self.checkpoint = f"{options.model_id}.safetensors [{CHECKPOINT_HASH}]"
        self._queue_lock = asyncio.Lock()
        # The running job: (started, expected end, steps, preview PNG) for /progress.
        self._current: tuple[float, float, int, bytes | None] | None = None
        self._interrupted = asyncio.Event()

    # ---- helpers -----------------------------------------------------------------------------

    def authorised(self, request: Request) -> bool:
        if not self.options.api_key:
            return True
        expected = "Basic " + base64.b64encode(self.options.api_key.encode()).decode()
        return secrets.compare_digest(request.headers.get("authorization", ""), expected)

    @staticmethod
    def unauthorised() -> Response:
        return JSONResponse(
            {"detail": "Incorrect username or password"}, status_code=401, headers={"WWW-Authenticate": "Basic"}
        )

    @staticmethod
    def exception(name: str, message: str) -> Response:
        # The WebUI's api_middleware turns any exception into this envelope.
        return JSONResponse({"error": name, "detail": "", "body": "", "errors": message}, status_code=500)

    @staticmethod
    def invalid(error: Invalid) -> Response:
        return JSONResponse(
            {"detail": [{"loc": ["body", error.field], "msg": str(error), "type": "value_error"}]}, status_code=422
        )

    # ---- routes ------------------------------------------------------------------------------

    async def sd_models(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        if not self.authorised(request):
            return self.unauthorised()
        model = {
            "title": self.checkpoint,
            "model_name": self.options.model_id,
            "hash": CHECKPOINT_HASH,
            "sha256": CHECKPOINT_HASH * 6 + "0123",
            "filename": f"/models/Stable-diffusion/{self.options.model_id}.safetensors",
            "config": None,
        }
        return JSONResponse([model])

    async def read_options(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        if not self.authorised(request):
            return self.unauthorised()
        return JSONResponse(
            {"sd_model_checkpoint": self.checkpoint, "samples_format": "png", "CLIP_stop_at_last_layers": 1}
        )

    async def progress(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.unauthorised()
        current = self._current
        if current is None:
            state = {"skipped": False, "interrupted": False, "job": "", "job_count": 0, "job_no": 0}
            return JSONResponse(
                {"progress": 0.0, "eta_relative": 0.0, "state": state, "current_image": None, "textinfo": None}
            )
        started, ends, steps, preview = current
        now = time.time()
        fraction = 1.0 if ends <= started else max(0.0, min(0.99, (now - started) / (ends - started)))
        skip_image = request.query_params.get("skip_current_image", "false").lower() == "true"
        state = {
            "skipped": False,
            "interrupted": self._interrupted.is_set(),
            "job": "txt2img",
            "job_count": 1,
            "job_no": 0,
            "sampling_step": int(fraction * steps),
            "sampling_steps": steps,
        }
        show = preview is not None and fraction >= 0.5 and not skip_image
        return JSONResponse(
            {
                "progress": fraction,
                "eta_relative": max(0.0, ends - now),
                "state": state,
                "current_image": base64.b64encode(preview).decode() if show else None,
                "textinfo": None,
            }
        )

    async def interrupt(self, request: Request) -> Response:
        self.log.add("POST", request.url.path, None)
        if not self.authorised(request):
            return self.unauthorised()
        if self._current is not None:
            self._interrupted.set()
        return JSONResponse({})

    async def txt2img(self, request: Request) -> Response:
        return await self._generate(request, edit=False)

    async def img2img(self, request: Request) -> Response:
        return await self._generate(request, edit=True)

    async def _generate(self, request: Request, *, edit: bool) -> Response:
        if not self.authorised(request):
            self.log.add("POST", request.url.path, None)
            return self.unauthorised()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "There was an error parsing the body"}, status_code=400)
        if not isinstance(body, dict):
            return self.invalid(Invalid("body", "value is not a valid dict"))
        logged = {key: value for key, value in body.items() if key not in ("init_images", "mask")}
        if edit:
            logged["init_images"] = len(body.get("init_images") or [])
            logged["mask"] = body.get("mask") is not None
        self.log.add("POST", request.url.path, logged)
        try:
            recipe = self._recipe(body, edit=edit)
        except Invalid as error:
            return self.invalid(error)
        checkpoint = (body.get("override_settings") or {}).get("sd_model_checkpoint")
        if checkpoint not in (None, self.checkpoint, self.options.model_id, f"{self.options.model_id}.safetensors"):
            return self.exception("RuntimeError", f"model {checkpoint!r} not found")
        async with self._queue_lock:  # one job at a time, as on the WebUI
            fault = self.fault.take()
            return await self._run(request, recipe, body, fault)

    def _recipe(self, body: dict[str, Any], *, edit: bool) -> dict[str, Any]:
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str):
            raise Invalid("prompt", "str type expected")
        recipe: dict[str, Any] = {
            "prompt": prompt,
            "negative_prompt": body.get("negative_prompt", ""),
            "steps": _number(body, "steps", 50, 1, 150, whole=True),
            "cfg_scale": _number(body, "cfg_scale", 7.0, 1, 30),
            "width": _number(body, "width", 512, 64, 2048, whole=True),
            "height": _number(body, "height", 512, 64, 2048, whole=True),
            "seed": _number(body, "seed", -1, -1, 2**32 - 1, whole=True),
            "batch_size": _number(body, "batch_size", 1, 1, 8, whole=True),
        }
        if recipe["width"] % 8 or recipe["height"] % 8:
            raise Invalid("width", "width and height must be multiples of 8")
        if recipe["seed"] == -1:
            recipe["seed"] = random.randrange(2**32)
        if edit:
            images = body.get("init_images")
            if not isinstance(images, list) or not images:
                raise Invalid("init_images", "field required")
            recipe["init_images"] = [_image(text, "init_images") for text in images]
            recipe["denoising_strength"] = _number(body, "denoising_strength", 0.75, 0, 1)
            recipe["mask"] = _image(body["mask"], "mask") if body.get("mask") is not None else None
        return recipe

    async def _run(self, request: Request, recipe: dict[str, Any], body: dict[str, Any], fault: str | None) -> Response:
        if fault == "hang":
            while not await request.is_disconnected():
                await asyncio.sleep(0.1)
            self.log.add("DISCONNECT", request.url.path, None)
            return Response(status_code=499)
        if fault == "server-error":
            return self.exception("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB")
        latency = self.options.latency_per_image * recipe["batch_size"]
        if fault == "slow":
            latency += self.options.slow_extra_s
        pictures, seeds = [], []
        for index in range(recipe["batch_size"]):
            seed = (recipe["seed"] + index) % 2**32
            drawn = await picture(
                recipe["prompt"],
                width=recipe["width"],
                height=recipe["height"],
                seed=seed,
                steps=recipe["steps"],
                guidance=recipe["cfg_scale"],
            )
            if "init_images" in recipe:
                first = recipe["init_images"][0]
                mask = recipe["mask"] or _white(recipe["width"], recipe["height"])
                drawn = await asyncio.to_thread(
                    inpaint,
                    _resized(first, recipe["width"], recipe["height"]),
                    drawn,
                    mask,
                    recipe["denoising_strength"],
                )
            pictures.append(drawn)
            seeds.append(seed)
        started = time.time()
        self._interrupted.clear()
        self._current = (started, started + latency, recipe["steps"], _small(pictures[0]))
        try:
            await event_within(self._interrupted, latency)  # the job's time, unless interrupted earlier
        finally:
            self._current = None
        if self._interrupted.is_set():
            self.log.add("INTERRUPTED", request.url.path, None)
        if fault == "garbage":
            return Response("<html>Internal Server Error</html>", media_type="text/html")
        info = {
            "prompt": recipe["prompt"],
            "all_prompts": [recipe["prompt"]] * len(pictures),
            "negative_prompt": recipe["negative_prompt"],
            "seed": seeds[0],
            "all_seeds": seeds,
            "subseed": seeds[0] + 1,
            "all_subseeds": [seed + 1 for seed in seeds],
            "width": recipe["width"],
            "height": recipe["height"],
            "sampler_name": body.get("sampler_name") or "DPM++ 2M",
            "cfg_scale": recipe["cfg_scale"],
            "steps": recipe["steps"],
            "sd_model_name": self.options.model_id,
            "sd_model_hash": CHECKPOINT_HASH,
            "denoising_strength": recipe.get("denoising_strength"),
            "job_timestamp": time.strftime("%Y%m%d%H%M%S"),
        }
        images = [] if fault == "no-images" else [base64.b64encode(data).decode() for data in pictures]
        parameters = {key: value for key, value in body.items() if key not in ("init_images", "mask")}
        return JSONResponse(
            {
                "images": images,
                "parameters": parameters,
                "info": "{not json" if fault == "bad-info" else json.dumps(info),
            }
        )

    async def upscalers(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        if not self.authorised(request):
            return self.unauthorised()
        return JSONResponse([{"name": name, "model_name": None, "model_path": None, "scale": 4} for name in UPSCALERS])

    async def extra_single_image(self, request: Request) -> Response:
        """The Extras tab: `upscaling_resize` times larger with `upscaler_1` (here always LANCZOS)."""
        if not self.authorised(request):
            self.log.add("POST", request.url.path, None)
            return self.unauthorised()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "There was an error parsing the body"}, status_code=400)
        if not isinstance(body, dict):
            return self.invalid(Invalid("body", "value is not a valid dict"))
        self.log.add("POST", request.url.path, {key: value for key, value in body.items() if key != "image"})
        try:
            data = _image(body.get("image"), "image")
            factor = _number(body, "upscaling_resize", 2, 1, 8, whole=True)
        except Invalid as error:
            return self.invalid(error)
        if body.get("resize_mode", 0) != 0:
            return self.invalid(Invalid("resize_mode", "the demo resizes by upscaling_resize only"))
        if body.get("upscaler_1") not in UPSCALERS:
            return self.exception("KeyError", f"could not find upscaler named {body.get('upscaler_1')}")
        async with self._queue_lock:
            if self.fault.take() == "server-error":
                return self.exception("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB")
            try:
                larger = await asyncio.to_thread(lanczos_upscale, data, factor)
            except UpscaleRefused as refused:
                return self.exception("RuntimeError", str(refused))
        return JSONResponse({"html_info": "<p>Postprocess upscale</p>", "image": base64.b64encode(larger).decode()})

    def routes(self) -> list[Route]:
        return [
            *self.demo_routes(),
            Route("/sdapi/v1/upscalers", self.upscalers, methods=["GET"]),
            Route("/sdapi/v1/extra-single-image", self.extra_single_image, methods=["POST"]),
            Route("/sdapi/v1/txt2img", self.txt2img, methods=["POST"]),
            Route("/sdapi/v1/img2img", self.img2img, methods=["POST"]),
            Route("/sdapi/v1/progress", self.progress, methods=["GET"]),
            Route("/sdapi/v1/interrupt", self.interrupt, methods=["POST"]),
            Route("/sdapi/v1/sd-models", self.sd_models, methods=["GET"]),
            Route("/sdapi/v1/options", self.read_options, methods=["GET"]),
        ]


def _white(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def _resized(data: bytes, width: int, height: int) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").resize((width, height)).save(buffer, format="PNG")
        return buffer.getvalue()


def _small(png: bytes) -> bytes:
    """A low-resolution preview, as the WebUI's live preview is."""
    with Image.open(io.BytesIO(png)) as image:
        preview = image.convert("RGB")
        preview.thumbnail((128, 128))
        buffer = io.BytesIO()
        preview.save(buffer, format="JPEG", quality=70)
        return buffer.getvalue()
