"""The demo server's upscalers: deterministic stand-ins (Pillow's LANCZOS resize) for tests and trials.

- The `upscaler` flavor speaks bildgen's small upscale contract (docs/image-services.md), as a
  self-hosted Real-ESRGAN service would: `GET /models`, `POST /upscale` (`image`, `scale`, `model`).
  It refuses, as a real one does, a scale it does not offer and an answer beyond its largest side.
- Every OpenAI-compatible flavor serves the same contract under `/upscaler` (UPSCALER_PREFIX), so
  the embedded demo offers Upscale out of the box.
- `lanczos_upscale` also serves the AUTOMATIC1111 flavor's `POST /sdapi/v1/extra-single-image`.
Same input, same output, byte for byte: tests compare against Pillow's own resize.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from typing import TYPE_CHECKING

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.common import FlavorServer

if TYPE_CHECKING:
    from bildgen.inference.demo.server import DemoOptions

DEMO_UPSCALER_ID = "bildgen-demo-esrgan-x4"
UPSCALER_PREFIX = "/upscaler"
SCALES = (2, 4)
MAX_OUTPUT_SIDE = 8192
FAULTS = ("server-error", "wrong-size")


class UpscaleRefused(ValueError):
    pass


def lanczos_upscale(png: bytes, factor: int, *, max_side: int = MAX_OUTPUT_SIDE, shrink_by: int = 0) -> bytes:
    """The image `factor` times larger (LANCZOS), as PNG; `shrink_by` pixels off each side (a fault)."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            width, height = image.width * factor, image.height * factor
            if max(width, height) > max_side:
                raise UpscaleRefused(f"{width}x{height} is larger than this service makes ({max_side} px a side)")
            mode = "RGBA" if "A" in image.getbands() else "RGB"
            larger = image.convert(mode).resize((width - shrink_by, height - shrink_by), Image.Resampling.LANCZOS)
    except (OSError, SyntaxError) as error:
        raise UpscaleRefused("the image cannot be read") from error
    buffer = io.BytesIO()
    larger.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image_field(text: object) -> bytes:
    if not isinstance(text, str) or not text:
        raise UpscaleRefused("image: a base64 PNG is required")
    try:
        return base64.b64decode(text.partition(",")[2] if text.startswith("data:") else text, validate=True)
    except (binascii.Error, ValueError):
        raise UpscaleRefused("image: not valid base64") from None


class UpscalerDemo(FlavorServer):
    faults = FAULTS

    def __init__(self, options: DemoOptions) -> None:
        super().__init__()
        self.options = options

    def _authorised(self, request: Request) -> bool:
        return not self.options.api_key or request.headers.get("authorization") == f"Bearer {self.options.api_key}"

    async def models(self, request: Request) -> Response:
        self.log.add("GET", request.url.path, None)
        if not self._authorised(request):
            return JSONResponse({"error": "invalid API key"}, status_code=401)
        return JSONResponse(
            {"models": [{"id": DEMO_UPSCALER_ID, "scales": list(SCALES), "max_output_side": MAX_OUTPUT_SIDE}]}
        )

    async def upscale(self, request: Request) -> Response:
        if not self._authorised(request):
            self.log.add("POST", request.url.path, None)
            return JSONResponse({"error": "invalid API key"}, status_code=401)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        self.log.add("POST", request.url.path, {key: value for key, value in body.items() if key != "image"})
        fault = self.fault.take()
        if fault == "server-error":
            return JSONResponse({"error": "CUDA out of memory"}, status_code=500)
        scale, model = body.get("scale"), body.get("model", DEMO_UPSCALER_ID)
        if model != DEMO_UPSCALER_ID:
            return JSONResponse({"error": f"no model {model!r}"}, status_code=404)
        if scale not in SCALES:
            return JSONResponse({"error": f"scale must be one of {', '.join(map(str, SCALES))}"}, status_code=422)
        try:
            data = decode_image_field(body.get("image"))
            shrink = 8 if fault == "wrong-size" else 0
            larger = await asyncio.to_thread(lanczos_upscale, data, scale, shrink_by=shrink)
        except UpscaleRefused as refused:
            return JSONResponse({"error": str(refused)}, status_code=422)
        with Image.open(io.BytesIO(larger)) as image:
            width, height = image.size
        return JSONResponse({"image": base64.b64encode(larger).decode(), "width": width, "height": height})

    def contract_routes(self, prefix: str = "") -> list[Route]:
        return [
            Route(f"{prefix}/models", self.models, methods=["GET"]),
            Route(f"{prefix}/upscale", self.upscale, methods=["POST"]),
        ]

    def routes(self) -> list[Route]:
        return [*self.demo_routes(), *self.contract_routes()]
