"""What a run of the studio's feed shows: waiting places, per-variant progress, failures, in the user's language."""

import dataclasses
from datetime import UTC, datetime, timedelta

from bildgen import i18n
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.jobs import tasks, views
from bildgen.state.run_cards import DONE, FAILED, PENDING, PROMPT_SHOWN, WAITING, run_card
from bildgen.store.image_library import SavedImage
from bildgen.store.models import Generation, GenerationStatus

NOW = datetime(2026, 11, 21, 14, 5, 30, tzinfo=UTC)


def a_run(status=GenerationStatus.RUNNING, *, images=None, variants=None, errors=None, ahead=None, error=None):
    generation = Generation(
        id="g" * 32,
        owner_id="o" * 32,
        prompt="a lighthouse",
        model_profile="demo",
        served_model="served/model-id",
        width=1360,
        height=768,
        steps=20,
        guidance=4.5,
        guidance_field="true_cfg_scale",
        variant_count=3,
        created_at=NOW - timedelta(seconds=40),
    )
    view = views.JobView(
        id=generation.id,
        status=status,
        error=error,
        variant_count=3,
        seeds=[7, 8, 9],
        created_at=NOW - timedelta(seconds=40),
        started_at=NOW - timedelta(seconds=12),
        finished_at=None,
        images=images or {},
        variant_errors=errors or {},
        ahead=ahead,
        cancel_requested=False,
        prompt=generation.prompt,
        model_profile="demo",
        variants=variants or {},
    )
    return views.Run(view, generation)


def image(variant: int) -> SavedImage:
    return SavedImage(id=f"{variant}" * 32, variant=variant, seed=7 + variant, width=1360, height=768, filename="x.png")


def test_a_running_run_shows_each_variant_with_elapsed_time_and_the_progress_the_service_reports():
    run = a_run(
        images={0: image(0)},
        variants={
            1: tasks.VariantState(status="running", label="Being generated", fraction=0.42, preview_version="abc123")
        },
    )
    card = run_card(run, labels={"demo": "Demo renderer"}, language="en", now=NOW)
    first, second, third = card.variants
    assert (first.status, first.image_id, first.seed) == (DONE, "0" * 32, 7)
    assert (second.status, second.elapsed_s, second.phase, second.progress) == (PENDING, 12, "running", 42)
    assert (third.status, third.progress, third.preview_path) == (PENDING, -1, "")
    # The service's live preview, by URL (served to the owner only), changing with each new one.
    assert second.preview_path == f"private/previews/{'g' * 32}/1?v=abc123"
    assert card.image_ids == ["0" * 32]
    assert card.active and card.error == ""
    # The configured model's name, never the served id, and no API field names.
    assert card.model == "Demo renderer"
    assert card.parameters == "1360 × 768 px · 20 steps · CFG scale 4.5"
    assert "true_cfg_scale" not in card.parameters
    assert card.seeds == "seeds 7–9"


def test_a_waiting_run_says_its_place_and_a_failed_one_why_in_the_users_language():
    token = i18n.current_language.set("de")
    try:
        waiting = run_card(a_run(GenerationStatus.QUEUED, ahead=2), labels={}, language="de", now=NOW)
        failed = run_card(
            a_run(GenerationStatus.FAILED, error=InferenceError(ErrorKind.UNREACHABLE).english_message),
            labels={},
            language="de",
            now=NOW,
        )
    finally:
        i18n.current_language.reset(token)
    assert waiting.notice == "Warten auf den Bildserver: 2 vor Ihnen."
    assert waiting.parameters == "1360 × 768 px · 20 Schritte · CFG-Skala 4,5"
    assert waiting.model == "served/model-id"
    # Waiting is not working: no clock counts for images nobody is making yet.
    assert [(card.status, card.phase, card.elapsed_s) for card in waiting.variants] == [(PENDING, WAITING, 0)] * 3
    assert not failed.active and failed.error.startswith("Der Bilddienst antwortet nicht.")
    assert all(card.status == FAILED for card in failed.variants)
    assert failed.can_retry and not waiting.can_retry


def test_a_very_long_prompt_is_shortened_in_the_feed():
    run = a_run()
    run.generation.prompt = "a harbour at dawn " * 300
    long = views.Run(dataclasses.replace(run.view, prompt=run.generation.prompt), run.generation)
    card = run_card(long, labels={}, language="en", now=NOW)
    assert len(card.prompt) == PROMPT_SHOWN and card.prompt.endswith("…")
    assert card.prompt.startswith("a harbour at dawn a harbour")
