import pytest

from bildgen.params import FAMILIES, FormChoices, Limits, effective, resolve, variant_seeds


def test_variant_seeds_count_up_from_the_base_and_wrap():
    assert variant_seeds(3, base_seed=2**32 - 2) == [2**32 - 2, 2**32 - 1, 0]


def test_random_seeds_fit_the_servers_range():
    for _ in range(100):
        seeds = variant_seeds(4)
        assert all(0 <= seed < 2**32 for seed in seeds)


@pytest.mark.parametrize("count", [0, 5])
def test_only_one_to_four_variants(count):
    with pytest.raises(ValueError):
        variant_seeds(count)


def test_qwen_image_sends_true_cfg_with_a_blank_negative_prompt_so_cfg_is_active():
    fields = effective(FAMILIES["qwen-image"]).diffusion_fields()
    assert fields == {"num_inference_steps": 50, "true_cfg_scale": 4.0, "negative_prompt": " "}


def test_qwen_image_sends_the_users_negative_prompt():
    assert effective(FAMILIES["qwen-image"], negative_prompt="blurry").diffusion_fields()["negative_prompt"] == "blurry"


def test_flux2_never_sends_a_negative_prompt_or_true_cfg():
    fields = effective(FAMILIES["flux2"], negative_prompt="blurry").diffusion_fields()
    assert fields == {"num_inference_steps": 50, "guidance_scale": 4.0}


def test_qwen_image_edit_adds_its_recommended_guidance_scale():
    fields = effective(FAMILIES["qwen-image-edit"]).diffusion_fields()
    assert fields["num_inference_steps"] == 40 and fields["guidance_scale"] == 1.0 and fields["true_cfg_scale"] == 4.0


def test_every_family_size_is_a_multiple_of_16():
    for traits in FAMILIES.values():
        assert all(width % 16 == 0 and height % 16 == 0 for width, height in traits.sizes)


def test_presets_pick_the_family_size_closest_to_their_aspect_ratio():
    qwen = FAMILIES["qwen-image"]
    assert resolve(qwen, FormChoices(mode="landscape")).summary().startswith("1664 × 928 px")
    assert resolve(qwen, FormChoices(mode="portrait")).preset_size == (928, 1664)
    assert resolve(FAMILIES["flux2"], FormChoices(mode="landscape")).preset_size == (1360, 768)


def test_mode_presets_set_the_image_count():
    assert [
        resolve(FAMILIES["generic"], FormChoices(mode=mode)).count for mode in ("square", "landscape", "variations")
    ] == [1, 2, 4]


def test_quality_presets_set_steps_per_family():
    flux = FAMILIES["flux2"]
    steps = [resolve(flux, FormChoices(quality=quality)).parameters.steps for quality in ("draft", "balanced", "best")]
    assert steps == [16, 28, 50]


def test_manual_values_win_over_presets_and_mark_them_modified():
    resolved = resolve(FAMILIES["flux2"], FormChoices(mode="square", quality="draft", width="768", steps="33"))
    assert (resolved.parameters.width, resolved.parameters.height, resolved.parameters.steps) == (768, 1024, 33)
    assert resolved.mode_modified and resolved.quality_modified
    untouched = resolve(FAMILIES["flux2"], FormChoices(mode="square", quality="draft"))
    assert not untouched.mode_modified and not untouched.quality_modified


def test_typing_the_presets_own_value_is_not_a_modification():
    assert not resolve(FAMILIES["flux2"], FormChoices(mode="square", width="1024", count="1")).mode_modified


def test_choosing_how_many_images_leaves_the_mode_preset_unmodified():
    # The Images control is its own field beside the preset (issue 15, bug 4): the preset only
    # suggests a count, so picking another one is not a change of the preset.
    resolved = resolve(FAMILIES["generic"], FormChoices(mode="square", count="2"))
    assert resolved.count == 2
    assert not resolved.mode_modified


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("width", "1000"),
        ("width", "4096"),
        ("height", "abc"),
        ("steps", "0"),
        ("steps", "201"),
        ("guidance", "-1"),
        ("seed", "-5"),
        ("seed", str(2**32)),
        ("count", "5"),
    ],
)
def test_invalid_overrides_are_reported_per_field(field, text):
    resolved = resolve(FAMILIES["generic"], FormChoices(**{field: text}))
    assert field in resolved.problems


def test_the_summary_states_exactly_what_will_be_sent():
    resolved = resolve(
        FAMILIES["qwen-image"], FormChoices(mode="landscape", quality="best", seed="7", negative_prompt="blurry")
    )
    assert resolved.summary() == "1664 × 928 px · 50 steps · CFG scale 4 · 2 images · seed 7–8 · negative prompt"
    assert resolved.parameters.diffusion_fields() == {
        "num_inference_steps": 50,
        "true_cfg_scale": 4.0,
        "negative_prompt": "blurry",
    }


def test_the_summary_shows_only_what_the_model_takes_in_its_own_words():
    resolved = resolve(FAMILIES["flux2"], FormChoices(seed="3"))
    assert resolved.summary() == "1024 × 1024 px · 28 steps · Guidance 4 · 1 image · seed 3"
    assert (
        resolved.summary(guidance_label="CFG scale", steps=False, seed=False)
        == "1024 × 1024 px · CFG scale 4 · 1 image"
    )


def test_a_services_own_limits_decide_what_may_be_typed():
    bfl = Limits(size_step=32, min_side=256, max_side=1440, max_steps=50, guidance_range=(1.5, 5.0))
    resolved = resolve(FAMILIES["generic"], FormChoices(width="1008", height="1440", steps="60", guidance="1"), bfl)
    assert resolved.problems == {
        "width": "Width must be a multiple of 32 from 256 to 1440.",
        "steps": "Steps must be a whole number from 1 to 50.",
        "guidance": "Guidance must be a number from 1.5 to 5.",
    }
    assert resolve(FAMILIES["generic"], FormChoices(width="1008"), Limits()).problems == {}
