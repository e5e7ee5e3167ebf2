"""scripts/serve.py: what an operator sees when the settings or the port cannot work, and that the
server and its workers start and stop together (real processes)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.databases import PrivateRedis
from tests.servers import REPO_ROOT, free_port


def serve(**environment: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("BILDGEN_", "REFLEX_"))}
    return subprocess.run(
        [sys.executable, "scripts/serve.py"],
        cwd=REPO_ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_without_redis_stop_start_up_with_a_plain_reason():
    result = serve(BILDGEN_WORKERS="3")
    assert result.returncode != 0
    assert "BILDGEN_WORKERS=3 needs REFLEX_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_count_that_is_not_a_number_is_named():
    result = serve(BILDGEN_WORKERS="many")
    assert result.returncode != 0
    assert "BILDGEN_WORKERS='many'" in result.stderr


def test_serving_without_a_build_says_to_run_scripts_build(tmp_path):
    result = serve(REFLEX_WEB_WORKDIR=str(tmp_path / "web"), BILDGEN_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode != 0
    assert "run scripts/build first" in result.stderr
    assert "Traceback" not in result.stderr


class Served:
    """scripts/serve.py as an instance runs it, on a port and data folder of its own. A stand-in page
    as the build: what the workers serve does not matter here, only the processes and the port."""

    def __init__(self, tmp_path: Path, port: int, **environment: str) -> None:
        web = tmp_path / "web"
        (web / "build" / "client").mkdir(parents=True, exist_ok=True)
        (web / "build" / "client" / "index.html").write_text("<!doctype html><title>bildgen</title>")
        self.port = port
        self.log = tmp_path / f"serve-{port}-{time.monotonic_ns()}.log"
        base = {key: value for key, value in os.environ.items() if not key.startswith(("BILDGEN_", "REFLEX_"))}
        environment = {
            **base,
            "REFLEX_WEB_WORKDIR": str(web),
            "BILDGEN_DATA_DIR": str(tmp_path / "data"),
            "BILDGEN_PORT": str(port),
            "BILDGEN_DEMO_LATENCY": "0",
            **environment,
        }
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "scripts/serve.py"],
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: the test can clean up whatever is left
            )

    def wait_until_ready(self) -> "Served":
        deadline = time.monotonic() + 300
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "scripts/serve did not become ready"
            time.sleep(0.5)

    def started(self) -> list[psutil.Process]:
        """The server and every process it started."""
        server = psutil.Process(self.process.pid)
        return [server, *server.children(recursive=True)]

    def clean_up(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path):
    started: list[Served] = []

    def start(**environment: str) -> Served:
        started.append(Served(tmp_path, **environment))
        return started[-1]

    yield start
    for server in started:
        server.clean_up()


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_until_gone(processes: list[psutil.Process], port: int) -> None:
    _, alive = psutil.wait_procs(processes, timeout=120)
    assert not alive, f"still running: {[process.pid for process in alive]}"
    assert port_is_free(port)


def test_a_second_instance_on_a_served_port_is_refused_with_a_plain_reason(served):
    first = served(port=free_port()).wait_until_ready()
    second = served(port=first.port)
    assert second.process.wait(timeout=120) != 0
    said = second.log.read_text()
    assert f"Port {first.port} on 127.0.0.1 is already served" in said and "Traceback" not in said
    assert httpx.get(f"http://127.0.0.1:{first.port}/healthz", timeout=10).status_code == 200


def test_one_sigterm_to_the_server_stops_it_and_every_worker(served, tmp_path):
    redis = PrivateRedis(tmp_path / "redis").start()
    try:
        server = served(port=free_port(), BILDGEN_WORKERS="2", REFLEX_REDIS_URL=redis.url).wait_until_ready()
        started = server.started()
        assert len(started) >= 3  # the server and its two workers
        server.process.send_signal(signal.SIGTERM)
        wait_until_gone(started, server.port)
    finally:
        redis.stop()


def test_workers_end_when_their_server_is_killed_outright(served):
    server = served(port=free_port()).wait_until_ready()
    started = server.started()
    server.process.kill()  # SIGKILL: the server cannot stop its workers itself
    wait_until_gone(started, server.port)
