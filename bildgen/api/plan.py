"""An API request resolved into what the job will send, with the studio's own rules (params.resolve):
the same sizes, steps, guidance and seeds are accepted, and a wrong one is named by its API field."""

from __future__ import annotations

import dataclasses

from bildgen.api.errors import ApiError
from bildgen.api.schemas import GenerationFields
from bildgen.inference.profiles import Catalog
from bildgen.params import DEFAULT_MODE, DEFAULT_QUALITY, EffectiveParameters, FormChoices, resolve, variant_seeds

QUALITY_PRESETS = {
    "low": "draft",
    "medium": "balanced",
    "standard": "balanced",
    "auto": "balanced",
    "high": "best",
    "xhigh": "best",
    "max": "best",
    "hd": "best",
}
# The studio's field names → the API's.
API_FIELDS = {
    "width": "size",
    "height": "size",
    "count": "n",
    "steps": "num_inference_steps",
    "guidance": "guidance_scale",
    "seed": "seed",
}


@dataclasses.dataclass(frozen=True)
class Plan:
    profile_id: str  # the profile that serves the request (a text-only model hands edits to its editor)
    parameters: EffectiveParameters
    seeds: list[int]
    deadline_s: float


def _text(value: object) -> str:
    return "" if value is None else str(value)


def plan(catalog: Catalog, fields: GenerationFields, *, reference_count: int) -> Plan:
    """Raises ApiError (400 naming the field, 404 for an unknown model)."""
    if not fields.prompt.strip():
        raise ApiError(400, "The prompt is empty: describe the image.", param="prompt", code="invalid_value")
    model_id = fields.model or catalog.default_model
    if model_id not in catalog.models:
        known = ", ".join(catalog.models)
        raise ApiError(
            404,
            f"The model {model_id!r} does not exist here. Models: {known} (GET /v1/models lists them).",
            param="model",
            code="model_not_found",
        )
    limit = catalog.max_references(model_id)
    if reference_count > limit:
        label = catalog.models[model_id].label
        raise ApiError(
            400,
            f"{label} does not take reference images."
            if limit == 0
            else f"{label} takes at most {limit} reference image{'' if limit == 1 else 's'}, not {reference_count}.",
            param="image",
            code="too_many_images",
        )
    profile = catalog.serving(model_id, with_references=reference_count > 0)
    traits = profile.traits()
    if (fields.negative_prompt or "").strip() and not traits.takes_negative_prompt:
        raise ApiError(
            400, f"{profile.label} takes no negative prompt.", param="negative_prompt", code="unsupported_parameter"
        )
    width = height = ""
    if fields.size and fields.size != "auto":
        width, height = fields.size.split("x")
    resolved = resolve(
        traits,
        FormChoices(
            mode=DEFAULT_MODE,
            quality=QUALITY_PRESETS.get(fields.quality or "", DEFAULT_QUALITY),
            width=width,
            height=height,
            count=str(fields.n),
            steps=_text(fields.num_inference_steps),
            guidance=_text(fields.guidance_scale),
            seed=_text(fields.seed),
            negative_prompt=fields.negative_prompt or "",
        ),
    )
    if resolved.problems:
        field, message = next(iter(resolved.problems.items()))
        raise ApiError(400, message, param=API_FIELDS.get(field, field), code="invalid_value")
    return Plan(
        profile_id=profile.id,
        parameters=resolved.parameters,
        seeds=variant_seeds(resolved.count, resolved.seed),
        deadline_s=profile.deadline_s,
    )
