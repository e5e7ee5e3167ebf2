"""OpenAI-compatible diffusion servers (vLLM-Omni, SGLang, the demo server): inference/client.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bildgen.inference.capabilities import Capabilities, of_family
from bildgen.inference.client import ImageRequest, InferenceClient, ServedModel
from bildgen.inference.providers.base import Adapter, Generated, NoEvents, ProviderRequest, TaskEvents
from bildgen.params import FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile


class OpenAICompatibleAdapter(Adapter):
    provider = "openai-compatible"

    def __init__(self, profile: ModelProfile, **kwargs: Any) -> None:
        super().__init__(profile, **kwargs)
        self.client = InferenceClient(self.endpoint, sleep=self.sleep, max_answer_bytes=self.max_answer_bytes)

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        return of_family(traits)

    async def close(self) -> None:
        await self.client.close()

    async def served_model(self) -> ServedModel:
        return await self.client.served_model()

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        # The client sends these beside prompt, size and images (inference/client.py).
        return {"seed": request.seed, **request.parameters.diffusion_fields()}

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        self.check_options(request)
        image = await self.client.generate(
            ImageRequest(
                prompt=request.prompt,
                width=request.parameters.width,
                height=request.parameters.height,
                seed=request.seed,
                diffusion_fields=request.parameters.diffusion_fields(),
                references=request.references,
                mask=request.mask,
            ),
            model=model,
        )
        return Generated(image)
