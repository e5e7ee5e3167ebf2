"""What a profile's model takes, so that the form shows exactly those fields (with human names) and
nothing is sent that the service would reject. Derived from the profile's provider and family;
a deployment may override them in the TOML."""

from __future__ import annotations

import dataclasses

from bildgen.params import FamilyTraits, Size, guidance_label_of


@dataclasses.dataclass(frozen=True)
class Capabilities:
    negative_prompt: bool = True
    seed: bool = True
    steps: bool = True
    guidance: bool = True
    # What the form calls the guidance field ("Guidance", "CFG scale"): never the raw API name.
    guidance_label: str = "Guidance"
    # Exact pixel sizes the form offers; empty where the service takes an aspect ratio instead.
    sizes: tuple[Size, ...] = ()
    aspect_ratios: tuple[str, ...] = ()  # "16:9", … (Gemini, BFL's Kontext models)
    image_sizes: tuple[str, ...] = ()  # Gemini's "1K", "2K", "4K"
    qualities: tuple[str, ...] = ()  # GPT-Image's "low", "medium", "high"
    max_references: int = 0
    masks: bool = False
    denoising_strength: bool = False  # AUTOMATIC1111 img2img
    prompt_upsampling: bool = False  # BFL
    safety_tolerance: bool = False  # BFL, 0–6
    # The company outside the organisation that receives prompts and images, for a cloud service:
    # the studio says "sends data to …" before Generate.
    cloud: str | None = None


def of_family(traits: FamilyTraits) -> Capabilities:
    """An OpenAI-compatible diffusion server (vLLM-Omni, SGLang) serving a model of this family."""
    return Capabilities(
        negative_prompt=traits.takes_negative_prompt,
        guidance_label=guidance_label_of(traits.guidance_field),
        sizes=traits.sizes,
        max_references=traits.max_references,
        masks=traits.takes_masks and traits.max_references > 0,
    )
