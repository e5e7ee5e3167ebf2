"""Checking a batch against each item's model before anything is sent."""

from bildgen.batches.items import BatchItem, ItemFields
from bildgen.batches.plan import find_profile, plan


def test_item_beats_batch_and_the_models_own_defaults_fill_the_rest(catalog):
    items = [BatchItem("a fox", ItemFields(steps="12", seed="7")), BatchItem("a wolf")]
    checked = plan(items, ItemFields(steps="30", negative_prompt="blurry", count="2"), catalog)
    assert checked.ok
    fox, wolf = checked.items
    assert (fox.parameters.steps, fox.seed, fox.count) == (12, 7, 2)
    assert (wolf.parameters.steps, wolf.seed, wolf.count) == (30, None, 2)
    # Qwen-Image's first size and its real CFG with the negative prompt.
    assert (wolf.parameters.width, wolf.parameters.height) == (1328, 1328)
    assert wolf.parameters.negative_prompt == "blurry"
    assert checked.image_count == 4


def test_a_model_without_negative_prompts_gets_none_sent(catalog):
    checked = plan([BatchItem("a fox", ItemFields(model="flux", negative_prompt="blurry"))], ItemFields(), catalog)
    assert checked.ok
    assert checked.items[0].profile_id == "flux"
    assert checked.items[0].parameters.negative_prompt is None
    assert "negative_prompt" not in checked.items[0].parameters.diffusion_fields()


def test_size_rules_name_the_row_and_the_field(catalog):
    items = [
        BatchItem("fine"),
        BatchItem("odd width", ItemFields(width="1000")),
        BatchItem("too tall", ItemFields(height="4096")),
        BatchItem("too many", ItemFields(count="5")),
    ]
    checked = plan(items, ItemFields(), catalog)
    assert not checked.ok
    assert sorted(checked.row_problems) == [1, 2, 3]
    assert checked.row_problems[1] == ["Width must be a multiple of 16 from 256 to 2048."]
    assert checked.row_problems[2] == ["Height must be a multiple of 16 from 256 to 2048."]
    assert checked.row_problems[3] == ["Images must be 1 to 4."]
    assert "Row 2: Width must be a multiple of 16" in checked.summary()


def test_a_bad_default_is_named_once_not_on_every_row(catalog):
    checked = plan(
        [BatchItem("a"), BatchItem("b"), BatchItem("c", ItemFields(steps="20"))], ItemFields(steps="999"), catalog
    )
    assert checked.problems == ["Batch defaults: Steps must be a whole number from 1 to 200."]
    assert checked.row_problems == {}
    assert not checked.ok


def test_unknown_models_and_empty_prompts_are_refused_per_row(catalog):
    checked = plan(
        [BatchItem("a", ItemFields(model="sdxl")), BatchItem("   ")], ItemFields(model="stable-diffusion"), catalog
    )
    assert checked.problems[0] == "Batch model 'stable-diffusion' is not offered here (one of: Qwen-Image, FLUX.2)."
    assert checked.row_problems[0] == ["Model 'sdxl' is not offered here (one of: Qwen-Image, FLUX.2)."]
    assert checked.row_problems[1] == ["The prompt is empty."]


def test_models_are_found_by_profile_id_label_or_served_name(catalog):
    assert find_profile(catalog, "flux").id == "flux"
    assert find_profile(catalog, "flux.2").id == "flux"
    assert find_profile(catalog, "FLUX.2-dev").id == "flux"
    assert find_profile(catalog, "black-forest-labs/FLUX.1") is None


def test_an_empty_batch_is_refused(catalog):
    assert plan([], ItemFields(), catalog).problems == ["The batch has no prompts."]
