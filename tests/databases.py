"""Private database servers a test can stop and start again (outages), as scripts/test-databases.sh
runs the shared throwaway ones: a PostgreSQL cluster and a Redis in a temporary folder."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy

from tests.servers import free_port


def postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = postgres_binaries()
        assert self.bin is not None, "PostgreSQL is not installed"
        # Not in pytest's folders, which are private to their owner (the server runs as postgres).
        self.root = Path(tempfile.mkdtemp(prefix="bildgen-outage-postgresql-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return sqlalchemy.make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def init(self) -> PrivatePostgres:
        if os.getuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(
            _as_postgres(
                [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        return self

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-s"]
                + ["-o", options, "start"]
            ),
            check=True,
        )
        return self

    def stop(self) -> None:
        """Stop the server now, dropping every client's connection (what an outage looks like)."""
        subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-s", "stop"]),
            check=False,
        )

    def create_database(self, name: str) -> str:
        admin = sqlalchemy.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return self.database_url(name)


class PrivateRedis:
    """A Redis that saves its data when stopped and reads it back when started, as a packaged
    Redis does on a restart: the tabs' state outlives it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> PrivateRedis:
        self.root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root)]
            + ["--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(self.root / "redis.pid")]
            + ["--logfile", str(self.root / "redis.log")],
            check=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._cli("ping").stdout.strip() == "PONG":
                return self
            time.sleep(0.1)
        raise TimeoutError("Redis did not start")

    def stop(self) -> None:
        """Shut down (saving the data) and wait until the port is closed."""
        self._cli("shutdown", "save")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._cli("ping").returncode == 0:
            time.sleep(0.1)

    def _cli(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *arguments], capture_output=True, text=True, check=False
        )
