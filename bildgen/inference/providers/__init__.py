"""Provider adapters: one per kind of image service, behind one interface (base.Adapter).

`adapter_for(profile)` gives the adapter that speaks the profile's provider; `probe(profile)` tests
its connection for the Admin area's "Test connection".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bildgen.inference.providers.automatic1111 import A1111Adapter
from bildgen.inference.providers.base import (
    Adapter,
    Generated,
    NoEvents,
    ProbeProblem,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    TaskHandle,
    TaskProgress,
    TaskStatus,
)
from bildgen.inference.providers.bfl import BflAdapter
from bildgen.inference.providers.gateway import GatewayAdapter
from bildgen.inference.providers.openai_compatible import OpenAICompatibleAdapter
from bildgen.inference.providers.openai_images import OpenAIImagesAdapter
from bildgen.inference.providers.upscalers import A1111UpscalerAdapter, HttpUpscalerAdapter

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

ADAPTERS: dict[str, type[Adapter]] = {
    OpenAICompatibleAdapter.provider: OpenAICompatibleAdapter,
    A1111Adapter.provider: A1111Adapter,
    BflAdapter.provider: BflAdapter,
    GatewayAdapter.provider: GatewayAdapter,
    OpenAIImagesAdapter.provider: OpenAIImagesAdapter,
    A1111UpscalerAdapter.provider: A1111UpscalerAdapter,
    HttpUpscalerAdapter.provider: HttpUpscalerAdapter,
}


def adapter_class(provider: str) -> type[Adapter]:
    try:
        return ADAPTERS[provider]
    except KeyError:
        raise ValueError(f"no adapter for provider {provider!r}") from None


def adapter_for(profile: ModelProfile, **options: Any) -> Adapter:
    """The profile's adapter for one job or probe (`async with`, or close() it). `api_key` overrides
    the key from the profile's environment variable (the Admin area's stored key)."""
    return adapter_class(profile.provider)(profile, **options)


async def probe(profile: ModelProfile, *, api_key: str | None = None) -> ProbeResult:
    """Test the profile's connection without generating: ok, or one problem in words to act on."""
    async with adapter_for(profile, api_key=api_key) as adapter:
        return await adapter.probe()


__all__ = [
    "ADAPTERS",
    "Adapter",
    "Generated",
    "NoEvents",
    "ProbeProblem",
    "ProbeResult",
    "ProviderRequest",
    "TaskEvents",
    "TaskHandle",
    "TaskProgress",
    "TaskStatus",
    "adapter_class",
    "adapter_for",
    "probe",
]
