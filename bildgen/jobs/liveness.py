"""How a worker shows that it lives, so that its jobs go back to the queue seconds after it dies.

On PostgreSQL each worker holds a session-level advisory lock on a connection of its own for as long
as it runs, and writes the lock's key into every job it claims. The server releases the lock the
moment that connection drops, and a `kill -9`'d process's connection drops at once: any other
worker's next look (every second) finds the job's lock free and takes the job back (Que and GoodJob
notice dead workers the same way). No heartbeat is written.

A database restart drops every worker's lock together. Each worker takes its own again within a
second of the database's return, and a worker only judges others once it has held its own lock for
`JUDGE_AFTER_S`: the living are not mistaken for the dead after an outage.

SQLite is one process by design: there every job left running at start belongs to a stopped
process (services.py takes them back then), and the lease stays the fallback everywhere.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

import sqlalchemy

logger = logging.getLogger(__name__)

# The first half of the two-part advisory lock key of a worker's liveness lock (the second: its key).
LOCK_SPACE = 0x6B696C77
# How long a worker holds its own lock before it judges whether others still hold theirs.
JUDGE_AFTER_S = 3.0
# The keys of every liveness lock held on this database now (pg_locks: classid/objid of a two-key lock).
_HELD_KEYS = sqlalchemy.text(
    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
    " AND classid = :space AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
).bindparams(space=LOCK_SPACE)


def supported(engine: sqlalchemy.Engine) -> bool:
    return engine.dialect.name == "postgresql"


def held_keys(connection: sqlalchemy.Connection) -> set[int]:
    """The keys of the liveness locks that living workers hold now."""
    return {int(key) for key in connection.execute(_HELD_KEYS).scalars()}


class WorkerLock:
    """This worker's liveness lock. All methods block (call them in a thread); `key` is None until
    the lock is held, and always None on SQLite."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine
        self.key: int | None = None
        self._connection: sqlalchemy.Connection | None = None
        self._held_since: float | None = None
        self._guard = threading.Lock()

    def ensure(self) -> bool:
        """Hold the lock (again, after the connection dropped); True when it is held now."""
        if not supported(self.engine):
            return False
        with self._guard:
            if self._connection is not None:
                try:
                    self._connection.exec_driver_sql("SELECT 1")
                    return True
                except Exception:
                    logger.warning("worker liveness: the lock's connection dropped; taking the lock again")
                    self._drop()
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                # The same key again when free: this worker's jobs still carry it.
                candidates = [self.key] if self.key is not None else []
                for key in [*candidates, *(secrets.randbelow(2**31 - 1) + 1 for _ in range(20))]:
                    taken = connection.execute(
                        sqlalchemy.text("SELECT pg_try_advisory_lock(:space, :key)").bindparams(
                            space=LOCK_SPACE, key=key
                        )
                    ).scalar()
                    if taken:
                        self.key, self._connection, self._held_since = key, connection, time.monotonic()
                        return True
            except Exception:
                connection.invalidate()
                raise
            connection.close()
            raise RuntimeError("no free worker liveness lock")  # 20 random keys of 2^31 all taken: never

    @property
    def may_judge_others(self) -> bool:
        """Held long enough that any worker alive through a database restart has its lock again."""
        return self._held_since is not None and time.monotonic() - self._held_since >= JUDGE_AFTER_S

    def release(self) -> None:
        """Closing the connection releases the lock."""
        with self._guard:
            self._drop()

    def _drop(self) -> None:
        connection, self._connection, self._held_since = self._connection, None, None
        if connection is not None:
            try:
                connection.invalidate()  # never back into the pool: it may hold the lock
                connection.close()
            except Exception:
                pass
