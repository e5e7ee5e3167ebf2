"""The studio form's display half as a pure view model: what it shows follows the model that will
serve the run, without Reflex."""

from __future__ import annotations

import dataclasses

from bildgen.generation.form_view import FormView, form_view, settings_not_taken
from bildgen.generation.plan import draft
from bildgen.inference.capabilities import OptionChoices
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.params import FormChoices
from bildgen.state.studio import StudioState, form_input

URL = "http://127.0.0.1:9/v1"
PROFILES = [
    ModelProfile(id="qwen", label="Qwen-Image", base_url=URL, family="qwen-image", max_references=1),
    ModelProfile(id="gpt-image", label="GPT Image", base_url=URL, provider="openai", served_name="gpt-image-1"),
    ModelProfile(id="flux-dev", label="FLUX.1 [dev]", base_url=URL, provider="bfl", served_name="flux-dev"),
]
CATALOG = Catalog(default_model="qwen", models={profile.id: profile for profile in PROFILES})


def shown(model: str, *, references: int = 0, **choices: str) -> FormView:
    given = form_input(
        CATALOG,
        model_id=model,
        prompt="a fox",
        choices=FormChoices(**choices),
        options=OptionChoices(),
        references=references,
    )
    return form_view(draft(CATALOG, given), references=references)


def test_gpt_image_shows_no_seed_steps_or_guidance_and_names_the_cloud():
    view = shown("gpt-image", seed="7")
    assert (view.takes_seed, view.takes_steps, view.takes_guidance) == (False, False, False)
    assert view.serving_label == "GPT Image" and view.cloud
    assert "seed" not in view.effective_summary.lower() and "steps" not in view.effective_summary.lower()
    assert settings_not_taken(CATALOG.models["gpt-image"].capabilities()) == ["seed", "steps", "guidance"]


def test_a_diffusion_model_shows_its_settings_and_what_the_presets_give():
    view = shown("qwen", seed="7", steps="30")
    assert (view.takes_seed, view.takes_steps, view.takes_guidance) == (True, True, True)
    assert "seed 7" in view.effective_summary and "30" in view.effective_summary
    assert view.preset_steps and view.count_shown == "1" and view.problems == {}
    assert settings_not_taken(CATALOG.models["qwen"].capabilities()) == []


def test_bfl_sizes_go_in_steps_of_32_and_another_size_is_a_problem_of_the_width():
    view = shown("flux-dev", width="1008", height="1008")
    assert view.size_step == 32
    assert "width" in view.problems


def test_too_many_references_is_left_to_generate_not_shown_as_a_setting_problem():
    given = form_input(
        CATALOG, model_id="qwen", prompt="a fox", choices=FormChoices(), options=OptionChoices(), references=3
    )
    drafted = draft(CATALOG, given)
    assert "references" in drafted.problems
    assert "references" not in form_view(drafted, references=3).problems


def test_every_field_of_the_view_is_a_var_of_the_studio_state():
    assert {field.name for field in dataclasses.fields(FormView)} <= set(StudioState.base_vars)
