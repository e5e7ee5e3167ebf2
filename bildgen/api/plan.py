"""An API request resolved into what the job will send by the studio's and batches' own resolver
(generation.plan): the same sizes, steps, guidance and seeds are accepted, within the serving
model's limits, and a wrong one is named by its API field."""

from __future__ import annotations

from bildgen.api.errors import api_error
from bildgen.api.schemas import GenerationFields
from bildgen.generation.plan import Plan, PlanInput
from bildgen.generation.plan import plan as generation_plan
from bildgen.inference.profiles import Catalog
from bildgen.params import DEFAULT_MODE, DEFAULT_QUALITY, FormChoices
from bildgen.refusal import Refusal

__all__ = ["Plan", "plan"]

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
    "references": "image",
    "model": "model",
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def plan(catalog: Catalog, fields: GenerationFields, *, reference_count: int) -> Plan:
    """generation.plan with the API's field names; raises ApiError (400 naming the field, 404 for an
    unknown model) before any upload is stored."""
    width = height = ""
    if fields.size and fields.size != "auto":
        width, height = fields.size.split("x")
    given = PlanInput(
        model=fields.model or catalog.default_id,
        prompt=fields.prompt,
        form=FormChoices(
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
        references=reference_count,
    )
    try:
        return generation_plan(catalog, given)
    except Refusal as refused:
        raise api_error(refused, param=API_FIELDS.get(refused.field, refused.field), catalog=catalog) from None
