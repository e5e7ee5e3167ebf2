"""What a generation sends: presets, manual overrides and family rules resolved into parameters.

Family defaults follow the protocol reference (shared/docs/inference-protocol.md); a model profile
may override sizes, steps, guidance and the reference cap. The form holds raw text; `resolve`
turns it into exactly what will be sent, or into a message per field that is wrong.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from bildgen.i18n import N_, _, ngettext

MAX_VARIANTS = 4
SEED_SPACE = 2**32
MIN_SIDE, MAX_SIDE = 256, 2048
MAX_STEPS = 200
MAX_GUIDANCE = 20.0
Size = tuple[int, int]

QWEN_SIZES: tuple[Size, ...] = (
    (1328, 1328),
    (1664, 928),
    (928, 1664),
    (1472, 1104),
    (1104, 1472),
    (1584, 1056),
    (1056, 1584),
)
SQUARE_FIRST_SIZES: tuple[Size, ...] = (
    (1024, 1024),
    (1360, 768),
    (768, 1360),
    (1152, 864),
    (864, 1152),
    (1248, 832),
    (832, 1248),
)


@dataclasses.dataclass(frozen=True)
class FamilyTraits:
    sizes: tuple[Size, ...]
    # Steps of the Draft / Balanced / Best quality presets; Best is the model's recommendation.
    steps_by_quality: tuple[int, int, int]
    guidance: float
    # Qwen-Image runs real CFG (true_cfg_scale); FLUX.2 has embedded guidance (guidance_scale).
    guidance_field: str
    takes_negative_prompt: bool
    max_references: int
    # Sent with every request of this family, e.g. Qwen-Image-Edit's recommended guidance_scale 1.0.
    fixed_fields: tuple[tuple[str, Any], ...] = ()
    # Edits limited to a painted area (images/edits' `mask`): OpenAI's API takes one; vLLM-Omni's
    # Qwen-Image-Edit and FLUX.2 pipelines have no inpainting.
    takes_masks: bool = False

    @property
    def default_size(self) -> Size:
        return self.sizes[0]

    @property
    def steps(self) -> int:
        return self.steps_by_quality[-1]

    def with_best_steps(self, steps: int) -> FamilyTraits:
        draft, balanced, _ = self.steps_by_quality
        return dataclasses.replace(self, steps_by_quality=(min(draft, steps), min(balanced, steps), steps))


FAMILIES: dict[str, FamilyTraits] = {
    "qwen-image": FamilyTraits(QWEN_SIZES, (20, 30, 50), 4.0, "true_cfg_scale", True, 0),
    "qwen-image-edit": FamilyTraits(
        ((1024, 1024),) + QWEN_SIZES,
        (16, 28, 40),
        4.0,
        "true_cfg_scale",
        True,
        4,
        fixed_fields=(("guidance_scale", 1.0),),
    ),
    # FLUX.2-dev: 50 steps recommended, 28 "a good trade-off".
    "flux2": FamilyTraits(SQUARE_FIRST_SIZES, (16, 28, 50), 4.0, "guidance_scale", False, 1),
    "generic": FamilyTraits(SQUARE_FIRST_SIZES, (10, 20, 30), 4.0, "guidance_scale", True, 4, takes_masks=True),
}


# What people call each guidance field: Qwen-Image runs real classifier-free guidance, FLUX.2 an
# embedded guidance value. Users never see the API field names.
GUIDANCE_LABELS = {"true_cfg_scale": N_("CFG scale"), "guidance_scale": N_("Guidance")}


def guidance_label_of(guidance_field: str) -> str:
    return GUIDANCE_LABELS.get(guidance_field, "Guidance")


@dataclasses.dataclass(frozen=True)
class ModePreset:
    id: str
    label: str
    aspect: float
    count: int


# A preset names a shape; its count is only where the Images control starts when the preset is
# picked (the control shows it and wins), so the labels carry no "×N" that could contradict it.
MODE_PRESETS: tuple[ModePreset, ...] = (
    ModePreset("square", N_("Square"), 1.0, 1),
    ModePreset("landscape", N_("Landscape 16:9"), 16 / 9, 2),
    ModePreset("portrait", N_("Portrait 9:16"), 9 / 16, 2),
    ModePreset("variations", N_("Square variations"), 1.0, 4),
)
QUALITY_PRESETS: tuple[tuple[str, str], ...] = (
    ("draft", N_("Draft")),
    ("balanced", N_("Balanced")),
    ("best", N_("Best")),
)
DEFAULT_MODE, DEFAULT_QUALITY = "square", "balanced"


def preset_size(traits: FamilyTraits, aspect: float) -> Size:
    """The family size whose aspect ratio is closest to the preset's."""
    return min(traits.sizes, key=lambda size: abs(size[0] / size[1] - aspect))


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


def effective(
    traits: FamilyTraits,
    *,
    negative_prompt: str = "",
    size: Size | None = None,
    steps: int | None = None,
    guidance: float | None = None,
) -> EffectiveParameters:
    width, height = size or traits.default_size
    negative: str | None = None
    if traits.takes_negative_prompt:
        # Qwen-Image's true CFG is only active when a negative prompt is sent; " " counts.
        negative = negative_prompt.strip() or (" " if traits.guidance_field == "true_cfg_scale" else None)
    return EffectiveParameters(
        width=width,
        height=height,
        steps=traits.steps if steps is None else steps,
        guidance=traits.guidance if guidance is None else guidance,
        guidance_field=traits.guidance_field,
        negative_prompt=negative,
        fixed_fields=traits.fixed_fields,
    )


@dataclasses.dataclass(frozen=True)
class FormChoices:
    """The form as typed: presets by id, overrides as raw text ("" = take the preset's value)."""

    mode: str = DEFAULT_MODE
    quality: str = DEFAULT_QUALITY
    width: str = ""
    height: str = ""
    count: str = ""
    steps: str = ""
    guidance: str = ""
    seed: str = ""
    negative_prompt: str = ""


@dataclasses.dataclass(frozen=True)
class Resolved:
    parameters: EffectiveParameters
    count: int
    seed: int | None  # None: a random base seed at generation time
    preset_size: Size
    preset_count: int
    preset_steps: int
    preset_guidance: float
    mode_modified: bool
    quality_modified: bool
    problems: dict[str, str]

    def summary(
        self,
        *,
        guidance_label: str | None = None,
        steps: bool = True,
        guidance: bool = True,
        seed: bool = True,
        size: bool = True,
    ) -> str:
        """What will be sent, in the form's words: only what the model takes, no API field names; in
        the language of the user being answered. size=False: the service is given an aspect ratio
        instead of pixels."""
        parameters = self.parameters
        parts = [f"{parameters.width} × {parameters.height} px"] if size else []
        if steps:
            parts.append(_("{steps} steps", steps=parameters.steps))
        if guidance:
            label = _(guidance_label or guidance_label_of(parameters.guidance_field))
            parts.append(f"{label} {parameters.guidance:g}")
        parts.append(ngettext("{count} image", "{count} images", self.count))
        if seed:
            if self.seed is None:
                parts.append(_("random seed"))
            elif self.count == 1:
                parts.append(_("seed {seed}", seed=self.seed))
            else:
                parts.append(_("seed {first}–{last}", first=self.seed, last=self.seed + self.count - 1))
        negative = parameters.negative_prompt
        if negative is not None and negative.strip():
            parts.append(_("negative prompt"))
        return " · ".join(parts)


def _integer(text: str, low: int, high: int, *, step: int = 1) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high and value % step == 0 else None


def _float(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a service accepts for values typed by hand (its Capabilities say; BFL: sides in steps of 32)."""

    size_step: int = 16
    min_side: int = MIN_SIDE
    max_side: int = MAX_SIDE
    max_steps: int = MAX_STEPS
    guidance_range: tuple[float, float] = (0.0, MAX_GUIDANCE)


def resolve(traits: FamilyTraits, choices: FormChoices, limits: Limits = Limits()) -> Resolved:
    mode = next((preset for preset in MODE_PRESETS if preset.id == choices.mode), MODE_PRESETS[0])
    quality_index = next((index for index, (key, _label) in enumerate(QUALITY_PRESETS) if key == choices.quality), 1)
    size = preset_size(traits, mode.aspect)
    steps = traits.steps_by_quality[quality_index]
    problems: dict[str, str] = {}

    def override(field: str, text: str, parse, preset, message: str):
        if not text.strip():
            return preset
        value = parse(text)
        if value is None:
            problems[field] = message
            return preset
        return value

    low, high, step = limits.min_side, limits.max_side, limits.size_step
    sides = {"step": step, "low": low, "high": high}
    width = override(
        "width",
        choices.width,
        lambda t: _integer(t, low, high, step=step),
        size[0],
        _("Width must be a multiple of {step} from {low} to {high}.", **sides),
    )
    height = override(
        "height",
        choices.height,
        lambda t: _integer(t, low, high, step=step),
        size[1],
        _("Height must be a multiple of {step} from {low} to {high}.", **sides),
    )
    count = override(
        "count",
        choices.count,
        lambda t: _integer(t, 1, MAX_VARIANTS),
        mode.count,
        _("Images must be 1 to {max}.", max=MAX_VARIANTS),
    )
    chosen_steps = override(
        "steps",
        choices.steps,
        lambda t: _integer(t, 1, limits.max_steps),
        steps,
        _("Steps must be a whole number from 1 to {max}.", max=limits.max_steps),
    )
    least, most = limits.guidance_range
    guidance = override(
        "guidance",
        choices.guidance,
        lambda t: _float(t, least, most),
        traits.guidance,
        _("Guidance must be a number from {low} to {high}.", low=f"{least:g}", high=f"{most:g}"),
    )
    seed = override(
        "seed",
        choices.seed,
        lambda t: _integer(t, 0, SEED_SPACE - 1),
        None,
        _("Seed must be a whole number from 0 to {max}, or empty for a random one.", max=SEED_SPACE - 1),
    )
    return Resolved(
        parameters=effective(
            traits, negative_prompt=choices.negative_prompt, size=(width, height), steps=chosen_steps, guidance=guidance
        ),
        count=count,
        seed=seed,
        preset_size=size,
        preset_count=mode.count,
        preset_steps=steps,
        preset_guidance=traits.guidance,
        # The preset's count only pre-selects the Images control, which shows its own value.
        mode_modified=(width, height) != size,
        quality_modified=(chosen_steps, guidance) != (steps, traits.guidance),
        problems=problems,
    )


def variant_seeds(count: int, base_seed: int | None = None) -> list[int]:
    """seed, seed+1, …: each variant reproducible on its own; a random base when none is given."""
    if not 1 <= count <= MAX_VARIANTS:
        raise ValueError(f"between 1 and {MAX_VARIANTS} images, not {count}")
    base = secrets.randbelow(SEED_SPACE) if base_seed is None else base_seed % SEED_SPACE
    return [(base + offset) % SEED_SPACE for offset in range(count)]


def random_seed() -> int:
    return secrets.randbelow(SEED_SPACE)
