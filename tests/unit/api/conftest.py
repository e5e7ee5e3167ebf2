import contextlib
import io
import time

import httpx
import openai
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.routing import Mount

from bildgen.admin import profiles
from bildgen.auth import api_tokens
from bildgen.http import create_api
from bildgen.inference.demo.server import BackgroundServer
from tests.servers import free_port
from tests.unit.conftest import make_user

SMALL = "256x256"


class Bildgen:
    """bildgen's HTTP routes served on 127.0.0.1 with this process's job runner in the same event loop,
    as one worker serves them (services from `fresh_services`)."""

    def __init__(self, services_module, port: int) -> None:
        self.module = services_module
        self.port = port  # kept across restarts: it is the configured public address
        self.server: BackgroundServer | None = None
        self.admin = None  # the administrator who changes profiles, made on first use

    def start(self) -> "Bildgen":
        services_module = self.module

        @contextlib.asynccontextmanager
        async def lifespan(_app):
            async with services_module.running_services():
                yield

        app = Starlette(lifespan=lifespan, routes=[Mount("", app=create_api())])
        self.server = BackgroundServer(app, port=self.port, lifespan="on").start()
        return self

    def stop(self) -> None:
        """As a worker stops: its runner stops its jobs (interrupted, saved images kept)."""
        self.server.stop(graceful=True)

    def restart(self) -> "Bildgen":
        """Stop, then start a new process's worth of services on the same data folder and database."""
        old = self.services
        self.stop()
        if old.demo_server:
            old.demo_server.stop()
        old.engine.dispose()
        self.module._build.cache_clear()
        return self.start()

    @property
    def services(self):
        return self.module.get_services()

    @property
    def base_url(self) -> str:
        return self.server.base_url  # http://127.0.0.1:PORT/v1

    @property
    def origin(self) -> str:
        return self.base_url.removesuffix("/v1")

    def user_and_token(self, username: str):
        user = make_user(self.services.engine, username)
        _, token = api_tokens.create(self.services.engine, user=user, name=f"{username}'s script", expires_in_days=None)
        return user, token

    def _admin(self):
        if self.admin is None:
            self.admin = make_user(self.services.engine, "root")
        return self.admin

    def add_profile(self, label: str, **config) -> str:
        """A profile an administrator adds in the Admin area, served by the demo server; its id."""
        services = self.services
        config = {"label": label, "base_url": services.demo_server.base_url, "family": "generic", **config}
        profile_id = profiles.create(services.engine, services.config.refresh(), config, actor_id=self._admin().id)
        services.config.refresh()
        return profile_id

    def set_profile_enabled(self, profile_id: str, enabled: bool) -> None:
        """As an administrator switches a profile on or off in the Admin area."""
        services = self.services
        profiles.set_enabled(services.engine, services.config.refresh(), profile_id, enabled, actor_id=self._admin().id)
        services.config.refresh()

    def sdk(self, token: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=token, max_retries=0, timeout=60)

    def http(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url + "/", headers=headers, timeout=60)

    def fault(self, fault: str, times: int = 1) -> None:
        """The demo inference server misbehaves for the next `times` generation requests."""
        root = self.services.demo_server.base_url.removesuffix("/v1")
        httpx.post(f"{root}/_demo/fault", json={"fault": fault, "times": times}, timeout=5).raise_for_status()

    def demo_requests(self) -> list[dict]:
        return self.services.demo_server.app.state.log.entries


@pytest.fixture
def bildgen(fresh_services, monkeypatch):
    port = free_port()
    monkeypatch.setenv("BILDGEN_ORIGINS", f"http://127.0.0.1:{port}")
    server = Bildgen(fresh_services, port).start()
    yield server
    server.stop()


def png(width: int = 300, height: int = 200, colour=(200, 30, 30)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(output, format="PNG")
    return output.getvalue()


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def poll(client: httpx.Client, url: str, until, timeout: float = 30.0) -> dict:
    """GET the task until `until(task)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url)
        if response.status_code == 429:  # the token's request bucket: wait as told
            time.sleep(int(response.headers["retry-after"]))
            continue
        task = response.json()
        if until(task):
            return task
        if time.monotonic() > deadline:
            raise TimeoutError(f"task still {task.get('status')}: {task}")
        time.sleep(0.25)
