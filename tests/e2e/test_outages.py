"""Short outages of Redis and PostgreSQL under a running app (one build served as in production,
with Redis holding the tabs' state): an open studio tab says it is reconnecting, then shows its run
finishing, by itself. The servers are private ones the test stops and starts (tests/databases.py)."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.databases import PrivatePostgres, PrivateRedis, postgres_binaries
from tests.e2e.conftest import sign_up
from tests.servers import AppProcess, DemoServerProcess, build_frontend

pytestmark = pytest.mark.skipif(postgres_binaries() is None, reason="needs PostgreSQL's server binaries")

# Long enough that each run is still rendering when its outage begins.
LATENCY_S = 6.0
GAVE_UP = "task exceeded exception limit"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    postgres = PrivatePostgres().init().start()
    redis = PrivateRedis(tmp_path_factory.mktemp("redis")).start()
    inference = DemoServerProcess(latency=LATENCY_S).start()
    try:
        yield postgres, redis, inference
    finally:
        inference.stop()
        redis.stop()
        postgres.remove()


@pytest.fixture(scope="module")
def app(servers, tmp_path_factory):
    postgres, redis, inference = servers
    root = tmp_path_factory.mktemp("outages")
    config = root / "bildgen.toml"
    config.write_text(
        f'default_model = "demo"\n\n[models.demo]\nlabel = "Demo"\nbase_url = "{inference.base_url}"\nfamily = "generic"\n'
    )
    instance = AppProcess(data_dir=root / "data", config=config)
    # The build names the address its pages' websocket connects to: this instance's.
    public = {"REFLEX_API_URL": instance.url, "BILDGEN_ORIGINS": instance.url}
    instance.web_dir = build_frontend(root / "web", data_dir=root / "build-data", extra_env=public)
    instance.extra_env = {
        **public,
        "REFLEX_DB_URL": postgres.create_database("bildgen"),
        "REFLEX_REDIS_URL": redis.url,
        "BILDGEN_WORKERS": "1",
    }
    instance.start()
    yield instance
    instance.stop()


def start_run(page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status", name="Image 1 is being generated")).to_be_visible()


def wait_for_log(instance: AppProcess, text: str, *, after: int) -> None:
    wait_until(lambda: text in instance.log_path.read_text()[after:], what=f"the app logs {text!r}")


def test_a_studio_tab_shows_its_run_finishing_after_redis_restarts(app, servers, page):
    _, redis, _ = servers
    sign_up(page, app.url)
    start_run(page, "through a Redis restart")
    logged = len(app.log_path.read_text())
    redis.stop()
    # Down until Reflex's own Redis listener has given up (5 errors, 1 s apart), as in a longer restart.
    wait_for_log(app, GAVE_UP, after=logged)
    redis.start()
    image = page.get_by_role("img", name=re.compile(r"^Generated image 1,"))
    expect(image).to_be_visible(timeout=60_000)
    # The tab goes on working: a second run, after the outage, finishes too.
    page.get_by_label("Prompt", exact=True).fill("after the Redis restart")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("article").first.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(
        timeout=60_000
    )
    expect(page.get_by_role("article").first).to_contain_text("after the Redis restart")


def test_a_studio_tab_says_it_is_reconnecting_while_postgresql_is_down_and_then_shows_the_image(app, servers, page):
    postgres, _, _ = servers
    sign_up(page, app.url)
    start_run(page, "through a PostgreSQL restart")
    postgres.stop()
    try:
        expect(page.get_by_role("status").filter(has_text="Reconnecting to the database…")).to_be_visible(
            timeout=30_000
        )
        # Down until the image has arrived: it waits in the spool.
        wait_until(lambda: spooled(app), what="the image kept in the spool")
    finally:
        postgres.start()
    # The image rendered meanwhile is recorded and shown, the run ends well, and the notice goes.
    expect(page.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="Reconnecting to the database…")).to_have_count(0)
    expect(page.get_by_role("article").first).not_to_contain_text("could not be saved")
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    wait_until(lambda: not spooled(app), what="the spool emptied")


def spooled(instance: AppProcess) -> list:
    return list((instance.data_dir / "spool").glob("*.json"))


def wait_until(condition, *, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")
