"""What a generation sends: sizes, steps, guidance and negative prompt per model family, and seeds.

Family defaults follow the protocol reference (shared/docs/inference-protocol.md); a model profile
may override sizes, steps, guidance and the reference cap.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

MAX_VARIANTS = 4
SEED_SPACE = 2**32
Size = tuple[int, int]

QWEN_SIZES: tuple[Size, ...] = ((1328, 1328), (1664, 928), (928, 1664), (1472, 1104), (1104, 1472), (1584, 1056), (1056, 1584))
SQUARE_FIRST_SIZES: tuple[Size, ...] = ((1024, 1024), (1360, 768), (768, 1360), (1152, 864), (864, 1152), (1248, 832), (832, 1248))


@dataclasses.dataclass(frozen=True)
class FamilyTraits:
    sizes: tuple[Size, ...]
    steps: int
    guidance: float
    # Qwen-Image runs real CFG (true_cfg_scale); FLUX.2 has embedded guidance (guidance_scale).
    guidance_field: str
    takes_negative_prompt: bool
    max_references: int
    # Sent with every request of this family, e.g. Qwen-Image-Edit's recommended guidance_scale 1.0.
    fixed_fields: tuple[tuple[str, Any], ...] = ()

    @property
    def default_size(self) -> Size:
        return self.sizes[0]


FAMILIES: dict[str, FamilyTraits] = {
    "qwen-image": FamilyTraits(QWEN_SIZES, 50, 4.0, "true_cfg_scale", True, 0),
    "qwen-image-edit": FamilyTraits(
        ((1024, 1024),) + QWEN_SIZES, 40, 4.0, "true_cfg_scale", True, 4, fixed_fields=(("guidance_scale", 1.0),)
    ),
    "flux2": FamilyTraits(SQUARE_FIRST_SIZES, 50, 4.0, "guidance_scale", False, 1),
    "generic": FamilyTraits(SQUARE_FIRST_SIZES, 30, 4.0, "guidance_scale", True, 4),
}


@dataclasses.dataclass(frozen=True)
class EffectiveParameters:
    width: int
    height: int
    steps: int
    guidance: float
    guidance_field: str
    # None where the family has no negative prompt (FLUX.2): then the field is not sent at all.
    negative_prompt: str | None = None
    fixed_fields: tuple[tuple[str, Any], ...] = ()

    def diffusion_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"num_inference_steps": self.steps, self.guidance_field: self.guidance}
        if self.negative_prompt is not None:
            fields["negative_prompt"] = self.negative_prompt
        fields.update(self.fixed_fields)
        return fields

    def describe(self) -> str:
        return f"{self.width} × {self.height} px · {self.steps} steps · {self.guidance_field} {self.guidance:g}"


def effective(traits: FamilyTraits, *, negative_prompt: str = "") -> EffectiveParameters:
    width, height = traits.default_size
    negative: str | None = None
    if traits.takes_negative_prompt:
        # Qwen-Image's true CFG is only active when a negative prompt is sent; " " counts.
        negative = negative_prompt.strip() or (" " if traits.guidance_field == "true_cfg_scale" else None)
    return EffectiveParameters(
        width=width,
        height=height,
        steps=traits.steps,
        guidance=traits.guidance,
        guidance_field=traits.guidance_field,
        negative_prompt=negative,
        fixed_fields=traits.fixed_fields,
    )


def variant_seeds(count: int, base_seed: int | None = None) -> list[int]:
    """seed, seed+1, …: each variant reproducible on its own; a random base when none is given."""
    if not 1 <= count <= MAX_VARIANTS:
        raise ValueError(f"between 1 and {MAX_VARIANTS} images, not {count}")
    base = secrets.randbelow(SEED_SPACE) if base_seed is None else base_seed % SEED_SPACE
    return [(base + offset) % SEED_SPACE for offset in range(count)]
