"""What an adapter says it sent is what the service received, and its credentials reach only the API:
every adapter against the strict demo flavors, which refuse fields a route does not take and the
API's key on the result-delivery host."""

import asyncio

import httpx
import pytest

from bildgen.inference import providers
from bildgen.inference.providers.base import settings_in
from tests.unit.inference.providers.conftest import inject, profile_for, request

# A user:password pair, as AUTOMATIC1111 takes it; the others take it as one token.
KEY = "bildgen:the-api-key"
# BFL's size and guidance range (guidance 1.5–5).
BFL_SIZE = {"width": 1024, "height": 768, "guidance": 3.5, "guidance_field": "guidance"}


def generated_with(profile, image_request):
    """Generate once; what the adapter reports it sends for the request."""

    async def run():
        async with asyncio.timeout(60), providers.adapter_for(profile) as adapter:
            model = await adapter.served_model()
            await adapter.generate(image_request, model=model.id)
            return adapter.sent_fields(image_request)

    return asyncio.run(run())


def generation_posts(server):
    return [
        entry
        for entry in server.app.state.log.entries
        if entry["method"] == "POST" and not entry["path"].startswith(("/_demo", "/text"))
    ]


# (flavor, demo options, profile fields, request fields, the settings the service takes)
CASES = {
    "openai-compatible": ("vllm-omni", {}, {"provider": "openai-compatible", "family": "qwen-image"}, {}, None),
    "automatic1111": ("automatic1111", {}, {"provider": "automatic1111"}, {"negative": "blurry"}, None),
    "bfl flux-dev": (
        "bfl",
        {},
        {"provider": "bfl", "served_name": "flux-dev"},
        BFL_SIZE | {"width": 1024, "height": 768},
        None,
    ),
    "bfl flux-2-pro": (
        "bfl",
        {},
        {"provider": "bfl", "served_name": "flux-2-pro"},
        BFL_SIZE,
        {"seed"},
    ),
    "gpt-image": (
        "openai",
        {"model_id": "gpt-image-1"},
        {"provider": "openai", "served_name": "gpt-image-1"},
        {"width": 1024, "height": 1024},
        set(),
    ),
    **{
        f"gateway {route}": ("gateway", {}, {"provider": "gateway", "route": route}, fields, takes)
        for route, fields, takes in (
            ("qwen", {"width": 1328, "height": 1328}, {"seed"}),
            ("flux", {"width": 1024, "height": 768}, {"seed"}),
            ("gemini-3", {"width": 1024, "height": 1024}, set()),
            ("gpt-image", {"width": 1024, "height": 1024}, set()),
            (
                "automatic1111",
                {"width": 512, "height": 512, "negative": "blurry"},
                {"steps", "guidance", "negative_prompt"},
            ),
        )
    },
}


@pytest.mark.parametrize("case", CASES)
def test_each_adapter_reports_the_recipe_settings_the_service_received(case, flavor_server, monkeypatch):
    flavor, options, fields, asked, takes = CASES[case]
    monkeypatch.setenv("TEST_KEY", KEY)
    server = flavor_server(flavor, api_key=KEY, **options)
    profile = profile_for(server, api_key_env="TEST_KEY", **fields)
    reported = generated_with(profile, request(**asked))
    [post] = generation_posts(server)
    assert reported == settings_in(post["body"])
    if takes is not None:
        assert reported == takes
    # The form offers only what is sent: no seed field where no seed goes out.
    assert profile.capabilities().seed == ("seed" in reported)


# Adapters whose answers point at a URL to download, and the demo path that serves it.
DOWNLOADS = {
    "bfl": ("bfl", {}, {"provider": "bfl", "served_name": "flux-dev"}, BFL_SIZE, "/v1/delivery/"),
    "gateway qwen": (
        "gateway",
        {},
        {"provider": "gateway", "route": "qwen"},
        {"width": 1328, "height": 1328},
        "/v2/files/",
    ),
    "gateway gpt-image": (
        "gateway",
        {},
        {"provider": "gateway", "route": "gpt-image"},
        {"width": 1024, "height": 1024},
        "/v2/files/",
    ),
    "openai-compatible": ("sglang", {}, {"provider": "openai-compatible"}, {}, "/v1/images/"),
}


@pytest.mark.parametrize("case", DOWNLOADS)
def test_result_urls_are_downloaded_without_the_services_credentials(case, flavor_server, monkeypatch):
    flavor, options, fields, asked, delivery = DOWNLOADS[case]
    monkeypatch.setenv("TEST_KEY", KEY)
    server = flavor_server(flavor, api_key=KEY, **options)
    if flavor == "sglang":
        inject(server, "url-answers")
    profile = profile_for(server, api_key_env="TEST_KEY", **fields)
    generated_with(profile, request(**asked))
    downloads = [e for e in server.app.state.log.entries if e["method"] == "GET" and delivery in e["path"]]
    assert downloads  # the image came by URL, and the delivery host took the request
    assert server.app.state.demo.violations == []


@pytest.mark.parametrize("header", ["x-key", "Authorization"])
def test_the_demo_delivery_host_refuses_the_api_key_as_a_violation(flavor_server, header):
    """The strict demo can fail a test: the API's key on a result URL is refused and noted."""
    server = flavor_server("bfl", api_key=KEY)
    answer = httpx.get(server.origin + "/v1/delivery/nothing", headers={header: KEY})
    assert answer.status_code == 400
    [violation] = server.app.state.demo.violations
    assert "credentials" in violation["rule"]
    server.app.state.demo.violations.clear()  # seen: the fixture's check is for the adapters


def test_the_strict_gateway_refuses_a_field_its_route_does_not_take(flavor_server):
    server = flavor_server("gateway", api_key=KEY)
    answer = httpx.post(
        server.origin + "/v2/automatic1111/sdapi/v1/txt2img",
        json={"prompt": "a fox", "seed": 3},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 400
    assert "seed" in answer.json()["error"]["message"]
    assert [v["rule"] for v in server.app.state.demo.violations] == ["unknown field 'seed'"]
    server.app.state.demo.violations.clear()
