"""Peak memory while upscaled 4096² images arrive together: what bildgen does with each (check every
pixel, embed the recipe, hash, thumbnail) in a thread each, against all queued in the one-thread
image pool (the runner's way, `bildgen.cpu.in_image_pool`). Also one expand of a 2048² image.

Run with `.venv/bin/python -m bench.upscale_memory` (about a minute on 2 cores). Every scenario
runs in a fresh process, since peak RSS only ever grows; the figures go into docs/benchmarks.md,
section "Upscaling and expanding".
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.measuring import peak_row, peak_rss_mib, report_peak

ARRIVING = 4
SIDE = 4096  # the largest output an upscaler profile makes by default
REPEATS = 3
DOCUMENT = Path(__file__).parent.parent / "docs" / "benchmarks.md"
HEADING = "## Upscaling and expanding"


def upscaled_png(side: int = SIDE) -> bytes:
    """A PNG like an upscaler's answer (gradients and noise, so it does not compress to nothing)."""
    ramp = Image.linear_gradient("L").resize((side, side))
    noise = Image.effect_noise((side, side), 40)
    picture = Image.merge("RGB", (ramp, noise, ramp.rotate(90)))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def handle(data: bytes) -> str:
    """What the runner does with an arriving image before and after its row: decode-check, recipe, hash, thumbnail."""
    from bildgen.inference.decoding import to_png
    from bildgen.store import metadata
    from bildgen.store.thumbnails import make_thumbnail

    decoded = to_png(data)
    recipe = metadata.StoredRecipe(prompt="a harbour", seed=1, width=decoded.width, height=decoded.height)
    png = metadata.embed(decoded.png, recipe)
    make_thumbnail(png)
    return hashlib.sha256(png).hexdigest()


def run_scenario(scenario: str, path: str) -> None:
    data = Path(path).read_bytes()
    baseline = peak_rss_mib()
    started = time.perf_counter()
    if scenario == "expand":
        from bildgen.generation.expand import Padding, expand_canvas

        canvas, mask = expand_canvas(data, Padding(left=SIDE // 4, right=SIDE // 4))
        assert canvas.startswith(b"\x89PNG") and mask.startswith(b"\x89PNG")
    else:
        from bildgen.cpu import in_image_pool

        def work(item: bytes):
            return asyncio.to_thread(handle, item) if scenario == "thread-each" else in_image_pool(handle, item)

        async def all_at_once() -> list[str]:
            return await asyncio.gather(*(work(data) for _ in range(ARRIVING)))

        assert len(asyncio.run(all_at_once())) == ARRIVING
    report_peak(started, baseline)


def main() -> None:
    with tempfile.NamedTemporaryFile(suffix=".png") as answer, tempfile.NamedTemporaryFile(suffix=".png") as source:
        png = upscaled_png()
        answer.write(png)
        answer.flush()
        source.write(upscaled_png(SIDE // 2))
        source.flush()
        inputs = {"thread-each": answer.name, "image-pool": answer.name, "expand": source.name}
        rows = [
            peak_row("bench.upscale_memory", label, [scenario, inputs[scenario]], REPEATS)
            for scenario, label in (
                ("thread-each", f"{ARRIVING} upscaled 4096² images, a thread each (`asyncio.to_thread`)"),
                ("image-pool", f"{ARRIVING} upscaled 4096² images, one at a time (the image pool, as the runner does)"),
                ("expand", "expanding a 2048² image to 4096 × 2048 (canvas and mask, `expand_canvas`)"),
            )
        ]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured {now} by `python -m bench.upscale_memory` on the machine above (load average "
            f"{os.getloadavg()[0]:.1f} at the start); medians of {REPEATS} fresh processes, peak RSS as min–max in brackets.",
            f"The upscaled PNG is {len(png) / 2**20:.1f} MB (gradients and noise).",
            "",
            "| work | RSS before (MiB) | peak RSS (MiB) | growth (MiB) | seconds |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "- Per arriving image bildgen decodes every pixel (nothing corrupt is kept), embeds the recipe, hashes and",
            "  makes the thumbnail. A 4096² RGB image is 48 MiB decoded; in the image pool one is decoded at a time,",
            "  so memory stays bounded however many upscales end together (the runner saves each with `in_image_pool`).",
            "- An upscaler profile makes at most `max_output_side` pixels a side (4096 by default), checked before a",
            "  request is sent; the decoder refuses anything beyond 40 megapixels (`decoding.MAX_PIXELS`).",
            "- Expand first blurred the new area at full size: 200 MiB growth in the run before (17:13 UTC); blurring",
            "  at 1/8 of the size and enlarging once made it the figure above.",
            "",
        ]
    )
    text = DOCUMENT.read_text()
    if HEADING in text:
        start = text.index(HEADING)
        following = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCUMENT.write_text(text)
    print(section)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        run_scenario(sys.argv[1], sys.argv[2])
    else:
        main()
