"""A ZIP of images, written as it is sent: a few MiB in memory whether it holds 20 images or 20,000.

zipfile writes into a sink that hands its bytes on (an unseekable output: zipfile then writes data
descriptors); each image file is copied in chunks. PNGs are compressed already: stored, not deflated.
The PNGs keep their recipe chunks; recipes.json lists every recipe by file name besides.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from bildgen.store.metadata import StoredRecipe

CHUNK = 1024 * 1024
RECIPES_NAME = "recipes.json"


@dataclasses.dataclass(frozen=True)
class ZipEntry:
    name: str  # the single download's name (bildgen.filenames)
    path: Path
    created: datetime
    recipe: StoredRecipe


class _Sink:
    """The file zipfile writes to: collects bytes until the stream takes them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2.png`, `-3` … when the ZIP holds one of that name already."""
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{stem}-{number}{dot}{suffix}", number + 1
    taken.add(candidate)
    return candidate


def stream_zip(entries: Iterable[ZipEntry]) -> Iterator[bytes]:
    """The ZIP's bytes, piece by piece (blocking: disk reads; iterate it off the event loop)."""
    sink, taken, recipes = _Sink(), set(), {}
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[arg-type]
        for entry in entries:
            try:
                source = entry.path.open("rb")
            except OSError:
                continue  # removed since it was listed (deleted meanwhile): leave it out
            name = unique_name(entry.name, taken)
            info = zipfile.ZipInfo(name, date_time=entry.created.timetuple()[:6])
            with source, archive.open(info, mode="w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            recipes[name] = json.loads(entry.recipe.to_json())
            yield sink.take()
        info = zipfile.ZipInfo(RECIPES_NAME, date_time=datetime.now().timetuple()[:6])
        archive.writestr(info, json.dumps(recipes, ensure_ascii=False, indent=2), compress_type=zipfile.ZIP_DEFLATED)
    yield sink.take()
