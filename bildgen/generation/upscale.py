"""Upscale: one of the user's images ×2 or ×4, with the administrator's upscaler, as a job like any other.

The one use case behind the studio's and the gallery's "Upscale ×2 / ×4" and `POST /v1/images/upscale`:
checked (an upscaler is configured, the factor is offered, the result fits the profile's largest
side), then the image becomes a reference with its lineage (ReferenceImage.source_image_id) and the
job goes through the queue (fair queue, quotas, cancel, restarts). Its result is a new image whose
recipe says what was done (Generation.mode and RecipeExtras).

Where the administrator's default upscaler is an image profile rather than an upscaler, the upscale
is "creative": an edit of the image at the larger size, a re-render that changes details, and said so.
"""

from __future__ import annotations

import sqlalchemy

from bildgen.i18n import _
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import admission, queue
from bildgen.params import EffectiveParameters
from bildgen.prompts.elements import RecipeExtras
from bildgen.refusal import Refusal
from bildgen.store import library
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import reference_name
from bildgen.store.models import Generation, Image

FACTORS = (2, 4)
UPSCALE, CREATIVE_UPSCALE = "upscale", "creative-upscale"
# A creative upscale keeps the picture: AUTOMATIC1111's img2img repaints this much of it.
CREATIVE_STRENGTH = 0.35


class UpscaleRefused(Refusal):
    """The upscale cannot be queued: a plain Refusal (message in the user's language, field, kind), shown
    by the states and mapped by the API like every other."""


def target_size(image: Image, factor: int, profile: ModelProfile) -> tuple[int, int]:
    """The result's size; refused beyond the profile's largest side (the message names the limit)."""
    if factor not in FACTORS:
        raise UpscaleRefused(_("Upscale by 2 or by 4."), field="scale")
    width, height = image.width * factor, image.height * factor
    limit = profile.largest_output_side
    if max(width, height) > limit:
        raise UpscaleRefused(
            _(
                "×{factor} would make {width}×{height} pixels; {upscaler} makes at most {limit} pixels a side.",
                factor=factor,
                width=width,
                height=height,
                upscaler=profile.label,
                limit=limit,
            ),
            field="scale",
        )
    if not profile.is_upscaler:
        step = profile.capabilities().size_step
        width, height = width - width % step, height - height % step
    return width, height


def upscaler_of(catalog: Catalog) -> ModelProfile:
    profile = catalog.upscaler
    if profile is None:
        raise UpscaleRefused(_("No upscaler is set up here. Ask your administrator to add one."), kind="unavailable")
    if not profile.is_upscaler and profile.capabilities().max_references < 1:
        raise UpscaleRefused(
            _("{model} cannot upscale: it takes no image to start from.", model=profile.label), kind="unavailable"
        )
    return profile


def submission_for(
    image: Image, generation: Generation, profile: ModelProfile, factor: int, *, owner_id: str, reference_id: str
) -> queue.Submission:
    width, height = target_size(image, factor, profile)
    creative = not profile.is_upscaler
    options = {}
    if creative and profile.capabilities().denoising_strength:
        options["denoising_strength"] = CREATIVE_STRENGTH
    return queue.Submission(
        owner_id=owner_id,
        # The source's prompt: the gallery finds the larger image by it, and a re-render follows it.
        prompt=generation.prompt,
        profile_id=profile.id,
        parameters=EffectiveParameters(
            width=width,
            height=height,
            steps=generation.steps,
            guidance=generation.guidance,
            guidance_field=generation.guidance_field,
            negative_prompt=generation.negative_prompt if creative else None,
        ),
        seeds=[image.seed],
        reference_ids=(reference_id,),
        model_label=profile.label,
        options=options,
        recipe_extras=RecipeExtras(upscaled_by=factor, upscaled_with=profile.label, creative=creative).encode(),
        kind=CREATIVE_UPSCALE if creative else UPSCALE,
    )


def submit_upscale(
    engine: sqlalchemy.Engine,
    images: ImageFiles,
    references: ImageFiles,
    catalog: Catalog,
    *,
    owner_id: str,
    image_id: str,
    factor: int,
) -> str:
    """Queue the upscale of one of the user's images; the job's id. Raises UpscaleRefused (no such
    image, no upscaler, too large), another SubmissionRefused (paused, quota) or StorageUnavailable.
    Blocking: call it in a thread."""
    found = library.find_image(engine, image_id, owner_id)
    if found is None:
        raise UpscaleRefused(_("That image does not exist (any more)."), field="image", kind="not_found")
    image, generation = found
    profile = upscaler_of(catalog)
    target_size(image, factor, profile)
    # Before anything is stored: a refused upscale leaves no reference behind.
    admission.check(engine, owner_id=owner_id, profile_id=profile.id, images=1)
    reference = library.add_reference(
        engine,
        references,
        owner_id=owner_id,
        png=images.path_for(image.sha256).read_bytes(),
        name=reference_name(image, generation),
        source_image_id=image.id,
    )
    submission = submission_for(image, generation, profile, factor, owner_id=owner_id, reference_id=reference.id)
    return queue.submit(engine, submission)
