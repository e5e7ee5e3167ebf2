"""/metrics: real jobs (through the API, the runner and the demo image server) show up in Prometheus'
format, read back with prometheus_client's own parser; only a request with the token gets them."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bildgen import routes
from tests.unit.api.conftest import poll

TOKEN = "metrics-token-for-the-test"
GENERATE = {"model": "demo", "prompt": "a lighthouse", "size": "256x256"}


@pytest.fixture(autouse=True)
def metrics_token(monkeypatch):
    monkeypatch.setenv("BILDGEN_METRICS_TOKEN", TOKEN)


def scrape(bildgen, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(bildgen.origin + routes.METRICS_ROUTE, headers=headers, timeout=30)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_jobs_images_failures_and_timings_per_profile(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        assert client.post("images/generations", json={**GENERATE, "n": 2}).status_code == 200
        bildgen.fault("server-error")
        assert client.post("images/generations", json=GENERATE).status_code == 502

    response = scrape(bildgen)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    metrics = samples(response.text)
    demo = frozenset({("profile", "demo")})

    def of(name: str, **labels) -> float:
        return metrics[(name, frozenset({"profile": "demo", **labels}.items()))]

    assert of("bildgen_jobs", state="done") == 1 and of("bildgen_jobs", state="failed") == 1
    assert metrics[("bildgen_images", demo)] == 2
    assert of("bildgen_failures", kind="server_failure") == 1
    # Both jobs waited in the queue and ran; each saved image has its service's time.
    assert metrics[("bildgen_queue_wait_seconds_count", demo)] == 2
    assert of("bildgen_queue_wait_seconds_bucket", le="+Inf") == 2
    assert metrics[("bildgen_run_seconds_count", demo)] == 2
    assert metrics[("bildgen_provider_latency_seconds_count", demo)] == 2
    assert metrics[("bildgen_provider_latency_seconds_sum", demo)] > 0
    assert metrics[("bildgen_workers_busy", frozenset())] == 0


def test_a_running_job_shows_as_running_on_a_busy_worker(bildgen):
    _, token = bildgen.user_and_token("anna")
    bildgen.fault("hang")  # the image server never answers this one: the job stays running
    with bildgen.http(token) as client:
        running = client.post("images/generations", json={**GENERATE, "async": True}).json()
        poll(client, running["status_url"], lambda task: task["status"] == "running")
        metrics = samples(scrape(bildgen).text)
        client.delete(f"tasks/{running['id']}")
    assert metrics[("bildgen_jobs", frozenset({"state": "running", "profile": "demo"}.items()))] == 1
    assert metrics[("bildgen_workers_busy", frozenset())] == 1


def test_metrics_need_the_token(bildgen):
    assert scrape(bildgen, token=None).status_code == 401
    assert scrape(bildgen, token="guessed").status_code == 401
    assert scrape(bildgen).status_code == 200


def test_metrics_are_off_without_a_token(bildgen, monkeypatch):
    monkeypatch.delenv("BILDGEN_METRICS_TOKEN")
    bildgen.restart()
    assert scrape(bildgen).status_code == 404
