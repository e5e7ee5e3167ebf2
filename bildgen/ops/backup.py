"""Back up a running bildgen, and restore a backup into an empty instance.

A backup is a folder: `database.sqlite` (SQLite's online backup) or `database.pgdump` (pg_dump's
custom format), `files/` (the data folder: images, thumbnails, references and masks, the key file),
and `manifest.json`. It is written as `<name>.partial` and renamed when whole, so a folder with the
final name is always complete.

Consistency while people keep generating: files are written before their row and never change, and a
row is deleted before its file. So the files are copied once before the database is read (every file
a deleted row still had is caught), once after (every file a new row points at is there), and then
each image, reference and mask of the backed-up database is checked to have its file.

    python -m bildgen.ops.backup create /backups/bildgen-2026-12-07
    python -m bildgen.ops.backup restore /backups/bildgen-2026-12-07
(scripts/backup and scripts/restore run these with the instance's environment.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy
from sqlmodel import select

from bildgen.settings import Settings, SettingsError, load_settings
from bildgen.store.db import make_engine, migrate
from bildgen.store.files import TEMPORARY_SUFFIX
from bildgen.store.models import EditMask, Image, ReferenceImage, utc_now

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
SQLITE_DUMP = "database.sqlite"
POSTGRES_DUMP = "database.pgdump"


class BackupError(Exception):
    """Why a backup or restore cannot go on, in words for the operator."""


# ---- files ------------------------------------------------------------------------------------------


def _data_files(data_dir: Path, skip: set[Path]) -> Iterable[Path]:
    """Every file of the data folder worth keeping: not the live SQLite files, not temporaries."""
    for folder, folders, names in os.walk(data_dir):
        folders[:] = [name for name in folders if name != "tmp"]
        for name in names:
            path = Path(folder) / name
            if path in skip or name.endswith(TEMPORARY_SUFFIX) or name.startswith(".readyz-"):
                continue
            yield path


def _copy_new_files(data_dir: Path, target: Path, skip: set[Path]) -> int:
    copied = 0
    for path in _data_files(data_dir, skip):
        copy = target / path.relative_to(data_dir)
        if copy.exists():
            continue  # stored files never change: one copy is enough
        copy.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # deleted since it was listed (its row went first)
            shutil.copy2(path, copy)
            copied += 1
    return copied


def _sqlite_path(db_url: str) -> Path | None:
    return Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None


def _live_sqlite_files(settings: Settings) -> set[Path]:
    database = _sqlite_path(settings.db_url)
    if database is None:
        return set()
    return {database.parent / (database.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")}


# ---- databases --------------------------------------------------------------------------------------


def _libpq(db_url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore, and an environment with the password (never on a command line)."""
    url = sqlalchemy.make_url(db_url)
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, environment


def _stored_hashes(connection: sqlalchemy.Connection) -> dict[str, set[str]]:
    """The files the database points at, by the data-folder subfolder that holds them."""
    references = set(connection.execute(select(ReferenceImage.sha256)).scalars()) | set(
        connection.execute(select(EditMask.sha256)).scalars()
    )
    return {"images": set(connection.execute(select(Image.sha256)).scalars()), "references": references}


def _dump_sqlite(source: Path, target: Path) -> dict[str, set[str]]:
    with contextlib.closing(sqlite3.connect(source, timeout=60)) as live:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            live.backup(copy)  # a consistent snapshot while others write
    engine = make_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return _stored_hashes(connection)
    finally:
        engine.dispose()


def _dump_postgres(db_url: str, target: Path) -> dict[str, set[str]]:
    """pg_dump of one snapshot, and the files that very snapshot points at."""
    engine = sqlalchemy.create_engine(db_url, poolclass=sqlalchemy.NullPool)
    url, environment = _libpq(db_url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            hashes = _stored_hashes(connection)
            # The snapshot lives as long as this transaction: pg_dump reads exactly what we read.
            result = subprocess.run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    url,
                ],
                env=environment,
                capture_output=True,
                text=True,
            )
    finally:
        engine.dispose()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return hashes


def _missing_files(files: Path, hashes: dict[str, set[str]]) -> list[str]:
    missing = []
    for folder, keys in hashes.items():
        present = {path.stem for path in (files / folder).glob("*/*") if path.is_file()}
        missing += [f"{folder}/{key}" for key in sorted(keys - present)]
    return missing


# ---- backup -----------------------------------------------------------------------------------------


def create(settings: Settings, destination: Path) -> dict:
    if destination.exists():
        raise BackupError(f"{destination} exists already: give a new folder for each backup.")
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700, parents=True)  # it holds the key file and every user's images
    files = partial / FILES
    files.mkdir()
    skip = _live_sqlite_files(settings)
    _copy_new_files(settings.data_dir, files, skip)  # before the database: deleted rows' files are caught
    sqlite = _sqlite_path(settings.db_url)
    if sqlite is not None:
        if not sqlite.exists():
            raise BackupError(f"No database at {sqlite}: is BILDGEN_DATA_DIR (or REFLEX_DB_URL) the instance's?")
        kind, dump = "sqlite", SQLITE_DUMP
        hashes = _dump_sqlite(sqlite, partial / dump)
    elif settings.db_url.startswith("postgresql"):
        kind, dump = "postgresql", POSTGRES_DUMP
        hashes = _dump_postgres(settings.db_url, partial / dump)
    else:
        raise BackupError("Only SQLite and PostgreSQL databases can be backed up.")
    _copy_new_files(settings.data_dir, files, skip)  # after: new rows' files are there
    missing = _missing_files(files, hashes)
    manifest = {
        "format": FORMAT,
        "created_at": utc_now().isoformat(),
        "database": kind,
        "database_file": dump,
        "images": len(hashes["images"]),
        "references": len(hashes["references"]),
        # Files of images made and deleted again during the backup; their rows are in it without them.
        "missing_files": missing,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    partial.rename(destination)
    return manifest


# ---- restore ----------------------------------------------------------------------------------------


def _is_empty_folder(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def _database_is_empty(db_url: str) -> bool:
    sqlite = _sqlite_path(db_url)
    if sqlite is not None:
        return not sqlite.exists() or sqlite.stat().st_size == 0
    engine = sqlalchemy.create_engine(db_url, poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as connection:
            return not sqlalchemy.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def restore(settings: Settings, source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not a bildgen backup (no readable {MANIFEST}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.get('format')!r}; this bildgen reads {FORMAT}.")
    target_kind = "sqlite" if _sqlite_path(settings.db_url) else "postgresql"
    if manifest["database"] != target_kind:
        raise BackupError(
            f"The backup holds a {manifest['database']} database and this instance uses {target_kind}: "
            "restore into an instance with the same kind of database."
        )
    if not _is_empty_folder(settings.data_dir) or not _database_is_empty(settings.db_url):
        raise BackupError(
            "Restore goes into an empty instance: BILDGEN_DATA_DIR must be empty or missing, and the database "
            "without tables. Nothing was changed."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    dump = source / manifest["database_file"]
    sqlite = _sqlite_path(settings.db_url)
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(dump)) as backup, contextlib.closing(sqlite3.connect(sqlite)) as live:
            backup.backup(live)
    else:
        url, environment = _libpq(settings.db_url)
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", f"--dbname={url}", str(dump)],
            env=environment,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    shutil.copytree(source / FILES, settings.data_dir, dirs_exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)  # a backup of an older release: its schema is brought up to date
    finally:
        engine.dispose()
    return manifest


# ---- command line -----------------------------------------------------------------------------------


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bildgen.ops.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create", help="back up this instance into a new folder").add_argument("folder", type=Path)
    commands.add_parser("restore", help="restore a backup into this empty instance").add_argument("folder", type=Path)
    chosen = parser.parse_args(arguments)
    try:
        settings = load_settings()
        if chosen.command == "create":
            manifest = create(settings, chosen.folder.resolve())
            print(f"Backed up {manifest['images']} images and the {manifest['database']} database to {chosen.folder}.")
            if manifest["missing_files"]:
                print(
                    f"{len(manifest['missing_files'])} images were made and deleted during the backup; "
                    "their rows are in it without files (listed in manifest.json).",
                    file=sys.stderr,
                )
        else:
            manifest = restore(settings, chosen.folder.resolve())
            print(f"Restored {manifest['images']} images and the database from {chosen.folder}.")
    except (BackupError, SettingsError) as error:
        print(f"bildgen: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
