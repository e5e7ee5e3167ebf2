"""The one resolver of what a model accepts: the studio's form, a `/v1` request and a batch row all
become a `PlanInput`, and `plan` answers what the job will send or a Refusal naming the field.

It applies the serving profile (a text-only model hands edits to its `edit_with` profile), its
Capabilities' limits (BFL: sides in multiples of 32 from 256 to 1440; GPT Image: its size list), the
provider options it takes, its reference limit and whether it takes a negative prompt. `draft` is the
same resolution without refusing, for a form that shows every problem at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bildgen.i18n import _, ngettext
from bildgen.inference.capabilities import Capabilities, OptionChoices, chosen_options
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.params import EffectiveParameters, FormChoices, Limits, Resolved, resolve, variant_seeds
from bildgen.refusal import Refusal


@dataclasses.dataclass(frozen=True)
class PlanInput:
    model: str  # a profile id; "" = the catalog's default
    prompt: str
    form: FormChoices = FormChoices()  # presets by id, overrides as typed, the negative prompt
    options: OptionChoices = OptionChoices()
    references: int = 0  # the reference images the front shows (the form's, the request's files)
    # Context elements' images, sent after the references when the model may take them (see below).
    element_references: int = 0


@dataclasses.dataclass(frozen=True)
class Draft:
    """The input resolved for the model that would serve it; `problems` maps a field to what is wrong
    with it (parameters, options, negative prompt, references), in the reader's language."""

    profile: ModelProfile
    capabilities: Capabilities
    resolved: Resolved
    options: dict[str, Any]
    sends_element_images: bool
    problems: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the job will send: the serving profile, effective parameters, one seed per image, options."""

    prompt: str
    profile_id: str
    model_label: str
    parameters: EffectiveParameters
    seeds: list[int]
    options: dict[str, Any]
    deadline_s: float
    sends_element_images: bool


def serving(catalog: Catalog, model: str, *, references: int) -> ModelProfile:
    return catalog.serving(model or catalog.default_id, with_references=references > 0)


def limits_of(capabilities: Capabilities) -> Limits:
    return Limits(
        size_step=capabilities.size_step,
        min_side=capabilities.min_side,
        max_side=capabilities.max_side,
        max_steps=capabilities.max_steps,
        guidance_range=capabilities.guidance_range,
    )


def _sends_element_images(catalog: Catalog, model: str, references: int) -> bool:
    """A context element's image goes along only where it cannot turn the run into something the form
    did not show: on a model that takes references, and not as an edit at a cloud service when the form
    itself has none (GPT Image would make an edit of it at OpenAI: the form said "Text to image")."""
    if catalog.max_references(model) == 0:
        return False
    return references > 0 or not serving(catalog, model, references=1).capabilities().cloud


def reference_limit_text(catalog: Catalog, model: str) -> str:
    label = serving(catalog, model, references=1).label
    limit = catalog.max_references(model)
    if limit == 0:
        return _("{model} does not take reference images.", model=label)
    if limit == 1:
        return _("{model} takes at most 1 reference image.", model=label)
    return ngettext(
        "{model} takes at most {count} reference image.",
        "{model} takes at most {count} reference images.",
        limit,
        model=label,
    )


def draft(catalog: Catalog, given: PlanInput) -> Draft:
    model = given.model or catalog.default_id
    sends_elements = given.element_references > 0 and _sends_element_images(catalog, model, given.references)
    total = given.references + (given.element_references if sends_elements else 0)
    profile = serving(catalog, model, references=total)
    capabilities = profile.capabilities()
    problems: dict[str, str] = {}
    if total > catalog.max_references(model):
        problems["references"] = reference_limit_text(catalog, model)
    form = given.form
    # Steps or guidance for a model that takes none are not sent, so not checked either (GPT Image).
    form = dataclasses.replace(
        form, steps=form.steps if capabilities.steps else "", guidance=form.guidance if capabilities.guidance else ""
    )
    if form.negative_prompt.strip() and not capabilities.negative_prompt:
        problems["negative_prompt"] = _("{model} takes no negative prompt.", model=profile.label)
        form = dataclasses.replace(form, negative_prompt="")
    resolved = resolve(profile.traits(), form, limits_of(capabilities))
    problems.update(resolved.problems)
    size = (resolved.parameters.width, resolved.parameters.height)
    if capabilities.exact_sizes and capabilities.sizes and size not in capabilities.sizes and "width" not in problems:
        problems["width"] = _(
            "{model} makes these sizes only: {sizes}.",
            model=profile.label,
            sizes=", ".join(f"{width}×{height}" for width, height in capabilities.sizes),
        )
    options, option_problems = chosen_options(capabilities, given.options, with_references=total > 0)
    problems.update(option_problems)
    return Draft(
        profile=profile,
        capabilities=capabilities,
        resolved=resolved,
        options=options,
        sends_element_images=sends_elements,
        problems=problems,
    )


def check_model(catalog: Catalog, model: str) -> None:
    """Refuses a model that does not exist or is switched off (field "model")."""
    if catalog.offers(model or catalog.default_id):
        return
    if model in catalog.models:
        message = _(
            "{model} is not offered any more: an administrator switched it off.", model=catalog.models[model].label
        )
        raise Refusal(message, field="model", kind="unavailable")
    raise Refusal(_("The model {model} does not exist here.", model=repr(model)), field="model", kind="not_found")


def plan(catalog: Catalog, given: PlanInput) -> Plan:
    """What the job will send, or a Refusal naming the first field at fault."""
    check_model(catalog, given.model)
    if not given.prompt.strip():
        raise Refusal(_("The prompt is empty: describe the image."), field="prompt")
    resolved = draft(catalog, given)
    if resolved.problems:
        field, message = next(iter(resolved.problems.items()))
        raise Refusal(message, field=field)
    return Plan(
        prompt=given.prompt.strip(),
        profile_id=resolved.profile.id,
        model_label=resolved.profile.label,
        parameters=resolved.resolved.parameters,
        seeds=variant_seeds(resolved.resolved.count, resolved.resolved.seed),
        options=resolved.options,
        deadline_s=resolved.profile.deadline_s,
        sends_element_images=resolved.sends_element_images,
    )
