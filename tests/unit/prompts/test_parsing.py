"""Prompt lists and single prompts read out of what chat models really write."""

import pytest

from bildgen.batches.items import MAX_PROMPT_CHARS
from bildgen.prompts.parsing import prompt_list, single_prompt


@pytest.mark.parametrize(
    "answer",
    [
        '{"prompts": ["a neon alley", "a rainy rooftop", "a robot vendor"]}',
        '["a neon alley", "a rainy rooftop", "a robot vendor"]',
        'Sure! Here you go:\n```json\n{"prompts": ["a neon alley", "a rainy rooftop", "a robot vendor"]}\n```\nEnjoy!',
        '<think>The user wants cyberpunk. {"prompts": ["wrong"]} Let me write.</think>\n'
        '{"prompts": ["a neon alley", "a rainy rooftop", "a robot vendor"]}',
        'Here are 3 prompts about cyberpunk:\n\n1. "a neon alley"\n2. "a rainy rooftop"\n3. a robot vendor\n\n'
        "Let me know if you want more.",
        "- a neon alley\n- a rainy rooftop\n* a robot vendor",
        '[{"prompt": "a neon alley"}, {"prompt": "a rainy rooftop"}, {"title": "x", "prompt": "a robot vendor"}]',
        '{"result": ["a neon alley", "a rainy rooftop", "a robot vendor"]}',
    ],
)
def test_prompt_lists_are_read_from_clean_json_fenced_json_reasoning_and_numbered_lists(answer):
    assert prompt_list(answer, limit=10) == ["a neon alley", "a rainy rooftop", "a robot vendor"]


def test_duplicates_empties_and_extras_are_dropped_and_long_prompts_cut():
    answer = '{"prompts": ["a fox", "A fox", "", "  ", "a wolf", "' + "x" * 5000 + '", "an owl"]}'
    prompts = prompt_list(answer, limit=3)
    assert prompts[:2] == ["a fox", "a wolf"]
    assert len(prompts) == 3 and len(prompts[2]) == MAX_PROMPT_CHARS


def test_nothing_usable_gives_an_empty_list():
    assert prompt_list("", limit=5) == []
    assert prompt_list("<think>only thinking</think>", limit=5) == []
    assert prompt_list('{"prompts": [1, 2, null]}', limit=5) == []


def test_a_truncated_reasoning_block_does_not_become_prompts():
    assert prompt_list("<think>I will write about foxes\nand wolves</think>\n1. a fox", limit=5) == ["a fox"]


@pytest.mark.parametrize(
    "answer",
    [
        "a fox in fresh snow at dawn, soft light",
        '"a fox in fresh snow at dawn, soft light"',
        "Improved prompt: a fox in fresh snow at dawn, soft light",
        "Sure! Here is the improved prompt:\n\na fox in fresh snow at dawn, soft light",
        "```\na fox in fresh snow at dawn, soft light\n```",
        '<think>make it vivid</think>{"prompt": "a fox in fresh snow at dawn, soft light"}',
    ],
)
def test_a_single_rewritten_prompt_is_read_without_labels_quotes_or_chatter(answer):
    assert single_prompt(answer) == "a fox in fresh snow at dawn, soft light"
