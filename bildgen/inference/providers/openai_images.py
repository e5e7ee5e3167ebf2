"""OpenAI's GPT-Image models (gpt-image-1, gpt-image-1.5, gpt-image-1-mini) at api.openai.com/v1.

- Text to image `POST /images/generations` (JSON: model, prompt, n=1, size, quality,
  output_format=png); with references `POST /images/edits` (multipart: `image[]` parts, `mask`).
  GPT-Image always answers base64 and takes no seed, steps, guidance or negative prompt.
- OpenAI's mask is a PNG whose *transparent* pixels mark the area to edit, the size of the first
  image; bildgen's masks are white = edit, so they are converted here.
- Errors use OpenAI's envelope: `moderation_blocked` is a refusal, `insufficient_quota` (429) means
  no credits, 401 a wrong key, 404 an unknown model.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from PIL import Image

from bildgen.cpu import in_image_pool
from bildgen.i18n import _
from bildgen.inference import masks
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import ServedModel
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers.base import (
    Generated,
    HttpAdapter,
    NoEvents,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    model_not_found,
)
from bildgen.inference.providers.gateway import GPT_IMAGE_SIZES
from bildgen.inference.transport import deadline
from bildgen.params import FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

DEFAULT_MODEL = "gpt-image-1"
QUALITIES = ("auto", "low", "medium", "high")


class OpenAIImagesAdapter(HttpAdapter):
    provider = "openai"

    @property
    def model(self) -> str:
        return self.profile.served_name or DEFAULT_MODEL

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        return FamilyTraits(GPT_IMAGE_SIZES, (1, 1, 1), 0.0, "guidance_scale", False, 4)

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        return Capabilities(
            negative_prompt=False,
            seed=False,
            steps=False,
            guidance=False,
            sizes=traits.sizes,
            exact_sizes=True,
            qualities=QUALITIES,
            max_references=traits.max_references,
            masks=True,
            cloud="OpenAI",
        )

    async def served_model(self) -> ServedModel:
        return ServedModel(id=self.model, is_demo=False)

    async def _probe(self) -> ProbeResult:
        listing = await self.http.request_json("GET", "models")
        entries = listing.get("data") if isinstance(listing, dict) else None
        ids = {entry.get("id") for entry in entries or [] if isinstance(entry, dict)}
        if self.model not in ids:
            return model_not_found(self.model)
        return ProbeResult(
            ok=True, message=_("Connected. The key may use {model}.", model=self.model), model=self.model
        )

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        # No seed, steps, guidance or negative prompt: GPT-Image takes none (the family's traits
        # hold placeholders for them, which are neither sent nor recorded).
        return {
            "model": self.model,
            "prompt": request.prompt,
            "n": 1,
            "size": f"{request.parameters.width}x{request.parameters.height}",
            "quality": request.options.get("quality", "auto"),
            "output_format": "png",
        }

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        self.check_options(request)
        fields = self.body(request)
        async with deadline(self.endpoint.deadline_s):
            if not request.references:
                if request.mask is not None:
                    raise InferenceError(ErrorKind.REJECTED, server_said="a mask needs a reference image to paint on")
                # Only refused connections, 503 and 429 are retried: nothing can have started then.
                body = await self.http.request_json("POST", "images/generations", json=fields)
            else:
                files = [
                    ("image[]", (f"image_{n}.png", data, "image/png")) for n, data in enumerate(request.references, 1)
                ]
                if request.mask is not None:
                    mask = await in_image_pool(openai_mask, request.mask, request.references[0])
                    files.append(("mask", ("mask.png", mask, "image/png")))
                form = {key: str(value) for key, value in fields.items()}
                body = await self.http.request_json("POST", "images/edits", data=form, files=files)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image list")
            if not data:
                raise InferenceError(ErrorKind.TOO_FEW)
            item = data[0] if isinstance(data[0], dict) else {}
            return Generated(await self.image_from(item.get("b64_json") or item.get("url")))


def openai_mask(mask_png: bytes, first_image_png: bytes) -> bytes:
    """bildgen's mask (white = edit) as OpenAI wants it: transparent = edit, the first image's size."""
    with Image.open(io.BytesIO(first_image_png)) as first:
        size = first.size
    return masks.with_alpha(mask_png, size)
