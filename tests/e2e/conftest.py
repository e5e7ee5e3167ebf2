"""The real app, built and served as in production (`reflex run --env prod`), once per session.

It talks to a demo inference server running as a separate process, through a BILDGEN_CONFIG
file, so tests can take the server down the way a real outage would.
"""

import hashlib
import re
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from bildgen.inference.profiles import demo_text_url
from tests.oidc_provider import OpenIdProvider
from tests.servers import AppProcess, DemoServerProcess

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# How long an expectation waits for the state it expects before it fails. Playwright's 5 s default
# is a bet on how busy the machine is (a loaded 2-core CI machine loses it); waiting longer for a
# state never weakens what is asserted, it only fails later.
EXPECT_TIMEOUT_MS = 20_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)
DEMO_LATENCY_S = 1.0
DEMO_LABEL = "Demo vLLM-Omni"
LEGACY_LABEL = "Demo vLLM-Omni (legacy)"
FLUX_LABEL = "Demo FLUX.2 on SGLang"
QWEN_LABEL = "Demo Qwen-Image (text only)"
A1111_LABEL = "Demo AUTOMATIC1111"
BFL_LABEL = "Demo FLUX.1 [dev] at BFL"
# An AUTOMATIC1111 image takes this long, so that its progress can be seen: its preview shows in the
# second half (demo/automatic1111.py), long enough to be seen on a loaded machine.
A1111_LATENCY_S = 8.0
WRITER_LABEL = "Demo writer"
# The demo server's upscaler (its /upscaler routes), the default for Upscale ×2 / ×4.
UPSCALER_LABEL = "Demo upscaler"


def pytest_addoption(parser):
    parser.addoption(
        "--shard",
        default="1/1",
        help="I/N: run only the I-th of N parts of the collected modules (scripts/test runs the parts side by side)",
    )


def pytest_collection_modifyitems(config, items):
    """Keeps the modules of this session's part. Whole modules, so that no module's servers start twice;
    the largest first, each into the part with the fewest tests so far, so that every module runs in
    exactly one part and the parts are about equally long."""
    index, count = (int(number) for number in config.getoption("--shard").split("/"))
    if count == 1:
        return
    modules = Counter(item.nodeid.split("::")[0] for item in items)
    loads, part_of = [0] * count, {}
    for module, tests in sorted(modules.items(), key=lambda entry: (-entry[1], entry[0])):
        part = loads.index(min(loads))
        part_of[module], loads[part] = part, loads[part] + tests
    mine = [part_of[item.nodeid.split("::")[0]] == index - 1 for item in items]
    config.hook.pytest_deselected(items=[item for item, kept in zip(items, mine, strict=True) if not kept])
    items[:] = [item for item, kept in zip(items, mine, strict=True) if kept]


@pytest.fixture(scope="session")
def demo_server():
    server = DemoServerProcess(latency=DEMO_LATENCY_S).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def legacy_server():
    """A vLLM-Omni build from before 2026: no edits route, edits through chat completions."""
    server = DemoServerProcess(latency=DEMO_LATENCY_S, flavor="vllm-omni-legacy").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def flux_server():
    """FLUX.2-dev behind SGLang, taking one reference image."""
    server = DemoServerProcess(latency=DEMO_LATENCY_S, flavor="sglang", max_references=1).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def a1111_server():
    """A self-hosted AUTOMATIC1111 WebUI (its API lives at the server's root)."""
    server = DemoServerProcess(latency=A1111_LATENCY_S, flavor="automatic1111").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bfl_server():
    """Black Forest Labs' task API: a cloud service."""
    server = DemoServerProcess(latency=DEMO_LATENCY_S, flavor="bfl").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def identity_provider():
    """The organisation's OpenID provider, for single sign-on (tests/oidc_provider.py)."""
    provider = OpenIdProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bildgen-data")


@pytest.fixture(scope="session")
def app(
    demo_server, legacy_server, flux_server, a1111_server, bfl_server, identity_provider, app_data_dir, tmp_path_factory
):
    """The app's process (its backend's memory is weighed by the benchmark's quick run)."""
    config = tmp_path_factory.mktemp("config") / "bildgen.toml"
    config.write_text(
        f"""default_model = "demo"
default_text_model = "writer"

[models.demo]
label = "{DEMO_LABEL}"
base_url = "{demo_server.base_url}"
family = "generic"

[models.legacy]
label = "{LEGACY_LABEL}"
base_url = "{legacy_server.base_url}"
family = "generic"

[models.flux]
label = "{FLUX_LABEL}"
base_url = "{flux_server.base_url}"
family = "flux2"
max_references = 1

[models.qwen]
label = "{QWEN_LABEL}"
base_url = "{demo_server.base_url}"
family = "qwen-image"
edit_with = "demo"

[models.a1111]
label = "{A1111_LABEL}"
base_url = "{a1111_server.origin}"
provider = "automatic1111"
max_concurrent = 1

[models.bfl]
label = "{BFL_LABEL}"
base_url = "{bfl_server.base_url}"
provider = "bfl"
served_name = "flux-dev"

[models.upscaler]
label = "{UPSCALER_LABEL}"
base_url = "{demo_server.origin}/upscaler"
provider = "upscaler-http"
max_output_side = 4096
[text_models.writer]
label = "{WRITER_LABEL}"
base_url = "{demo_text_url(demo_server.base_url)}"
"""
    )
    app = AppProcess(data_dir=app_data_dir, config=config, extra_env=identity_provider.environment()).start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def app_url(app):
    return app.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "accept_downloads": True}


def choose_model(page, label: str) -> None:
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=label, exact=True).click()
    expect(page.get_by_role("combobox", name="Model")).to_contain_text(label)


IMAGE_TIMEOUT_MS = 30_000


def newest_run(page):
    """The studio feed's newest run (each Generate adds one on top)."""
    return page.get_by_role("article").first


def generate_and_wait(page, count: int = 1) -> None:
    """Press Generate and wait for this run's images: a new run on top of the feed, with every image
    shown. A fast server may finish before its placeholders are ever seen."""
    runs = page.get_by_role("article")
    before = runs.first.get_attribute("id") if runs.count() else None
    page.get_by_role("button", name="Generate").click()
    expect(runs.first).not_to_have_attribute("id", before or "", timeout=IMAGE_TIMEOUT_MS)
    for number in range(1, count + 1):
        image = runs.first.get_by_role("img", name=re.compile(rf"^Generated image {number},"))
        expect(image).to_be_visible(timeout=IMAGE_TIMEOUT_MS)


def image_action(scope, number: int, action: str) -> None:
    """Choose an action from image `number`'s overflow menu (components/image_actions.py). `scope`: the
    page, or a run (article) where the feed holds several."""
    scope.get_by_role("button", name=f"More actions for image {number},").click()
    # The menu opens in a portal, outside the run.
    page = scope if isinstance(scope, Page) else scope.page
    page.get_by_role("menuitem", name=action, exact=True).click()


def downloaded_pixels(page, link_name: str) -> str:
    """A hash of the pixels of the newest run's image downloaded by `link_name`: the file's own bytes
    differ from one run to the next (each carries its own signed Content Credentials)."""
    with page.expect_download() as info:
        newest_run(page).get_by_role("link", name=link_name).click()
    with Image.open(info.value.path()) as image:
        return hashlib.sha256(f"{image.mode} {image.size}".encode() + image.tobytes()).hexdigest()


def eventually(page, condition: Callable[[], bool], message: str, timeout_s: float = EXPECT_TIMEOUT_MS / 1000) -> None:
    """Waits until the condition holds (checked every 0.1 s), like `expect` for things outside the page.
    It waits through the page, so that the page's events (websocket frames…) are delivered meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(100)


def choose_language(page, current_label: str, language: str) -> None:
    page.get_by_role("combobox", name=current_label).click()
    page.get_by_role("option", name=language).click()


def events_handled(page) -> None:
    """Returns once the server has handled every event this tab sent before: a tab's events are
    handled in order, so an answered language switch (and the switch back) comes after them all."""
    choose_language(page, "Language", "Deutsch")
    expect(page.get_by_role("link", name="Galerie")).to_be_visible()
    choose_language(page, "Sprache", "English")
    expect(page.get_by_role("link", name="Gallery")).to_be_visible()


PASSWORD = "a long enough passphrase"


def sign_up(page, app_url: str, username: str | None = None) -> str:
    """Create an account through the form; leaves the page on the studio, signed in."""
    username = username or f"user-{uuid.uuid4().hex[:10]}"
    page.goto(f"{app_url}/sign-up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    wait_for_studio(page)
    return username


def sign_in(page, app_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{app_url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_studio(page) -> None:
    """Until the websocket is connected and the server check has answered."""
    page.get_by_role("status").filter(has_text="Demo renderer").wait_for(timeout=30_000)


@pytest.fixture
def studio(page, app_url):
    """The studio page of a newly created account."""
    sign_up(page, app_url)
    return page


@pytest.fixture
def administrator(browser, app_url, app_data_dir):
    """The app's administrator, signed in in a browser of its own. Tests share one app: whichever
    test signed up first owns the role (every account in these tests has the same password)."""
    context = browser.new_context()
    page = context.new_page()
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        row = db.execute(
            "SELECT username FROM user WHERE is_admin AND NOT disabled AND NOT must_change_password"
            " AND password_hash != '!no-password' ORDER BY created_at"
        ).fetchone()
    if row is None:
        name = sign_up(page, app_url)
    else:
        name = row[0]
        sign_in(page, app_url, name)
        wait_for_studio(page)
    yield page, name
    context.close()


def forget_language(app_data_dir: Path, username: str) -> None:
    """As if the user had never chosen a language: the browser's then decides. Tests share one
    administrator, and whichever test switched languages last left its choice remembered."""
    with sqlite3.connect(app_data_dir / "bildgen.db") as db:
        db.execute("UPDATE user SET language = NULL WHERE username = ?", (username,))
