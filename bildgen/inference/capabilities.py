"""What a profile's model takes, so that the form shows exactly those fields (with human names) and
nothing is sent that the service would reject. Derived from the profile's provider and family;
a deployment may override them in the TOML."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pydantic

from bildgen.i18n import N_, _
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
    # The service makes those sizes only (GPT Image): a width and height typed by hand must be one.
    exact_sizes: bool = False
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
    # Rules for a width or height typed by hand (BFL: multiples of 32 from 256 to 1440).
    size_step: int = 16
    min_side: int = 256
    max_side: int = 2048
    max_steps: int = 200
    guidance_range: tuple[float, float] = (0.0, 20.0)

    def option_problems(self, options: Mapping[str, Any]) -> dict[str, str]:
        """A message per provider option (Submission.options) this model does not take as given."""
        problems: dict[str, str] = {}
        for key, value in options.items():
            name = option_name(key)
            offered = {
                "quality": bool(self.qualities),
                "aspect_ratio": bool(self.aspect_ratios),
                "image_size": bool(self.image_sizes),
                "denoising_strength": self.denoising_strength,
                "prompt_upsampling": self.prompt_upsampling,
                "safety_tolerance": self.safety_tolerance,
            }.get(key, False)
            if not offered:
                problems[key] = _("This model does not take {option}.", option=name)
            elif key in ("quality", "aspect_ratio", "image_size"):
                choices = {
                    "quality": self.qualities,
                    "aspect_ratio": self.aspect_ratios,
                    "image_size": self.image_sizes,
                }
                if value not in choices[key]:
                    problems[key] = _(
                        "{option} must be one of {choices}.", option=name, choices=", ".join(choices[key])
                    )
            elif key == "denoising_strength" and not (_is_number(value) and 0 <= value <= 1):
                problems[key] = _(NOT_A_STRENGTH, option=name)
            elif key == "prompt_upsampling" and not isinstance(value, bool):
                problems[key] = _("{option} is on or off.", option=name)
            elif key == "safety_tolerance" and not (_is_whole(value) and 0 <= value <= 6):
                problems[key] = _(NOT_A_TOLERANCE, option=name)
        return problems


# What the form and messages call each provider option: never the raw API name alone.
OPTION_NAMES = {
    "quality": N_("Quality"),
    "aspect_ratio": N_("Aspect ratio"),
    "image_size": N_("Image size"),
    "denoising_strength": N_("Denoising strength"),
    "prompt_upsampling": N_("Prompt upsampling"),
    "safety_tolerance": N_("Safety tolerance"),
}
NOT_A_STRENGTH = N_("{option} must be a number from 0 to 1.")
NOT_A_TOLERANCE = N_("{option} must be a whole number from 0 (strictest) to 6.")


def option_name(key: str) -> str:
    """An option's human name in the language of the user being answered."""
    return _(OPTION_NAMES[key]) if key in OPTION_NAMES else key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class CapabilityOverrides(pydantic.BaseModel):
    """A profile's `[models.<id>.capabilities]` table: what a deployment knows better than the
    provider's defaults. Sizes and the reference cap have their own keys (`sizes`, `max_references`)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    negative_prompt: bool | None = None
    seed: bool | None = None
    steps: bool | None = None
    guidance: bool | None = None
    guidance_label: str | None = pydantic.Field(default=None, min_length=1, max_length=40)
    aspect_ratios: list[str] | None = None
    image_sizes: list[str] | None = None
    qualities: list[str] | None = None
    masks: bool | None = None
    denoising_strength: bool | None = None
    prompt_upsampling: bool | None = None
    safety_tolerance: bool | None = None
    # "" says the service keeps data inside the organisation (a self-hosted gateway route, say).
    cloud: str | None = pydantic.Field(default=None, max_length=80)

    def apply(self, capabilities: Capabilities) -> Capabilities:
        changes: dict[str, Any] = {}
        for key, value in self.model_dump(exclude_none=True).items():
            changes[key] = tuple(value) if isinstance(value, list) else value
        if changes.get("cloud") == "":
            changes["cloud"] = None
        return dataclasses.replace(capabilities, **changes)


def of_family(traits: FamilyTraits) -> Capabilities:
    """An OpenAI-compatible diffusion server (vLLM-Omni, SGLang) serving a model of this family."""
    return Capabilities(
        negative_prompt=traits.takes_negative_prompt,
        guidance_label=guidance_label_of(traits.guidance_field),
        sizes=traits.sizes,
        max_references=traits.max_references,
        masks=traits.takes_masks and traits.max_references > 0,
    )


@dataclasses.dataclass(frozen=True)
class OptionChoices:
    """The provider options as the studio's form holds them: "" (or off) leaves the service's default."""

    quality: str = ""
    aspect_ratio: str = ""
    image_size: str = ""
    denoising_strength: str = ""  # as typed
    prompt_upsampling: bool = False
    safety_tolerance: str = ""  # as typed


def chosen_options(
    capabilities: Capabilities, choices: OptionChoices, *, with_references: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """What goes into Submission.options (only what this model takes and the user set), and a message
    per option field that is wrong."""
    options: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key, offered in (
        ("quality", capabilities.qualities),
        ("aspect_ratio", capabilities.aspect_ratios),
        ("image_size", capabilities.image_sizes),
    ):
        value = getattr(choices, key)
        if offered and value:
            options[key] = value
    # Denoising strength says how far img2img may move from its reference: no reference, no meaning.
    typed = choices.denoising_strength.strip()
    if capabilities.denoising_strength and with_references and typed:
        try:
            options["denoising_strength"] = float(typed)
        except ValueError:
            problems["denoising_strength"] = _(NOT_A_STRENGTH, option=option_name("denoising_strength"))
    if capabilities.prompt_upsampling and choices.prompt_upsampling:
        options["prompt_upsampling"] = True
    typed = choices.safety_tolerance.strip()
    if capabilities.safety_tolerance and typed:
        try:
            options["safety_tolerance"] = int(typed)
        except ValueError:
            problems["safety_tolerance"] = _(NOT_A_TOLERANCE, option=option_name("safety_tolerance"))
    problems.update({key: message for key, message in capabilities.option_problems(options).items()})
    return {key: value for key, value in options.items() if key not in problems}, problems


def describe_options(options: Mapping[str, Any]) -> list[str]:
    """The options in the form's words, for the effective parameters: "Quality high", "Prompt upsampling"."""
    described = []
    for key, value in options.items():
        name = option_name(key)
        if value is True:
            described.append(name)
        elif isinstance(value, float):
            described.append(f"{name} {value:g}")
        else:
            described.append(f"{name} {value}")
    return described
