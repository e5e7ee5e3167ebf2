"""Peak memory of reference uploads arriving together: each decoded in its own thread against all
queued in the one-thread image pool (`clean_reference_async`).

Run with `.venv/bin/python -m bench.reference_memory` (about a minute on 2 cores). Every scenario
runs in a fresh process, since peak RSS only ever grows; the figures go to bench/reference_memory.md.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.measuring import peak_row, peak_rss_mib, report_peak

UPLOADS = 4
WIDTH, HEIGHT = 8000, 5000  # 40 megapixels: the largest reference accepted
REPEATS = 3
REPORT = Path(__file__).parent / "reference_memory.md"


def forty_megapixel_png() -> bytes:
    """A 40-megapixel PNG under the 20 MB upload limit (smooth gradients compress well)."""
    ramp = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    picture = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp.rotate(180)))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def run_scenario(scenario: str, path: str) -> None:
    """In a child process: clean UPLOADS copies at once, print baseline and peak RSS and seconds."""
    if scenario == "thread-each":  # what the studio did: asyncio.to_thread per upload
        from bildgen.store.references import clean_reference

        def clean(data: bytes, *, name: str):
            return asyncio.to_thread(clean_reference, data, name=name)
    else:
        from bildgen.store.references import clean_reference_async as clean

    data = Path(path).read_bytes()
    baseline = peak_rss_mib()

    async def all_at_once() -> list[bytes]:
        return await asyncio.gather(*(clean(data, name=f"upload-{index}.png") for index in range(UPLOADS)))

    started = time.perf_counter()
    cleaned = asyncio.run(all_at_once())
    assert len(cleaned) == UPLOADS and all(png.startswith(b"\x89PNG") for png in cleaned)
    report_peak(started, baseline)


def main() -> None:
    with tempfile.NamedTemporaryFile(suffix=".png") as upload:
        png = forty_megapixel_png()
        upload.write(png)
        upload.flush()
        rows = [
            peak_row("bench.reference_memory", label, [scenario, upload.name], REPEATS)
            for scenario, label in (
                ("thread-each", "a thread each (`asyncio.to_thread`, as the studio calls it so far)"),
                ("image-pool", "one at a time (`clean_reference_async`, the image pool)"),
            )
        ]
    report = "\n".join(
        [
            "# Reference uploads arriving together",
            "",
            f"{UPLOADS} PNGs of {WIDTH}×{HEIGHT} pixels ({len(png) / 2**20:.1f} MB each) cleaned at once by",
            f"`bildgen.store.references` (`python -m bench.reference_memory`); medians of {REPEATS} fresh processes,",
            "peak RSS as min–max in brackets.",
            "",
            "Before `clean_reference` worked in place (commit 52f3a89, two extra copies per picture), a thread",
            "each peaked at 1860 MiB in the same run.",
            "",
            "| decoding | RSS before (MiB) | peak RSS (MiB) | growth (MiB) | seconds for all |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    REPORT.write_text(report)
    print(report)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        run_scenario(sys.argv[1], sys.argv[2])
    else:
        main()
