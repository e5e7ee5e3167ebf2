import pytest

from bildgen.params import FAMILIES, effective, variant_seeds


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
