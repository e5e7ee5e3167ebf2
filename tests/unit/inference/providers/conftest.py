"""Adapters against the demo server's provider flavors, over real HTTP on 127.0.0.1."""

import asyncio
import time

import httpx
import pytest

from bildgen.inference import providers
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import ModelProfile
from bildgen.params import EffectiveParameters

# Where each flavor's API lives under the server's origin.
API_ROOT = {
    "automatic1111": "",
    "bfl": "/v1",
    "gateway": "/v2",
    "openai": "/v1",
    "vllm-omni": "/v1",
    "sglang": "/v1",
    "upscaler": "",
}


@pytest.fixture
def flavor_server():
    servers = []

    def start(flavor: str, **options):
        options.setdefault("latency_per_image", 0.0)
        servers.append(start_demo_server(DemoOptions(flavor=flavor, **options)))
        return servers[-1]

    yield start
    # The demo flavors are as strict as the services: every request of every test kept the rules
    # (no field a route does not take, no key on the result-delivery host).
    violations = [entry for server in servers for entry in server.app.state.demo.violations]
    for server in servers:
        server.stop()
    assert violations == []


def profile_for(server, provider: str, **fields) -> ModelProfile:
    root = API_ROOT[server.app.state.demo.options.flavor]
    fields.setdefault("deadline_s", 20)
    return ModelProfile(id="p", label="P", base_url=server.origin + root, provider=provider, **fields)


class Recorder:
    """The events an adapter reports: saved task handles and progress, in order."""

    def __init__(self) -> None:
        self.handles = []
        self.reports = []

    async def started(self, handle) -> None:
        self.handles.append(handle)

    async def progress(self, report) -> None:
        self.reports.append(report)


def parameters(width=512, height=512, steps=12, guidance=6.5, guidance_field="cfg_scale", negative=None):
    return EffectiveParameters(
        width=width,
        height=height,
        steps=steps,
        guidance=guidance,
        guidance_field=guidance_field,
        negative_prompt=negative,
    )


def request(prompt="a red fox", *, seed=21, references=(), mask=None, options=None, **parameter_fields):
    return providers.ProviderRequest(
        prompt=prompt,
        parameters=parameters(**parameter_fields),
        seed=seed,
        references=tuple(references),
        mask=mask,
        options=options or {},
    )


def generate(profile, image_request, *, events=None, api_key=None):
    async def run():
        async with asyncio.timeout(60), providers.adapter_for(profile, api_key=api_key) as adapter:
            model = await adapter.served_model()
            return await adapter.generate(image_request, model=model.id, events=events or Recorder())

    return asyncio.run(run())


def probe(profile, api_key=None):
    return asyncio.run(providers.probe(profile, api_key=api_key))


def inject(server, fault: str, times: int = 1) -> None:
    answer = httpx.post(server.origin + "/_demo/fault", json={"fault": fault, "times": times})
    assert answer.status_code == 200, answer.text


def logged(server, path_part: str, method: str = "POST") -> list[dict]:
    return [entry for entry in server.app.state.log.entries if entry["method"] == method and path_part in entry["path"]]


def wait_for(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the condition never held")
