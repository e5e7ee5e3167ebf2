import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class DemoServerProcess:
    """The demo inference server as a process of its own, so a test can take it down."""

    def __init__(self, latency: float, flavor: str = "vllm-omni", max_references: int = 4) -> None:
        self.port = free_port()
        self.latency = latency
        self.flavor = flavor
        self.max_references = max_references
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "DemoServerProcess":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bildgen.inference.demo",
                "--port",
                str(self.port),
                "--latency",
                str(self.latency),
                "--flavor",
                self.flavor,
                "--max-references",
                str(self.max_references),
            ],
            cwd=REPO_ROOT,
        )
        wait_for_port(self.port, timeout=30, process=self.process)
        return self

    def requests(self) -> list[dict]:
        """What the server was asked, from its request log."""
        return httpx.get(f"http://127.0.0.1:{self.port}/_demo/requests", timeout=5).json()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def demo_process():
    server = DemoServerProcess(latency=0.05).start()
    yield server
    server.stop()
