"""What a generation sends: sizes, steps and guidance per model family, and the seeds of its variants."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

MAX_VARIANTS = 4
SEED_SPACE = 2**32


@dataclasses.dataclass(frozen=True)
class FamilyDefaults:
    width: int
    height: int
    steps: int
    guidance: float
    # Qwen-Image runs real CFG (true_cfg_scale); FLUX.2 has embedded guidance (guidance_scale).
    guidance_field: str


FAMILY_DEFAULTS: dict[str, FamilyDefaults] = {
    "qwen-image": FamilyDefaults(1328, 1328, 50, 4.0, "true_cfg_scale"),
    "qwen-image-edit": FamilyDefaults(1024, 1024, 40, 4.0, "true_cfg_scale"),
    "flux2": FamilyDefaults(1024, 1024, 50, 4.0, "guidance_scale"),
    "generic": FamilyDefaults(1024, 1024, 30, 4.0, "guidance_scale"),
}


@dataclasses.dataclass(frozen=True)
class EffectiveParameters:
    width: int
    height: int
    steps: int
    guidance: float
    guidance_field: str

    def diffusion_fields(self) -> dict[str, Any]:
        return {"num_inference_steps": self.steps, self.guidance_field: self.guidance}

    def describe(self) -> str:
        return f"{self.width} × {self.height} px · {self.steps} steps · {self.guidance_field} {self.guidance:g}"


def defaults_for(family: str) -> EffectiveParameters:
    family_defaults = FAMILY_DEFAULTS.get(family, FAMILY_DEFAULTS["generic"])
    return EffectiveParameters(
        width=family_defaults.width,
        height=family_defaults.height,
        steps=family_defaults.steps,
        guidance=family_defaults.guidance,
        guidance_field=family_defaults.guidance_field,
    )


def variant_seeds(count: int, base_seed: int | None = None) -> list[int]:
    """seed, seed+1, …: each variant reproducible on its own; a random base when none is given."""
    if not 1 <= count <= MAX_VARIANTS:
        raise ValueError(f"between 1 and {MAX_VARIANTS} images, not {count}")
    base = secrets.randbelow(SEED_SPACE) if base_seed is None else base_seed % SEED_SPACE
    return [(base + offset) % SEED_SPACE for offset in range(count)]
