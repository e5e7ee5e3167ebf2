"""Real processes for end-to-end tests and benchmarks: the demo inference server and the app."""

import contextlib
import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

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


def _terminate(process: subprocess.Popen | None) -> None:
    """Stop a server process: politely, then for good."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class DemoServerProcess:
    """The demo inference server as a process of its own, so a test can take it down."""

    def __init__(
        self, latency: float, flavor: str = "vllm-omni", max_references: int = 4, max_concurrent: int | None = None
    ) -> None:
        self.port = free_port()
        self.latency = latency
        self.flavor = flavor
        self.max_references = max_references
        # Requests worked on at once (the others wait, as on a GPU server); None: no limit.
        self.max_concurrent = max_concurrent
        self.process: subprocess.Popen | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

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
                *(["--max-concurrent", str(self.max_concurrent)] if self.max_concurrent else []),
            ],
            cwd=REPO_ROOT,
        )
        wait_for_port(self.port, timeout=30, process=self.process)
        return self

    def requests(self) -> list[dict]:
        """What the server was asked, from its request log."""
        return httpx.get(f"{self.origin}/_demo/requests", timeout=5).json()

    def inject(self, fault: str, times: int = 1) -> None:
        """The next `times` requests (or tasks) meet this fault."""
        httpx.post(f"{self.origin}/_demo/fault", json={"fault": fault, "times": times}, timeout=5).raise_for_status()

    def stop(self) -> None:
        _terminate(self.process)


class WorkerInstance:
    """A bildgen instance without its pages (tests/unit/jobs/worker_app.py): granian with `workers`
    worker processes, each running bildgen's services and job runner as the app's workers do."""

    def __init__(
        self,
        root: Path,
        config: Path,
        database_url: str,
        *,
        workers: int = 1,
        drain_s: float = 60.0,
        environment: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.log = root / f"instance-{self.port}.log"
        environment = {
            **{key: value for key, value in os.environ.items() if key != "REFLEX_REDIS_URL"},
            "BILDGEN_CONFIG": str(config),
            "BILDGEN_DATA_DIR": str(root / "data"),  # one data folder for every instance, as deployed
            "REFLEX_DB_URL": database_url,
            "BILDGEN_DRAIN_SECONDS": str(drain_s),
            **(environment or {}),
        }
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(workers), "--respawn-failed-workers"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*command, "tests.unit.jobs.worker_app:app"],
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout=60, process=self.process)

    def stop(self) -> None:
        """Kill the supervisor and its workers (a killed supervisor would leave its workers running)."""
        if self.process.poll() is None:
            workers = psutil.Process(self.process.pid).children(recursive=True)
            self.process.kill()
            self.process.wait(timeout=10)
            for worker in workers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker.kill()
        for line in self.log.read_text().splitlines()[-40:]:
            print(line)  # shown when a test fails


class AppProcess:
    """bildgen served as in production on one port, with its own data folder.

    By default `reflex run --env prod` builds and serves it. With `web_dir`, the instance serves the
    build `build_frontend` made there, through `scripts/serve` (as each instance of a deployment does).
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        config: Path | None,
        extra_env: dict[str, str] | None = None,
        web_dir: Path | None = None,
        name: str = "app",
    ) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.config = config
        self.extra_env = extra_env or {}
        self.web_dir = web_dir
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> "AppProcess":
        """Start the process without waiting for it to listen (several instances start at once)."""
        environment = {
            key: value for key, value in os.environ.items() if key not in ("REFLEX_DB_URL", "REFLEX_REDIS_URL")
        }
        environment.update(
            {
                "BILDGEN_PORT": str(self.port),
                "BILDGEN_DATA_DIR": str(self.data_dir),
                "REFLEX_USE_NPM": "1",
                **self.extra_env,
            }
        )
        if self.config is not None:
            environment["BILDGEN_CONFIG"] = str(self.config)
        # Reflex's working folders of this instance's own, beside its data folder: several test
        # sessions build and serve at once (scripts/test runs them side by side).
        environment.setdefault("REFLEX_STATES_WORKDIR", str(self.data_dir.with_name(f"{self.data_dir.name}-states")))
        if self.web_dir is not None:
            environment["REFLEX_WEB_WORKDIR"] = str(self.web_dir)
            command = ["bash", "scripts/serve"]
        else:
            environment.setdefault("REFLEX_WEB_WORKDIR", str(self.data_dir.with_name(f"{self.data_dir.name}-web")))
            command = [sys.executable, "-m", "reflex", "run", "--env", "prod"]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # reflex starts workers: stop the whole group at the end
            )
        return self

    def wait_until_listening(self) -> "AppProcess":
        try:
            wait_for_port(self.port, timeout=BUILD_AND_START_TIMEOUT_S, process=self.process)
        except (RuntimeError, TimeoutError):
            print(self.log_path.read_text()[-5000:])  # why the app did not start
            self.stop()
            raise
        return self

    def start(self) -> "AppProcess":
        return self.launch().wait_until_listening()

    def worker_pids(self) -> list[int]:
        """The worker processes of the server (the children of its supervisor)."""
        return [child.pid for child in psutil.Process(self.process.pid).children() if child.is_running()]

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


def build_frontend(web_dir: Path, *, data_dir: Path, extra_env: dict[str, str] | None = None) -> Path:
    """`scripts/build` into a folder of its own: the one build every instance of a deployment serves."""
    environment = {
        **os.environ,
        "REFLEX_WEB_WORKDIR": str(web_dir),
        "BILDGEN_DATA_DIR": str(data_dir),
        **(extra_env or {}),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "build.log"
    with log_path.open("w") as log:
        built = subprocess.run(
            ["bash", "scripts/build"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=BUILD_AND_START_TIMEOUT_S,
        )
    if built.returncode != 0:
        raise RuntimeError(f"scripts/build failed:\n{log_path.read_text()[-5000:]}")
    return web_dir


NGINX = "/usr/sbin/nginx"
NGINX_SITE = REPO_ROOT / "docs" / "deploy" / "nginx-bildgen.conf"


class ReverseProxy:
    """Debian's nginx with the documented site config (docs/deploy/nginx-bildgen.conf), on private ports.

    Only the listening address and the instances' ports differ from the documented file. Its access
    log names the instance (upstream) that answered each request.
    """

    def __init__(self, *, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def start(self, upstream_ports: list[int]) -> "ReverseProxy":
        site = NGINX_SITE.read_text()
        site = re.sub(r"listen 80;", f"listen 127.0.0.1:{self.port};", site)
        site = re.sub(r"listen \[::\]:80;\n", "", site)
        servers = "".join(f"    server 127.0.0.1:{port}\\1;\n" for port in upstream_ports)
        site, count = re.subn(r"(?:    server 127\.0\.0\.1:\d+([^;\n]*);\n)+", servers, site)
        assert count == 1, f"{NGINX_SITE} has no block of upstream servers to point at the test instances"
        temp = self.workdir / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        temp.chmod(0o777)  # nginx's workers run as nobody when started by root
        config = self.workdir / "nginx.conf"
        config.write_text(
            f"""daemon off;
worker_processes 1;
pid {self.workdir / "nginx.pid"};
error_log {self.workdir / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
  log_format upstreams '$request_uri|$upstream_addr|$status';
  access_log {self.access_log} upstreams;
  client_body_temp_path {temp};
  proxy_temp_path {temp};
  fastcgi_temp_path {temp};
  uwsgi_temp_path {temp};
  scgi_temp_path {temp};
{site}
}}
"""
        )
        self.process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(self.workdir), "-e", str(self.workdir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=30, process=self.process)
        return self

    def upstreams_of(self, path_prefix: str) -> set[str]:
        """The instances (host:port) that answered requests whose path starts with `path_prefix`."""
        if not self.access_log.exists():
            return set()
        answered = set()
        for line in self.access_log.read_text().splitlines():
            path, upstreams, _status = line.rsplit("|", 2)
            if path.startswith(path_prefix) and upstreams != "-":
                answered.add(upstreams.split(", ")[-1])  # after a retry, the last one answered
        return answered

    def stop(self) -> None:
        _terminate(self.process)


DEPLOY = REPO_ROOT / "docs" / "deploy"


@dataclasses.dataclass(frozen=True)
class DocumentedDeployment:
    """What docs/deploy/compose.yaml and bildgen.env.example tell an operator to run."""

    environment: dict[str, str]  # the env example's settings
    commented: set[str]  # the settings it offers commented out
    # Each service running scripts/serve (as AppProcess does) and its own environment; one more runs
    # scripts/build first (as build_frontend does).
    instances: dict[str, dict[str, str]]
    nginx_site: Path


def documented_deployment() -> DocumentedDeployment:
    import yaml

    environment, commented = {}, set()
    for line in (DEPLOY / "bildgen.env.example").read_text().splitlines():
        if match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line):
            environment[match[1]] = match[2]
        elif match := re.fullmatch(r"# ([A-Z][A-Z0-9_]*)=.*", line):
            commented.add(match[1])
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert [service.get("command") for service in services.values()].count(["scripts/build"]) == 1
    instances = {
        name: {key: str(value) for key, value in service.get("environment", {}).items()}
        for name, service in services.items()
        if service.get("command") == ["scripts/serve"]
    }
    (site,) = [
        DEPLOY / volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if "/etc/nginx/" in volume
    ]
    return DocumentedDeployment(environment, commented, instances, site)
