"""Is this instance ready to serve? Each dependency checked on its own, with a deadline.

/readyz (http/health.py) answers with these: an orchestrator or proxy stops sending users to an
instance whose database, Redis or data folder fails, and sends them again once it recovers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio
import sqlalchemy
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bildgen.store.db import MIGRATIONS

logger = logging.getLogger(__name__)

# A check that has not answered by then counts as failed: a hung database is not a ready one.
CHECK_TIMEOUT_S = 5.0
OK = "ok"


@functools.cache
def _migration_heads() -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _database(engine: sqlalchemy.Engine) -> str:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        applied = frozenset(MigrationContext.configure(connection).get_current_heads())
    missing = _migration_heads() - applied
    return OK if not missing else f"migrations not applied: {', '.join(sorted(missing))}"


def _data_folder(data_dir: Path) -> str:
    # A file created, written and removed: what saving an image needs (a full or read-only disk fails).
    with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
    return OK


async def _redis(url: str) -> str:
    client = redis.asyncio.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return OK


async def _checked(name: str, check: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    try:
        return name, await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return name, f"no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as error:  # any failure means "not ready"; the log has the details
        logger.warning("Readiness check %s failed: %s", name, error)
        # The error's class only: its message may carry a host name or a URL with a password.
        return name, f"failed ({type(error).__name__})"


async def readiness(engine: sqlalchemy.Engine, data_dir: Path, redis_url: str | None) -> dict[str, str]:
    """Each dependency's state: "ok", or why not. Redis only when configured."""
    checks: dict[str, Callable[[], Awaitable[str]]] = {
        "database": lambda: asyncio.to_thread(_database, engine),
        "data_folder": lambda: asyncio.to_thread(_data_folder, data_dir),
    }
    if redis_url:
        checks["redis"] = lambda: _redis(redis_url)
    return dict(await asyncio.gather(*(_checked(name, check) for name, check in checks.items())))
