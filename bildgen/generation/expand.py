"""Expand (outpaint): more canvas around one of the user's images, filled in by a mask-capable model.

bildgen pads the canvas (Pillow, in the image pool), builds the mask of the new area (white =
paint, the original black = keep) and sends an edit with that mask. The padded canvas becomes a
reference with the source's lineage and the mask an EditMask on it, so the studio's mask painter
can adjust it before sending; `submit_expand` queues it at once (tests, scripts).

Amounts are a share of the source's width (left, right) or height (top, bottom), e.g. 0.25 = +25 %;
or a target aspect ratio, reached by padding both sides of the short direction equally. The new
size is rounded up to the model's size step and checked against its largest side.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping

import sqlalchemy
from PIL import Image, ImageFilter

from bildgen.generation.submit import check_model_allowed
from bildgen.i18n import _
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import admission, queue
from bildgen.jobs.refusals import SubmissionRefused
from bildgen.params import EffectiveParameters
from bildgen.prompts.elements import RecipeExtras
from bildgen.store import library
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import reference_name
from bildgen.store.models import EditMask, ReferenceImage

SIDES = ("left", "right", "top", "bottom")
AMOUNTS = (0.25, 0.5)
EXPAND = "expand"
# The new area starts as a blurred stretch of the picture: models continue colours and light
# better from there than from a flat grey. Blurred at 1/FILL_REDUCE of the size, then enlarged:
# one full-size copy instead of several (docs/benchmarks.md, "Upscaling and expanding").
FILL_REDUCE = 8
FILL_BLUR = 3


class ExpandRefused(SubmissionRefused):
    """The expand cannot be prepared; `message` says why, in the user's language."""


@dataclasses.dataclass(frozen=True)
class Padding:
    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0

    def size_around(self, width: int, height: int) -> tuple[int, int]:
        return width + self.left + self.right, height + self.top + self.bottom

    def describe(self, width: int, height: int) -> str:
        """E.g. "left +256 px, right +256 px" (numbers read the same in every language)."""
        return ", ".join(f"{side} +{getattr(self, side)} px" for side in SIDES if getattr(self, side))


def padding_for(
    width: int,
    height: int,
    *,
    amounts: Mapping[str, float] | None = None,
    aspect: tuple[int, int] | None = None,
    step: int = 16,
) -> Padding:
    """The pixels to add on each side, so that the new size is a multiple of `step`."""
    pad = dict.fromkeys(SIDES, 0)
    if aspect is not None:
        aspect_w, aspect_h = aspect
        if aspect_w <= 0 or aspect_h <= 0:
            raise ExpandRefused(_("Choose sides to expand, or an aspect ratio."))
        if width * aspect_h < height * aspect_w:  # too narrow: wider
            extra = round(height * aspect_w / aspect_h) - width
            pad["left"], pad["right"] = extra // 2, extra - extra // 2
        else:
            extra = round(width * aspect_h / aspect_w) - height
            pad["top"], pad["bottom"] = extra // 2, extra - extra // 2
    else:
        for side, amount in (amounts or {}).items():
            if side not in SIDES or amount not in AMOUNTS:
                raise ExpandRefused(_("Expand a side by 25 % or 50 %."))
            pad[side] = round((width if side in ("left", "right") else height) * amount)
    if not any(pad.values()):
        raise ExpandRefused(_("Choose sides to expand, or an aspect ratio."))
    # Round the new size up to the model's step, the remainder on a side that grows anyway.
    for first, second, original in (("left", "right", width), ("top", "bottom", height)):
        total = original + pad[first] + pad[second]
        if total % step:
            grow = second if pad[second] or not pad[first] else first
            pad[grow] += step - total % step
    return Padding(**pad)


def expand_canvas(png: bytes, padding: Padding) -> tuple[bytes, bytes]:
    """The padded canvas and its mask (white = the new area), both PNG. CPU work: in the image pool."""
    with Image.open(io.BytesIO(png)) as opened:
        source = opened.convert("RGB")
    width, height = padding.size_around(*source.size)
    small = source.reduce(FILL_REDUCE) if min(source.size) >= 4 * FILL_REDUCE else source
    canvas = small.filter(ImageFilter.GaussianBlur(FILL_BLUR)).resize((width, height), Image.Resampling.BILINEAR)
    canvas.paste(source, (padding.left, padding.top))
    mask = Image.new("L", (width, height), 255)
    mask.paste(0, (padding.left, padding.top, padding.left + source.width, padding.top + source.height))
    out_canvas, out_mask = io.BytesIO(), io.BytesIO()
    canvas.save(out_canvas, format="PNG")
    mask.save(out_mask, format="PNG")
    return out_canvas.getvalue(), out_mask.getvalue()


def editor_of(catalog: Catalog, profile_id: str) -> ModelProfile:
    """The profile that paints the new area: the chosen model's editor, which must take a mask."""
    profile = catalog.serving(profile_id, with_references=True)
    if not profile.capabilities().masks or profile.is_upscaler:
        raise ExpandRefused(
            _("{model} cannot paint into a mask, so it cannot expand. Choose a model that can.", model=profile.label)
        )
    return profile


@dataclasses.dataclass(frozen=True)
class PreparedExpand:
    reference: ReferenceImage
    mask: EditMask
    width: int
    height: int
    # What was added, for the recipe.
    added: str
    prompt: str


def prepare_expand(
    engine: sqlalchemy.Engine,
    images: ImageFiles,
    references: ImageFiles,
    profile: ModelProfile,
    *,
    owner_id: str,
    image_id: str,
    amounts: Mapping[str, float] | None = None,
    aspect: tuple[int, int] | None = None,
) -> PreparedExpand:
    """The padded canvas as a reference (lineage kept) and the new area's mask on it. Blocking, with
    Pillow work: call it in the image pool."""
    found = library.find_image(engine, image_id, owner_id)
    if found is None:
        raise ExpandRefused(_("That image does not exist (any more)."))
    image, generation = found
    step = profile.capabilities().size_step
    padding = padding_for(image.width, image.height, amounts=amounts, aspect=aspect, step=step)
    width, height = padding.size_around(image.width, image.height)
    limit = profile.largest_output_side
    if max(width, height) > limit:
        raise ExpandRefused(
            _(
                "Expanded, the image would be {width}×{height} pixels; {model} makes at most {limit} pixels a side.",
                width=width,
                height=height,
                model=profile.label,
                limit=limit,
            )
        )
    canvas, mask_png = expand_canvas(images.path_for(image.sha256).read_bytes(), padding)
    reference = library.add_reference(
        engine,
        references,
        owner_id=owner_id,
        png=canvas,
        name=reference_name(image, generation, suffix=", expanded"),
        source_image_id=image.id,
    )
    mask = library.add_mask(engine, references, owner_id=owner_id, reference_id=reference.id, png=mask_png)
    return PreparedExpand(
        reference, mask, width, height, padding.describe(image.width, image.height), generation.prompt
    )


def submit_expand(
    engine: sqlalchemy.Engine,
    images: ImageFiles,
    references: ImageFiles,
    catalog: Catalog,
    *,
    owner_id: str,
    image_id: str,
    profile_id: str,
    amounts: Mapping[str, float] | None = None,
    aspect: tuple[int, int] | None = None,
    prompt: str | None = None,
) -> str:
    """Prepare and queue the expand with the mask as built; the job's id. Blocking: in the image pool."""
    profile = editor_of(catalog, profile_id)
    check_model_allowed(engine, owner_id, profile.id)
    admission.check(engine, owner_id=owner_id, profile_id=profile.id, images=1)
    prepared = prepare_expand(
        engine, images, references, profile, owner_id=owner_id, image_id=image_id, amounts=amounts, aspect=aspect
    )
    traits = profile.traits()
    return queue.submit(
        engine,
        queue.Submission(
            owner_id=owner_id,
            prompt=(prompt or prepared.prompt).strip(),
            profile_id=profile.id,
            parameters=EffectiveParameters(
                width=prepared.width,
                height=prepared.height,
                steps=traits.steps,
                guidance=traits.guidance,
                guidance_field=traits.guidance_field,
            ),
            seeds=[0],
            reference_ids=(prepared.reference.id,),
            mask_id=prepared.mask.id,
            model_label=profile.label,
            recipe_extras=RecipeExtras(expanded=prepared.added).encode(),
            kind=EXPAND,
        ),
    )


def amounts_from(raw: object) -> dict[str, float]:
    """{"left": 0.25, …} from a client's JSON; unknown sides and amounts are refused by padding_for."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return {str(key): float(amount) for key, amount in value.items()} if isinstance(value, dict) else {}
