"""Content-addressed image files: written to a temporary file, fsynced, then renamed into place.

A reader therefore sees a whole file or none, and a crash leaves at most a temporary file that the
next start can remove. Identical images share one file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ImageFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._temporary = root / "tmp"

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a sha256 digest")
        return self.root / sha256[:2] / f"{sha256}.png"

    def save(self, png: bytes) -> str:
        """Store the bytes as they are (never re-encoded) and return their sha256."""
        sha256 = hashlib.sha256(png).hexdigest()
        final = self.path_for(sha256)
        if final.exists():
            return sha256
        final.parent.mkdir(parents=True, exist_ok=True)
        self._temporary.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._temporary, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(png)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(final.parent)
        return sha256


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
