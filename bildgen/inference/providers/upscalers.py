"""Upscalers: services that enlarge an image instead of making one, behind the same Adapter interface.

The job's first reference is the image to enlarge; `parameters.width`/`height` is the size wanted
(the factor is that over the source's size). The answer must have exactly that size: the recipe
says what was done, so nothing else is kept.

- `automatic1111-upscaler`: an AUTOMATIC1111 / Forge WebUI's Extras tab, `POST
  /sdapi/v1/extra-single-image` (`image`, `resize_mode` 0, `upscaling_resize` = the factor,
  `upscaler_1` = the profile's `served_name`, e.g. "R-ESRGAN 4x+"; the built-in "Lanczos" without
  one). Answers `{"image": bare base64, "html_info": …}`; the probe reads `GET /sdapi/v1/upscalers`.
- `upscaler-http`: bildgen's small upscale contract (docs/image-services.md), which a Real-ESRGAN
  service of a few lines serves: `GET {base}/models` → `{"models": [{"id", "scales": [2, 4],
  "max_output_side"}]}`, `POST {base}/upscale` with `{"image": base64 PNG, "scale": 2, "model": id}`
  → `{"image": base64 PNG, "width", "height"}`; errors as `{"error": "words"}` with a 4xx/5xx status.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from PIL import Image

from bildgen.cpu import in_image_pool
from bildgen.i18n import _
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import DEMO_OWNER, ServedModel
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers.automatic1111 import A1111Adapter
from bildgen.inference.providers.base import (
    Generated,
    HttpAdapter,
    NoEvents,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    b64,
    model_not_found,
)
from bildgen.inference.transport import deadline
from bildgen.params import FAMILIES, FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

# What A1111 calls its built-in resampler: always there, needs no model download.
A1111_FALLBACK_UPSCALER = "Lanczos"


def upscaler_capabilities(profile: ModelProfile) -> Capabilities:
    """An upscaler takes one image and nothing of a prompt's settings."""
    return Capabilities(
        negative_prompt=False,
        seed=False,
        steps=False,
        guidance=False,
        max_references=1,
        min_side=1,
        size_step=1,
        max_side=profile.largest_output_side,
    )


def size_of(png: bytes) -> tuple[int, int]:
    """The image's size from its header (nothing decoded)."""
    with Image.open(io.BytesIO(png)) as image:
        return image.size


async def factor_of(request: ProviderRequest, profile: ModelProfile) -> int:
    """The whole factor the job asks for (its size over the source's), checked against the profile's limit."""
    if not request.references:
        raise InferenceError(ErrorKind.REJECTED, server_said="an upscale needs the image to enlarge")
    width, height = await in_image_pool(size_of, request.references[0])
    target = request.parameters.width, request.parameters.height
    factor = target[0] // width if width else 0
    if factor < 2 or target != (width * factor, height * factor):
        raise InferenceError(
            ErrorKind.REJECTED, server_said=f"{target[0]}×{target[1]} is no whole multiple of the image"
        )
    if max(target) > profile.largest_output_side:
        raise InferenceError(
            ErrorKind.REJECTED,
            server_said=f"{target[0]}×{target[1]} is larger than this upscaler makes ({profile.largest_output_side} px a side)",
        )
    return factor


def check_size(generated: Generated, request: ProviderRequest) -> Generated:
    wanted = request.parameters.width, request.parameters.height
    got = generated.image.width, generated.image.height
    if got != wanted:
        raise InferenceError(
            ErrorKind.MALFORMED, server_said=f"the upscaler answered {got[0]}×{got[1]}, not {wanted[0]}×{wanted[1]}"
        )
    return generated


class A1111UpscalerAdapter(A1111Adapter):
    provider = "automatic1111-upscaler"

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        return FAMILIES["generic"]

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        return upscaler_capabilities(profile)

    @property
    def upscaler(self) -> str:
        return self.profile.served_name or A1111_FALLBACK_UPSCALER

    async def served_model(self) -> ServedModel:
        return ServedModel(id=self.upscaler, is_demo=self.upscaler.startswith(DEMO_OWNER))

    async def _probe(self) -> ProbeResult:
        upscalers = await self.http.request_json("GET", "sdapi/v1/upscalers")
        if not isinstance(upscalers, list):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the upscaler list is not a list")
        names = {str(item.get("name")) for item in upscalers if isinstance(item, dict) and item.get("name")}
        if self.upscaler not in names:
            return model_not_found(self.upscaler)
        return ProbeResult(
            ok=True,
            message=_(
                "Connected. {count} upscalers; this profile uses {model}.", count=len(names), model=self.upscaler
            ),
            model=self.upscaler,
        )

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        factor = await factor_of(request, self.profile)
        payload = {**self.body(request), "image": b64(request.references[0]), "upscaling_resize": factor}
        async with deadline(self.endpoint.deadline_s):
            body = await self.http.request_json("POST", "sdapi/v1/extra-single-image", json=payload)
        image = body.get("image") if isinstance(body, dict) else None
        return check_size(Generated(await self.image_from(image)), request)

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        """The Extras tab's fields but the image and the factor (read off the image): no seed, steps or guidance."""
        return {
            "resize_mode": 0,
            "upscaler_1": self.upscaler,
            "upscaler_2": "None",
            "extras_upscaler_2_visibility": 0,
            "gfpgan_visibility": 0,
            "codeformer_visibility": 0,
            "upscale_first": False,
        }


class HttpUpscalerAdapter(HttpAdapter):
    provider = "upscaler-http"

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        return upscaler_capabilities(profile)

    async def _models(self) -> list[dict[str, Any]]:
        body = await self.http.request_json("GET", "models")
        models = body.get("models") if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the model list is missing")
        return [model for model in models if isinstance(model, dict) and isinstance(model.get("id"), str)]

    async def served_model(self) -> ServedModel:
        if self.profile.served_name:
            name = self.profile.served_name
        else:
            async with deadline(self.endpoint.deadline_s):
                models = await self._models()
            name = models[0]["id"] if models else None
        return ServedModel(id=name, is_demo=bool(name and name.startswith(DEMO_OWNER)))

    async def _probe(self) -> ProbeResult:
        models = await self._models()
        wanted = self.profile.served_name
        ids = [model["id"] for model in models]
        if not ids or (wanted and wanted not in ids):
            return model_not_found(wanted)
        using = wanted or ids[0]
        return ProbeResult(ok=True, message=_("Connected. The service serves {model}.", model=using), model=using)

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        factor = await factor_of(request, self.profile)
        payload = {**self.body(request), "image": b64(request.references[0]), "scale": factor}
        if model or self.profile.served_name:
            payload["model"] = model or self.profile.served_name
        async with deadline(self.endpoint.deadline_s):
            body = await self.http.request_json("POST", "upscale", json=payload)
        image = body.get("image") if isinstance(body, dict) else None
        return check_size(Generated(await self.image_from(image)), request)

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        """The contract's fields but the image, the factor and the model: no recipe setting is sent."""
        return {}
