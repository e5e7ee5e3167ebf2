"""Real processes for end-to-end tests and benchmarks: the demo inference server and the app."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_AND_START_TIMEOUT_S = 600


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


class AppProcess:
    """bildgen served as in production (`reflex run --env prod`, one port), with its own data folder."""

    def __init__(self, *, data_dir: Path, config: Path | None, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.config = config
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir / "app.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AppProcess":
        environment = {
            **os.environ,
            "BILDGEN_PORT": str(self.port),
            "BILDGEN_DATA_DIR": str(self.data_dir),
            "REFLEX_USE_NPM": "1",
            **self.extra_env,
        }
        environment.pop("REFLEX_DB_URL", None)
        if self.config is not None:
            environment["BILDGEN_CONFIG"] = str(self.config)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reflex", "run", "--env", "prod"],
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # reflex starts workers: stop the whole group at the end
            )
        try:
            wait_for_port(self.port, timeout=BUILD_AND_START_TIMEOUT_S, process=self.process)
        except (RuntimeError, TimeoutError):
            print(self.log_path.read_text()[-5000:])  # why the app did not start
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass  # it had already exited
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
