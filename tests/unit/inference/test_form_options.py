"""Provider options from the studio's form: only what the model takes, checked at the field."""

from bildgen.inference.capabilities import Capabilities, OptionChoices, chosen_options, describe_options

BFL = Capabilities(prompt_upsampling=True, safety_tolerance=True, aspect_ratios=("1:1", "16:9"), cloud="BFL")
A1111 = Capabilities(denoising_strength=True, masks=True)


def test_only_what_the_model_takes_and_the_user_set_is_sent():
    choices = OptionChoices(
        quality="high", aspect_ratio="16:9", prompt_upsampling=True, safety_tolerance="4", denoising_strength="0.4"
    )
    options, problems = chosen_options(BFL, choices, with_references=True)
    assert (options, problems) == ({"aspect_ratio": "16:9", "prompt_upsampling": True, "safety_tolerance": 4}, {})
    assert chosen_options(BFL, OptionChoices(), with_references=False) == ({}, {})
    assert describe_options(options) == ["Aspect ratio 16:9", "Prompt upsampling", "Safety tolerance 4"]


def test_denoising_strength_counts_only_for_an_edit():
    choices = OptionChoices(denoising_strength="0.35")
    assert chosen_options(A1111, choices, with_references=True) == ({"denoising_strength": 0.35}, {})
    assert chosen_options(A1111, choices, with_references=False) == ({}, {})


def test_wrong_values_get_a_message_at_their_field_and_are_not_sent():
    options, problems = chosen_options(
        BFL, OptionChoices(safety_tolerance="9", aspect_ratio="5:4"), with_references=False
    )
    assert options == {}
    assert problems == {
        "safety_tolerance": "Safety tolerance must be a whole number from 0 (strictest) to 6.",
        "aspect_ratio": "Aspect ratio must be one of 1:1, 16:9.",
    }
    _, problems = chosen_options(A1111, OptionChoices(denoising_strength="lots"), with_references=True)
    assert problems == {"denoising_strength": "Denoising strength must be a number from 0 to 1."}
    _, problems = chosen_options(A1111, OptionChoices(denoising_strength="1.5"), with_references=True)
    assert problems == {"denoising_strength": "Denoising strength must be a number from 0 to 1."}
