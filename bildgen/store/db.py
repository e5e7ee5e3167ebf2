"""The database engine and its schema, brought up to date by the Alembic scripts in migrations/."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlmodel import Session

from bildgen.i18n import N_, _
from bildgen.refusal import Refusal

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the key of the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK_KEY = 0x6B696C6467656E  # "bildgen"


def make_engine(url: str) -> sqlalchemy.Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sqlalchemy.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sqlalchemy.event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            # WAL lets the image route read while a generation writes; foreign keys are off by default.
            cursor = connection.cursor()
            # Switching a new database to WAL needs it to itself, and SQLite does not always wait for
            # that (processes starting together): try again for a while.
            for attempt in range(100):
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or attempt == 99:
                        raise
                    time.sleep(0.1)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sqlalchemy.create_engine(url, pool_pre_ping=True)


def migrate(engine: sqlalchemy.Engine, revision: str = "heads") -> None:
    """Apply every migration not yet applied (what `reflex db migrate` does, callable at start).
    "heads": migrations written side by side on branches of the history all apply."""
    _run_migrations(engine, lambda scripts, current: scripts._upgrade_revs(revision, current))


def downgrade(engine: sqlalchemy.Engine, revision: str = "base") -> None:
    _run_migrations(engine, lambda scripts, current: scripts._downgrade_revs(revision, current))


def _run_migrations(engine: sqlalchemy.Engine, steps) -> None:  # type: ignore[no-untyped-def]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it; enforced foreign keys would block the copy.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            _lock_out_other_migrations(connection)
            with EnvironmentContext(
                config, scripts, fn=lambda current, _context: steps(scripts, current)
            ) as environment:
                environment.configure(connection=connection, render_as_batch=True)
                environment.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _lock_out_other_migrations(connection: sqlalchemy.Connection) -> None:
    """Until this transaction ends, make other processes wait before they read the schema's version.

    Instances and workers starting together on a new database would otherwise all create the
    tables and collide; this way the first migrates and the others find nothing left to do.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # SQLite's write lock, taken now instead of at the first write (Python's sqlite3 runs DDL
        # outside any transaction unless one was begun explicitly).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session(engine: sqlalchemy.Engine) -> Session:
    return Session(engine, expire_on_commit=False)


STORAGE_UNAVAILABLE = N_(
    "bildgen cannot store anything right now (the disk may be full or the database unavailable). "
    "Nothing was lost; try again in a moment or tell your administrator."
)


class StorageUnavailable(Refusal):
    """The database or the data folder refused a write (full disk, read-only, locked or gone)."""

    def __init__(self, message: str = STORAGE_UNAVAILABLE) -> None:
        # Raised while a user's event is answered: in their language.
        super().__init__(_(message), kind="storage")

    @property
    def user_message(self) -> str:
        return self.message


# A database that is gone, locked or read-only, or a full disk: what a front answers plainly instead of crashing.
STORAGE_ERRORS = (sqlalchemy.exc.SQLAlchemyError, OSError)


def is_storage_failure(error: BaseException) -> bool:
    # OperationalError: SQLite's "database or disk is full" / "readonly" / "locked", PostgreSQL gone.
    # OSError: ENOSPC, EROFS, EIO writing a file. Integrity and programming errors are bugs, not these.
    return isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError | OSError)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turns a storage failure into StorageUnavailable, the one error every caller shows plainly."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as error:
        if is_storage_failure(error):
            raise StorageUnavailable() from error
        raise
