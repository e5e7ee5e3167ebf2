"""The documented production topology: PostgreSQL + Redis, two instances of one build with two workers
each, behind nginx configured as docs/deploy/nginx-bildgen.conf (see docs/deployment.md)."""

import os
import re
import signal
import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy
from playwright.sync_api import expect

from tests.e2e.conftest import choose_model, generate_and_wait, sign_in, sign_up, wait_for_studio
from tests.servers import (
    NGINX_SITE,
    AppProcess,
    DemoServerProcess,
    ReverseProxy,
    build_frontend,
    documented_deployment,
)

SINGLE_LABEL = "Demo, one image at a time"
PG_URL = os.environ.get("BILDGEN_TEST_PG_URL")
REDIS_URL = os.environ.get("BILDGEN_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs the PostgreSQL and Redis servers scripts/test starts"
)


@pytest.fixture(scope="module")
def database_url():
    admin = sqlalchemy.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool)
    name = f"bildgen_deployment_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sqlalchemy.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def inference(tmp_path_factory):
    """One inference server for every instance, with faults to make a job run as long as a test needs."""
    server = DemoServerProcess(latency=0.2).start()
    config = tmp_path_factory.mktemp("deployment-config") / "bildgen.toml"
    config.write_text(
        f'default_model = "demo"\n\n[models.demo]\nlabel = "Demo"\nbase_url = "{server.base_url}"\nfamily = "generic"\n'
        # The same server, offered to bildgen as one that works on one image at a time.
        f'\n[models.single]\nlabel = "{SINGLE_LABEL}"\nbase_url = "{server.base_url}"\nfamily = "generic"\n'
        "max_concurrent = 1\n"
    )
    yield server, config
    server.stop()


@pytest.fixture(scope="module")
def deployment(database_url, inference, tmp_path_factory):
    """(proxy, instances), started as docs/deploy/compose.yaml and bildgen.env.example say: one build,
    each instance compose lists with its own environment and the example's settings, behind the nginx
    site compose mounts. Only what is this machine's differs: ports, the test's PostgreSQL, Redis and
    folders, the test's image server; and sign-up is open for the tests' many users."""
    documented = documented_deployment()
    assert documented.nginx_site == NGINX_SITE and len(documented.instances) == 2
    root = tmp_path_factory.mktemp("deployment")
    proxy = ReverseProxy(workdir=root / "proxy")
    here = {
        "REFLEX_API_URL": proxy.url,
        "BILDGEN_ORIGINS": proxy.url,
        "REFLEX_DB_URL": database_url,
        "REFLEX_REDIS_URL": REDIS_URL,
        "BILDGEN_SIGNUP": "open",
        # A stop waits this long for running images (then hands them back), not the default minute:
        # the tests' hung requests would hold every stop that long.
        "BILDGEN_DRAIN_SECONDS": "2",
    }
    settings = {**documented.environment, **here}
    del settings["BILDGEN_DATA_DIR"]  # AppProcess gives each its folder (one for all: as on one host)
    web_dir = build_frontend(root / "web", data_dir=root / "build-data", extra_env=settings)
    instances = [
        AppProcess(
            data_dir=root / "data",
            config=inference[1],
            extra_env={
                **settings,
                **{key: value for key, value in own.items() if key not in ("BILDGEN_PORT", "BILDGEN_DATA_DIR")},
            },
            web_dir=web_dir,
            name=name,
        )
        for name, own in documented.instances.items()
    ]
    try:
        # Both start at once on the empty database, as after a deployment: each migrates it.
        for instance in instances:
            instance.launch()
        for instance in instances:
            instance.wait_until_listening()
        proxy.start([instance.port for instance in instances])
        yield proxy, instances
    finally:
        proxy.stop()
        for instance in instances:
            instance.stop()


def worker_running(database_url: str, prompt: str) -> int:
    """The process id of the worker running the job of that prompt: the job's row names the worker
    that claimed it (host, process id, a random part)."""
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.NullPool)
    deadline, worker = time.monotonic() + 20, None
    while time.monotonic() < deadline and worker is None:
        with engine.connect() as connection:
            worker = connection.execute(
                sqlalchemy.text("SELECT worker FROM generation WHERE prompt = :prompt AND status = 'running'"),
                {"prompt": prompt},
            ).scalar()
        time.sleep(0.2)
    engine.dispose()
    assert worker, "no worker claimed the job"
    return int(worker.split(":")[1])


def test_each_instance_is_ready_and_the_proxy_keeps_metrics_private(deployment):
    proxy, instances = deployment
    for instance in instances:
        ready = httpx.get(f"{instance.url}/readyz", timeout=30)
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "data_folder": "ok", "redis": "ok"}
    assert httpx.get(f"{proxy.url}/readyz", timeout=30).status_code == 200
    assert httpx.get(f"{proxy.url}/metrics", timeout=30).status_code == 404


def test_through_the_proxy_people_sign_up_and_each_instance_carries_studio_websockets(deployment, browser):
    proxy, instances = deployment
    answered: set[str] = set()
    for _round in range(3):
        # Tabs kept open side by side: the proxy sends each new websocket to the less busy instance.
        contexts = [browser.new_context() for _ in instances]
        for context in contexts:
            sign_up(context.new_page(), proxy.url)  # returns once the studio's websocket is connected
        for context in contexts:
            context.close()
        deadline = time.monotonic() + 10  # nginx logs a websocket when it closes
        while time.monotonic() < deadline and len(answered := proxy.upstreams_of("/_event")) < len(instances):
            time.sleep(0.2)
        if len(answered) == len(instances):
            break
    assert answered == {f"127.0.0.1:{instance.port}" for instance in instances}


def test_an_image_generated_through_the_proxy_is_served_whichever_instance_answers(deployment, page):
    proxy, instances = deployment
    sign_up(page, proxy.url)
    page.get_by_label("Prompt", exact=True).fill("one build, two instances")
    generate_and_wait(page)
    image = urlsplit(page.get_by_role("img", name=re.compile(r"^Generated image 1,")).get_attribute("src"))
    image_path = f"{image.path}?{image.query}" if image.query else image.path
    # The session (PostgreSQL) and the file (shared folder) are known to every instance.
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    for instance in instances:
        answer = httpx.get(f"{instance.url}{image_path}", cookies=cookies, timeout=10)
        assert answer.status_code == 200
        assert answer.content.startswith(b"\x89PNG")


def test_a_killed_worker_is_replaced_and_the_app_keeps_answering(deployment, page):
    proxy, instances = deployment
    killed = []
    for instance in instances:
        workers = instance.worker_pids()
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        killed.append(workers[0])
    # Each instance goes on answering on its own, without the proxy's retries hiding a failure.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for instance in instances:
            assert instance.process.poll() is None, "the instance's server exited"
            try:
                answer = httpx.get(f"{instance.url}/sign-in", follow_redirects=True, timeout=10)
            except httpx.TransportError:
                continue  # a connection the killed worker had already accepted dies with it
            assert answer.status_code == 200
        if all(len(set(instance.worker_pids()) - set(killed)) == 2 for instance in instances):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the killed workers were not replaced within 15 s")
    for instance in instances:
        assert httpx.get(f"{instance.url}/sign-in", follow_redirects=True, timeout=10).status_code == 200
    sign_up(page, proxy.url)  # a page loads and its websocket connects


def test_killing_the_worker_that_runs_a_job_hands_that_job_to_another_worker(
    deployment, inference, database_url, browser
):
    proxy, instances = deployment
    server, _ = inference
    httpx.post(f"http://127.0.0.1:{server.port}/_demo/fault", json={"fault": "hang", "times": 1}, timeout=10)
    anna = browser.new_context().new_page()
    sign_up(anna, proxy.url)
    anna.get_by_label("Prompt", exact=True).fill("the worker of this one dies")
    anna.get_by_role("button", name="Generate").click()
    expect(anna.get_by_role("status", name="Image 1 is being generated")).to_be_visible()

    pid = worker_running(database_url, "the worker of this one dies")
    assert pid in [pid for instance in instances for pid in instance.worker_pids()]
    os.kill(pid, signal.SIGKILL)

    # The service goes on: someone else's run on the remaining workers finishes.
    bob = browser.new_context().new_page()
    sign_up(bob, proxy.url)
    bob.get_by_label("Prompt", exact=True).fill("made while a worker was down")
    generate_and_wait(bob)
    # Another worker took Anna's job back within seconds and asked the (self-hosted) service again:
    # her tab, wherever its websocket went, shows the image, and her form is usable again.
    expect(anna.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=60_000)
    expect(anna.get_by_label("Prompt", exact=True)).to_have_value("the worker of this one dies")
    expect(anna.get_by_role("button", name="Generate")).to_be_enabled()


def test_after_a_restart_tabs_recover_from_the_database_and_queued_jobs_run(
    deployment, inference, browser, database_url
):
    proxy, instances = deployment
    server, _ = inference
    httpx.post(f"http://127.0.0.1:{server.port}/_demo/fault", json={"fault": "hang", "times": 1}, timeout=10)
    bob = browser.new_context().new_page()
    sign_up(bob, proxy.url)
    choose_model(bob, SINGLE_LABEL)
    bob.get_by_label("Prompt", exact=True).fill("holds the only slot")
    bob.get_by_role("button", name="Generate").click()
    expect(bob.get_by_role("status", name="Image 1 is being generated")).to_be_visible()
    anna = browser.new_context().new_page()
    sign_up(anna, proxy.url)
    choose_model(anna, SINGLE_LABEL)
    anna.get_by_label("Prompt", exact=True).fill("waits for the slot")
    anna.get_by_role("button", name="Generate").click()
    expect(anna.get_by_role("status").filter(has_text="you are next")).to_be_visible()

    # Every instance restarts while Bob's job runs and Anna's waits; the tabs' state lives on in Redis.
    # Bob's instance stops last: stopped first, it would free the slot, and the other instance would
    # take Anna's job just before it stops too.
    pid = worker_running(database_url, "holds the only slot")
    for instance in sorted(instances, key=lambda instance: pid in instance.worker_pids()):
        instance.stop()
    for instance in instances:
        instance.launch()
    for instance in instances:
        instance.wait_until_listening()

    # Anna's waiting job survived and runs; Bob's, handed back to the queue as his instance drained,
    # runs again after the restart (the service is the organisation's own: asked again), and both
    # forms can be used again.
    expect(anna.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=60_000)
    expect(bob.get_by_role("img", name=re.compile(r"^Generated image 1,"))).to_be_visible(timeout=60_000)
    for page in (anna, bob):
        page.get_by_label("Prompt", exact=True).fill("after the restart")
        expect(page.get_by_role("button", name="Generate")).to_be_enabled()


def test_an_administrators_change_reaches_open_studios_on_every_instance(deployment, browser, database_url):
    """Tabs on different worker processes of both instances see a profile disabled within seconds."""
    proxy, _ = deployment
    contexts = [browser.new_context() for _ in range(4)]
    admin, *users = (context.new_page() for context in contexts)
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.NullPool)
    with engine.connect() as connection:
        admin_name = connection.execute(
            sqlalchemy.text('SELECT username FROM "user" WHERE is_admin ORDER BY created_at LIMIT 1')
        ).scalar()
    engine.dispose()
    if admin_name is None:
        sign_up(admin, proxy.url)
    else:
        sign_in(admin, proxy.url, admin_name)
        wait_for_studio(admin)
    for page in users:
        sign_up(page, proxy.url)
        page.get_by_role("combobox", name="Model").click()
        expect(page.get_by_role("option", name=SINGLE_LABEL, exact=True)).to_be_visible()
        page.keyboard.press("Escape")

    admin.goto(f"{proxy.url}/admin/profiles")
    offer = admin.get_by_role("switch", name=f"Offer {SINGLE_LABEL}")
    offer.click()
    expect(admin.get_by_role("status")).to_contain_text("no longer offered")
    try:
        for page in users:
            page.get_by_role("combobox", name="Model").click()
            expect(page.get_by_role("option", name=SINGLE_LABEL, exact=True)).to_have_count(0, timeout=15_000)
            page.keyboard.press("Escape")
    finally:
        offer.click()
        expect(admin.get_by_role("status")).to_contain_text("offered again")
        for context in contexts:
            context.close()
