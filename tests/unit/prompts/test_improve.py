"""Improve prompt through a real chat-completions server: the instruction suits the image model family."""

import asyncio

import pytest

from bildgen.inference.demo import chat
from bildgen.inference.profiles import TextModelProfile
from bildgen.prompts.improve import improved


@pytest.fixture
def writer(serve):
    demo = chat.DemoWriter()
    server = serve(chat.create_app(demo))
    base = server.base_url.removesuffix("/v1") + "/text/v1"
    return demo, TextModelProfile(id="w", label="Writer", base_url=base)


def test_the_prompt_comes_back_rewritten_and_the_instruction_names_the_family(writer):
    demo, profile = writer
    better = asyncio.run(improved(profile, "a fox in snow", family="flux2"))
    assert better.startswith("a fox in snow, ") and better == chat.rewrite("a fox in snow")
    system, user = demo.requests[-1]["messages"]
    assert "FLUX.2" in system["content"] and "never what should not" in system["content"]
    assert user == {"role": "user", "content": "a fox in snow"}
    asyncio.run(improved(profile, "a sign saying OPEN", family="qwen-image"))
    assert "double quotes" in demo.requests[-1]["messages"][0]["content"]


@pytest.mark.parametrize("prompt", ["", "   ", "x" * 2001])
def test_empty_or_overlong_prompts_are_refused_before_anything_is_sent(writer, prompt):
    demo, profile = writer
    with pytest.raises(ValueError):
        asyncio.run(improved(profile, prompt, family="generic"))
    assert demo.requests == []
