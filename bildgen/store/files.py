"""Content-addressed files: written to a temporary file, fsynced, then renamed into place.

A reader therefore sees a whole file or none, and a crash leaves at most a temporary file that the
next start removes. Identical images share one file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")
TEMPORARY_SUFFIX = ".part"


def write_atomically(final: Path, data: bytes, *, temporary_dir: Path) -> None:
    """Whole or not at all, and durable: written to a temporary file, fsync'd, renamed over `final`
    (on the same file system), and the folder fsync'd so the rename survives a crash."""
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=temporary_dir, suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(final.parent)


class ImageFiles:
    def __init__(self, root: Path, *, suffix: str = ".png") -> None:
        self.root = root
        self.suffix = suffix
        self.temporary = root / "tmp"

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a sha256 digest")
        return self.root / sha256[:2] / f"{sha256}{self.suffix}"

    def save(self, data: bytes) -> str:
        """Store the bytes as they are and return their sha256."""
        return self.add(data)[0]

    def add(self, data: bytes) -> tuple[str, bool]:
        """Store the bytes; their sha256, and whether this call made the file (False: it was there,
        maybe another row's, so it is not this caller's to remove)."""
        sha256 = hashlib.sha256(data).hexdigest()
        existed = self.path_for(sha256).exists()
        self.save_as(sha256, data)
        return sha256, not existed

    def save_as(self, key: str, data: bytes) -> Path:
        """Store bytes under another file's hash (a thumbnail under its image's), atomically."""
        final = self.path_for(key)
        if final.exists():
            return final
        write_atomically(final, data, temporary_dir=self.temporary)
        return final

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def stored(self) -> Iterator[tuple[str, Path]]:
        """Every stored file as (hash, path); temporaries are not listed."""
        for path in self.root.glob(f"??/*{self.suffix}"):
            key = path.name.removesuffix(self.suffix)
            if _SHA256.fullmatch(key):
                yield key, path

    def temporaries(self) -> list[Path]:
        return list(self.temporary.glob(f"*{TEMPORARY_SUFFIX}")) if self.temporary.exists() else []


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform allows opening a directory.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
