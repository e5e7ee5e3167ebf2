"""What the studio's form shows for a draft (generation.plan.draft): the serving model's fields and
the effective values, as plain data. The studio's state copies it into its vars; being Reflex-free,
it is unit-tested on its own (tests/unit/generation/test_form_view.py)."""

from __future__ import annotations

import dataclasses

from bildgen.generation.plan import Draft
from bildgen.i18n import _
from bildgen.inference.capabilities import Capabilities, describe_options

# Settings a model may take none of: a value typed for one would be invisible, yet block Generate.
OPTIONAL_SETTINGS = ("seed", "steps", "guidance")


@dataclasses.dataclass(frozen=True)
class FormView:
    # The model that will serve this run as the form stands (the edit model once references are
    # attached), and the company outside the organisation the run goes to ("" when none).
    serving_label: str
    cloud: str
    # The fields it takes, from its Capabilities: the form shows exactly these.
    takes_negative_prompt: bool
    takes_seed: bool
    takes_steps: bool
    takes_guidance: bool
    guidance_label: str
    # Provider options it offers (empty / off: not shown).
    qualities: list[str]
    aspect_ratios: list[str]
    image_sizes: list[str]
    takes_denoising: bool
    takes_upsampling: bool
    takes_safety: bool
    # Width and height go in steps of this many pixels (BFL: 32).
    size_step: int
    # What resolving presets and overrides gave: shown, never trusted at submit time.
    effective_summary: str
    count_shown: str
    preset_width: str
    preset_height: str
    preset_steps: str
    preset_guidance: str
    mode_modified: bool
    quality_modified: bool
    problems: dict[str, str]


def settings_not_taken(capabilities: Capabilities) -> list[str]:
    """The form's settings (seed, steps, guidance) the model takes none of: cleared before drafting."""
    return [setting for setting in OPTIONAL_SETTINGS if not getattr(capabilities, setting)]


def form_view(drafted: Draft, *, references: int) -> FormView:
    """In the reader's language (`_()`): call it while answering their event."""
    capabilities, resolved = drafted.capabilities, drafted.resolved
    summary = resolved.summary(
        guidance_label=capabilities.guidance_label,
        steps=capabilities.steps,
        guidance=capabilities.guidance,
        seed=capabilities.seed,
        size="aspect_ratio" not in drafted.options,
    )
    preset_width, preset_height = (str(side) for side in resolved.preset_size)
    return FormView(
        serving_label=drafted.profile.label,
        cloud=capabilities.cloud or "",
        takes_negative_prompt=capabilities.negative_prompt,
        takes_seed=capabilities.seed,
        takes_steps=capabilities.steps,
        takes_guidance=capabilities.guidance,
        guidance_label=_(capabilities.guidance_label),
        qualities=list(capabilities.qualities),
        aspect_ratios=list(capabilities.aspect_ratios),
        image_sizes=list(capabilities.image_sizes),
        takes_denoising=capabilities.denoising_strength and references > 0,
        takes_upsampling=capabilities.prompt_upsampling,
        takes_safety=capabilities.safety_tolerance,
        size_step=capabilities.size_step,
        effective_summary=" · ".join([summary, *describe_options(drafted.options)]),
        count_shown=str(resolved.count),
        preset_width=preset_width,
        preset_height=preset_height,
        preset_steps=str(resolved.preset_steps),
        preset_guidance=f"{resolved.preset_guidance:g}",
        mode_modified=resolved.mode_modified,
        quality_modified=resolved.quality_modified,
        # Too many references is said when Generate is pressed, not as an advanced setting.
        problems={field: message for field, message in drafted.problems.items() if field != "references"},
    )
