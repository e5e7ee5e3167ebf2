"""What the studio's feed shows of a run and its variants, built from the job's row (jobs/views.Run).

Plain dataclasses and functions, no Reflex: the state keeps a window of these cards, never bytes.
Texts are in the language of the user being answered (bildgen.i18n).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from bildgen import i18n, routes
from bildgen.i18n import _
from bildgen.inference.errors import in_language
from bildgen.jobs import queue, tasks, views
from bildgen.params import guidance_label_of
from bildgen.store.image_library import SavedImage, stored_recipe
from bildgen.store.models import GenerationStatus, utc_now

PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"
# The phase of a pending variant whose run waits in bildgen's queue (the service's phases: jobs/tasks.py).
WAITING = "waiting"
# Declined by the image service's moderation: said as such, not as a failure.
MODERATED = tasks.MODERATED
# The feed shows two lines of a prompt (the large view shows it whole): every change of a run resends
# the feed to the browser, so a 5000-character prompt is not carried along.
PROMPT_SHOWN = 300


@dataclasses.dataclass
class VariantCard:
    number: int
    status: str = PENDING
    elapsed_s: int = 0
    seed: int = 0
    # False when the service was sent no seed (GPT-Image): then none is shown or offered for reuse.
    seed_sent: bool = True
    image_id: str = ""
    image_path: str = ""
    filename: str = ""
    width: int = 0
    height: int = 0
    error: str = ""
    # While it is made: its state at the image service (jobs/tasks.py: "queued", "running"…, "" when
    # the service says nothing), and progress in percent and seconds left where it reports them (-1: not).
    phase: str = ""
    progress: int = -1
    eta_s: int = -1
    # The service's live preview of the image being made (AUTOMATIC1111), served by URL; "" without one.
    preview_path: str = ""


@dataclasses.dataclass
class RunCard:
    id: str
    prompt: str = ""
    model: str = ""
    parameters: str = ""
    seeds: str = ""
    created: str = ""
    status: str = ""
    active: bool = False
    cancel_requested: bool = False
    # Waiting for the server, or being cancelled.
    notice: str = ""
    # Why the whole run failed ("" when any variant is shown).
    error: str = ""
    # Ended with images that failed: Retry makes them again (bildgen.generation.retry).
    can_retry: bool = False
    variants: list[VariantCard] = dataclasses.field(default_factory=list)
    # The run's images in order: the lightbox's ←/→ walks through them.
    image_ids: list[str] = dataclasses.field(default_factory=list)
    # Its place in the feed's keyset paging: older runs start after it.
    cursor: str = ""
    # An edit's reference images and its mask (upload paths), shown small on the card.
    reference_paths: list[str] = dataclasses.field(default_factory=list)
    mask_path: str = ""


def shown(number: int, image: SavedImage) -> VariantCard:
    return VariantCard(
        number=number,
        status=DONE,
        seed=image.seed or 0,
        seed_sent=image.seed is not None,
        image_id=image.id,
        image_path=routes.image_upload_path(image.id),
        filename=image.filename,
        width=image.width,
        height=image.height,
    )


def variant_cards(view: views.JobView, now: datetime) -> list[VariantCard]:
    started = view.started_at or view.created_at
    elapsed = max(int((now - started).total_seconds()), 0) if view.active else 0
    cancelled = view.status in (GenerationStatus.CANCELLED, GenerationStatus.PARTIAL) and view.error == queue.CANCELLED
    cards = []
    for variant in range(view.variant_count):
        number, seed = variant + 1, view.seeds[variant] if variant < len(view.seeds) else 0
        image = view.images.get(variant)
        if image is not None:
            cards.append(shown(number, image))
        elif variant in view.variant_errors:
            state = view.variants.get(variant)
            status = MODERATED if state is not None and state.status == tasks.MODERATED else FAILED
            error = in_language(view.variant_errors[variant])
            cards.append(VariantCard(number=number, seed=seed, status=status, error=error))
        elif view.status == GenerationStatus.QUEUED:
            # Nothing is being made yet: no clock counting as if it were (the run says its place).
            cards.append(VariantCard(number=number, seed=seed, phase=WAITING))
        elif view.active:
            cards.append(_pending(view.id, variant, seed, elapsed, view.variants.get(variant)))
        elif cancelled:
            cards.append(VariantCard(number=number, seed=seed, status=CANCELLED, error=_(queue.CANCELLED)))
        else:
            error = in_language(view.error) if view.error else _("No image.")
            cards.append(VariantCard(number=number, seed=seed, status=FAILED, error=error))
    return cards


def _pending(job_id: str, variant: int, seed: int, elapsed_s: int, state: tasks.VariantState | None) -> VariantCard:
    """A variant on its way: elapsed time, and what the service reports of it (state, progress, ETA, preview)."""
    number = variant + 1
    if state is None:
        return VariantCard(number=number, seed=seed, elapsed_s=elapsed_s)
    return VariantCard(
        number=number,
        preview_path=routes.preview_upload_path(job_id, variant, state.preview_version)
        if state.preview_version
        else "",
        seed=seed,
        elapsed_s=elapsed_s,
        phase=state.status,
        progress=-1 if state.fraction is None else max(0, min(100, round(state.fraction * 100))),
        eta_s=-1 if state.eta_s is None else max(0, round(state.eta_s)),
    )


def _notice(view: views.JobView) -> str:
    if view.active and view.cancel_requested:
        return _("Cancelling…")
    # The worker that ran it stopped (a deploy, a crash): another goes on with it, nothing is lost.
    resumed = _("Resumed on another worker.") if view.resumed else ""
    if view.status == GenerationStatus.QUEUED:
        ahead = view.ahead or 0
        if ahead:
            waiting = _("Waiting for the image server: {ahead} ahead of you.", ahead=ahead)
        else:
            waiting = _("Waiting for the image server: you are next.")
        return f"{resumed} {waiting}".strip()
    return resumed if view.active else ""


def _parameters(run: views.Run, language: str) -> str:
    generation = run.generation
    # What the service was sent: no steps or guidance where it takes none (GPT-Image).
    recipe = stored_recipe(generation, 0)
    parts = [f"{generation.width} × {generation.height} px"]
    if recipe.steps is not None:
        parts.append(_("{steps} steps", steps=recipe.steps))
    if recipe.guidance is not None:
        # As the model calls it (Guidance, CFG scale), never the API's field name.
        parts.append(
            _(guidance_label_of(recipe.guidance_field or "")) + " " + i18n.format_number(recipe.guidance, language)
        )
    return " · ".join(parts)


def _seeds(seeds: list[int]) -> str:
    if not seeds:
        return ""
    if len(seeds) == 1:
        return _("seed {seed}", seed=seeds[0])
    return _("seeds {first}–{last}", first=seeds[0], last=seeds[-1])


def run_card(run: views.Run, *, labels: Mapping[str, str], language: str, now: datetime | None = None) -> RunCard:
    """The feed's card of a run; `labels` names the configured models by profile id."""
    view, generation = run.view, run.generation
    variants = variant_cards(view, now or utc_now())
    failed_all = not view.active and bool(variants) and all(card.status == FAILED for card in variants)
    return RunCard(
        id=view.id,
        prompt=view.prompt if len(view.prompt) <= PROMPT_SHOWN else view.prompt[: PROMPT_SHOWN - 1] + "…",
        model=labels.get(generation.model_profile) or generation.served_model,
        parameters=_parameters(run, language),
        seeds=_seeds(view.seeds) if view.seed_sent else "",
        created=i18n.format_datetime(view.created_at, language, format="short"),
        status=view.status,
        active=view.active,
        cancel_requested=view.active and view.cancel_requested,
        notice=_notice(view),
        error=(in_language(view.error) if view.error else variants[0].error) if failed_all else "",
        can_retry=not view.active and any(card.status == FAILED for card in variants),
        variants=variants,
        image_ids=[card.image_id for card in variants if card.image_id],
        cursor=views.Cursor(view.created_at, view.id).encode(),
        reference_paths=[routes.reference_upload_path(reference_id) for reference_id in run.reference_ids],
        mask_path=routes.mask_upload_path(generation.mask_id) if generation.mask_id else "",
    )


def fingerprint(view: views.JobView | None) -> object:
    """What a card shows of a job; elapsed seconds tick while it is active."""
    if view is None:
        return None
    tick = int(utc_now().timestamp()) if view.active else 0
    return (
        view.status,
        view.ahead,
        view.cancel_requested,
        view.resumed,
        tuple(view.images),
        tuple(view.variant_errors),
        view.error,
        tuple(
            (variant, state.status, state.fraction, state.eta_s, state.preview_version)
            for variant, state in sorted(view.variants.items())
        ),
        tick,
    )
