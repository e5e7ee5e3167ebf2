"""What each batch item will send, checked before anything is sent: the item's fields over the
batch's defaults (item beats batch), resolved per model by the one resolver the studio and `/v1` use
(generation.plan: the model's limits for sizes, steps, guidance, count, seed), so a row is refused
here for exactly what the studio refuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bildgen import i18n
from bildgen.batches.items import MAX_ITEMS, MAX_PROMPT_CHARS, BatchItem, ItemFields
from bildgen.generation.plan import Draft, PlanInput, draft
from bildgen.generation.plan import Plan as GenerationPlan
from bildgen.i18n import _
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.params import EffectiveParameters, FormChoices, variant_seeds


@dataclasses.dataclass(frozen=True)
class PlannedItem:
    position: int
    prompt: str
    profile_id: str
    parameters: EffectiveParameters
    count: int
    seed: int | None  # None: no seed given; one is chosen when the batch is made

    def plan(self, catalog: Catalog, seed: int) -> GenerationPlan:
        """The job this item queues, with the seed chosen when the batch was made."""
        profile = catalog.models[self.profile_id]
        return GenerationPlan(
            prompt=self.prompt,
            profile_id=profile.id,
            model_label=profile.label,
            parameters=self.parameters,
            seeds=variant_seeds(self.count, seed),
            options={},
            deadline_s=profile.deadline_s,
            sends_element_images=False,
        )


@dataclasses.dataclass(frozen=True)
class Plan:
    items: list[PlannedItem]
    # Row (0-based position) → what is wrong with it; the table highlights these rows.
    row_problems: dict[int, list[str]]
    # What is wrong with the batch as a whole (its defaults, its size).
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.row_problems and not self.problems

    @property
    def image_count(self) -> int:
        return sum(item.count for item in self.items)

    def summary(self) -> str:
        """All problems in a few sentences, rows first (at most five named)."""
        parts = list(self.problems)
        for position in sorted(self.row_problems)[:5]:
            parts.append(_("Row {number}:", number=position + 1) + " " + " ".join(self.row_problems[position]))
        if len(self.row_problems) > 5:
            parts.append(_("…and {count} more rows.", count=len(self.row_problems) - 5))
        return " ".join(parts)


def find_profile(catalog: Catalog, name: str) -> ModelProfile | None:
    """A model named by its profile id, its label or the model id it serves (case ignored)."""
    wanted = name.strip().casefold()
    for key, profile in catalog.models.items():
        if wanted in {key.casefold(), profile.label.casefold(), (profile.served_name or "").casefold()}:
            return profile
    return None


def _input(profile: ModelProfile, fields: ItemFields) -> PlanInput:
    # "square" and "balanced": the studio's own starting presets fill what nobody set. Like the studio's
    # form, a sheet's negative prompt goes only to the models that take one (a batch mixes models).
    takes_negative_prompt = profile.capabilities().negative_prompt
    return PlanInput(
        model=profile.id,
        prompt="",
        form=FormChoices(
            mode="square",
            quality="balanced",
            width=fields.width,
            height=fields.height,
            count=fields.count,
            steps=fields.steps,
            guidance=fields.guidance,
            seed=fields.seed,
            negative_prompt=fields.negative_prompt if takes_negative_prompt else "",
        ),
    )


def _draft(catalog: Catalog, profile: ModelProfile, fields: ItemFields) -> Draft:
    return draft(catalog, _input(profile, fields))


def model_names(catalog: Catalog) -> str:
    return ", ".join(profile.label for profile in catalog.models.values())


def plan(items: Sequence[BatchItem], defaults: ItemFields, catalog: Catalog) -> Plan:
    problems: list[str] = []
    if not items:
        problems.append(_("The batch has no prompts."))
    if len(items) > MAX_ITEMS:
        problems.append(
            _(
                "A batch holds at most {max} prompts, not {count}.",
                max=i18n.format_number(MAX_ITEMS),
                count=i18n.format_number(len(items)),
            )
        )
    default_profile = catalog.default
    if defaults.model:
        found = find_profile(catalog, defaults.model)
        if found is None:
            problems.append(
                _(
                    "Batch model {model} is not offered here (one of: {models}).",
                    model=repr(defaults.model),
                    models=model_names(catalog),
                )
            )
        else:
            default_profile = found
    # A bad default is named once, not once per row.
    default_problems = _draft(catalog, default_profile, defaults).problems
    problems.extend(_("Batch defaults: {problem}", problem=message) for message in default_problems.values())

    planned: list[PlannedItem] = []
    row_problems: dict[int, list[str]] = {}
    for position, item in enumerate(items[:MAX_ITEMS]):
        messages: list[str] = []
        prompt = item.prompt.strip()
        if not prompt:
            messages.append(_("The prompt is empty."))
        elif len(prompt) > MAX_PROMPT_CHARS:
            messages.append(_("The prompt is longer than {max} characters.", max=i18n.format_number(MAX_PROMPT_CHARS)))
        profile = default_profile
        if item.fields.model:
            found = find_profile(catalog, item.fields.model)
            if found is None:
                messages.append(
                    _(
                        "Model {model} is not offered here (one of: {models}).",
                        model=repr(item.fields.model),
                        models=model_names(catalog),
                    )
                )
            else:
                profile = found
        merged = item.fields.merged_over(defaults)
        resolved = _draft(catalog, profile, merged)
        for field, message in resolved.problems.items():
            if getattr(item.fields, field, ""):
                messages.append(message)
            elif field not in default_problems:
                # The default suits the batch's model but not this item's.
                messages.append(
                    _("{problem} (from the batch defaults, for {model})", problem=message, model=profile.label)
                )
        if messages:
            row_problems[position] = messages
            continue
        planned.append(
            PlannedItem(
                position=position,
                prompt=prompt,
                profile_id=resolved.profile.id,
                parameters=resolved.resolved.parameters,
                count=resolved.resolved.count,
                seed=resolved.resolved.seed,
            )
        )
    return Plan(planned, row_problems, problems)
