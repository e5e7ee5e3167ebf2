"""/healthz and /readyz: readiness follows the real PostgreSQL and Redis servers down and back up."""

import time

import pytest
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.http import create_api
from bildgen.store.db import downgrade
from tests.databases import PrivateRedis


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def ready_state(client: TestClient, until, timeout: float = 60.0) -> tuple[int, dict]:
    """GET /readyz until `until(status, body)` holds (a server takes a moment to go or come back)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(routes.READY_ROUTE)
        answer = response.status_code, response.json()
        if until(*answer):
            return answer
        assert time.monotonic() < deadline, f"/readyz still answers {answer}"
        time.sleep(0.2)


def test_healthz_answers_while_the_process_runs(fresh_services):
    response = TestClient(create_api()).get(routes.HEALTH_ROUTE)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_turns_503_naming_postgres_or_redis_while_it_is_stopped_and_200_when_it_returns(
    fresh_services, postgres, redis_server, monkeypatch
):
    monkeypatch.setenv("REFLEX_DB_URL", postgres.url)
    monkeypatch.setenv("REFLEX_REDIS_URL", redis_server.url)
    client = TestClient(create_api())
    status, ready = ready_state(client, lambda status, _: True)
    assert status == 200 and ready["failed"] == []
    assert ready["checks"] == {"database": "ok", "data_folder": "ok", "redis": "ok"}

    postgres.stop()
    status, down = ready_state(client, lambda status, _: status != 200)
    assert status == 503 and down["status"] == "not ready" and down["failed"] == ["database"]
    postgres.start()
    ready_state(client, lambda status, _: status == 200)

    redis_server.stop()
    status, down = ready_state(client, lambda status, _: status != 200)
    assert status == 503 and down["failed"] == ["redis"]
    assert down["checks"]["database"] == "ok"
    redis_server.start()
    status, ready = ready_state(client, lambda status, _: status == 200)
    assert ready["failed"] == []


def test_readyz_is_not_ready_while_a_migration_is_missing(fresh_services):
    client = TestClient(create_api())
    assert client.get(routes.READY_ROUTE).status_code == 200
    downgrade(fresh_services.get_services().engine, "-1")
    response = client.get(routes.READY_ROUTE)
    assert response.status_code == 503 and response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"].startswith("migrations not applied")
