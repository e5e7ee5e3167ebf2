"""Prompts from a theme through a real chat-completions server on 127.0.0.1 (the demo's text model
and deliberately broken ones)."""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from bildgen.inference.demo import chat
from bildgen.inference.errors import InferenceError
from bildgen.inference.profiles import TextModelProfile, demo_text_url
from bildgen.prompts.writing import PromptHelpRefused, prompts_about


def writer(base_url: str, **fields) -> TextModelProfile:
    return TextModelProfile(id="writer", label="Writer", base_url=base_url, **fields)


def test_forty_prompts_about_a_theme_come_back_from_the_demo_text_model(demo_server):
    prompts = asyncio.run(prompts_about(writer(demo_text_url(demo_server.base_url)), "Cyberpunk world", 40))
    assert len(prompts) == 40 and len(set(prompts)) == 40
    assert all(prompt.startswith("Cyberpunk world: ") for prompt in prompts)
    # Deterministic: the same theme gives the same list.
    again = asyncio.run(prompts_about(writer(demo_text_url(demo_server.base_url)), "Cyberpunk world", 40))
    assert again == prompts


def test_structured_output_is_asked_for_and_a_server_without_it_is_asked_again_in_plain_text(serve):
    plain = chat.DemoWriter(structured_output=False)
    server = serve(chat.create_app(plain))
    base = server.base_url.removesuffix("/v1") + "/text/v1"
    prompts = asyncio.run(prompts_about(writer(base), "deep sea", 5))
    assert len(prompts) == 5 and all(prompt.startswith("deep sea: ") for prompt in prompts)
    # First with a JSON schema (refused with a 400), then without: the chatty list was parsed.
    assert [("response_format" in request) for request in plain.requests] == [True, False]
    assert plain.requests[0]["response_format"]["json_schema"]["schema"]["properties"]["prompts"]["maxItems"] == 5
    # Remembered: the next request goes without at once.
    asyncio.run(prompts_about(writer(base), "deep sea", 2))
    assert "response_format" not in plain.requests[-1]


def test_a_profile_without_structured_output_never_sends_a_schema(serve):
    demo = chat.DemoWriter()
    server = serve(chat.create_app(demo))
    base = server.base_url.removesuffix("/v1") + "/text/v1"
    assert len(asyncio.run(prompts_about(writer(base, structured_output=False), "tiny houses", 3))) == 3
    assert "response_format" not in demo.requests[0]


@pytest.mark.parametrize("theme, count", [("ab", 5), ("x" * 1001, 5), ("a fine theme", 0), ("a fine theme", 101)])
def test_requests_that_cannot_be_sent_are_refused_before_anything_is_sent(theme, count):
    with pytest.raises(PromptHelpRefused):
        asyncio.run(prompts_about(writer("http://127.0.0.1:9/v1"), theme, count))


def _models(request):
    return JSONResponse({"data": [{"id": "m"}]})


def test_a_server_that_never_answers_is_given_up_at_the_profiles_deadline(serve):
    async def hang(request):
        await asyncio.sleep(30)

    server = serve(
        Starlette(routes=[Route("/v1/models", _models), Route("/v1/chat/completions", hang, methods=["POST"])])
    )

    async def go():
        started = asyncio.get_running_loop().time()
        with pytest.raises(InferenceError) as failure:
            await prompts_about(writer(server.base_url, deadline_s=1.0), "slow theme", 3)
        return failure.value, asyncio.get_running_loop().time() - started

    error, took = asyncio.run(go())
    assert "did not answer in time" in error.user_message and took < 3


def test_a_runaway_answer_is_cut_off_at_the_text_cap(serve):
    async def endless(request):
        async def body():
            yield b'{"choices": [{"message": {"content": "'
            for _ in range(4096):
                yield b"x" * 1024
            yield b'"}}]}'

        return StreamingResponse(body(), media_type="application/json")

    server = serve(
        Starlette(routes=[Route("/v1/models", _models), Route("/v1/chat/completions", endless, methods=["POST"])])
    )
    with pytest.raises(InferenceError, match="larger than bildgen accepts"):
        asyncio.run(prompts_about(writer(server.base_url), "endless theme", 3))


def test_an_answer_without_text_is_a_clear_error(serve):
    async def empty(request):
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": ""}}]})

    server = serve(
        Starlette(routes=[Route("/v1/models", _models), Route("/v1/chat/completions", empty, methods=["POST"])])
    )
    with pytest.raises(InferenceError, match="answered with no text"):
        asyncio.run(prompts_about(writer(server.base_url), "empty theme", 3))


def test_a_stopped_text_model_is_named_as_the_one_not_answering(demo_server):
    """The batch page's "prompts from a theme" (and Improve prompt) say it is the text model that is down."""
    from bildgen.prompts.writing import text_model_problem

    profile = writer(demo_text_url(demo_server.base_url))
    assert asyncio.run(prompts_about(profile, "Cyberpunk world", 2))
    demo_server.stop()
    with pytest.raises(InferenceError) as failure:
        asyncio.run(prompts_about(profile, "Cyberpunk world", 2))
    message = text_model_problem(profile, failure.value)
    assert message.startswith("The text model Writer isn't answering, so nothing was written.")
    assert "image service" not in message
