"""Serves bildgen from the build scripts/build made, as `reflex run --env prod` would, with two changes.

- It does not build again: `reflex run --env prod` rebuilds the frontend at every start with a new
  random asset hash, so instances sharing one build (behind one proxy) cannot use it.
- Granian restarts a worker that dies: Reflex 0.10 starts it without `respawn_failed_workers`, so
  one killed worker (out of memory, say) would end the whole server.

It migrates the database once, before any worker starts (the workers then find nothing to do).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def worker_count(environ: Mapping[str, str]) -> int:
    raw = environ.get("BILDGEN_WORKERS", "1").strip()
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"BILDGEN_WORKERS={raw!r}: give a whole number of worker processes, 1 or more.")
    workers = int(raw)
    if workers > 1 and not environ.get("REFLEX_REDIS_URL"):
        sys.exit(
            f"BILDGEN_WORKERS={workers} needs REFLEX_REDIS_URL (e.g. redis://127.0.0.1:6379): several worker "
            "processes keep the browser tabs' state in Redis. Set it, or use BILDGEN_WORKERS=1."
        )
    return workers


def refuse_a_served_port(host: str, port: int) -> None:
    """Stop with a plain reason when something already listens on the address: granian binds with
    SO_REUSEPORT, so a second bildgen would otherwise share the port with the first without a word."""
    for family, kind, protocol, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed connection's TIME_WAIT is no user
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                sys.exit(
                    f"Port {port} on {host} is already served (another bildgen, or another program): stop it, "
                    "or give this instance another BILDGEN_PORT."
                )


def respawn_failed_workers() -> None:
    """Make the granian server Reflex creates restart a worker that exits (Reflex has no option for it)."""
    import granian.server

    class RespawningServer(granian.server.Server):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **{**kwargs, "respawn_failed_workers": True})

    granian.server.Server = RespawningServer


def main() -> None:
    os.chdir(REPO_ROOT)
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("REFLEX_USE_NPM", "1")
    os.environ["GRANIAN_WORKERS"] = str(worker_count(os.environ))
    os.environ["REFLEX_USE_GRANIAN"] = "true"

    from bildgen.ops.process import SERVER_PID
    from bildgen.settings import load_settings

    settings = load_settings()
    # The workers end with this process, even if it is killed outright (bildgen/ops/process.py).
    os.environ[SERVER_PID] = str(os.getpid())

    from reflex.utils import exec as reflex_exec
    from reflex.utils import prerequisites
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    from bildgen.store.db import make_engine, migrate

    build = prerequisites.get_web_dir() / constants.Dirs.STATIC / "index.html"
    if not build.is_file():
        sys.exit(f"No production build at {build.parent}: run scripts/build first (once for all instances).")
    refuse_a_served_port(os.environ.get("BILDGEN_HOST", "127.0.0.1"), settings.port)

    engine = make_engine(settings.db_url)
    migrate(engine)
    engine.dispose()

    respawn_failed_workers()
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    print(f"bildgen: serving {build.parent} on http://{config.backend_host}:{config.backend_port}", flush=True)
    reflex_exec.run_backend_prod(
        config.backend_host, config.backend_port, config.loglevel.subprocess_level(), mount_frontend_compiled_app=True
    )


if __name__ == "__main__":
    main()
