import pytest

from bildgen.params import defaults_for, variant_seeds


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


def test_each_family_sends_its_own_guidance_field():
    assert defaults_for("qwen-image").diffusion_fields() == {"num_inference_steps": 50, "true_cfg_scale": 4.0}
    assert defaults_for("flux2").diffusion_fields() == {"num_inference_steps": 50, "guidance_scale": 4.0}
