"""What Content Credentials cost per image: the time to sign (against the whole save) and the bytes
they add, for a text-to-image result and for an edit (one reference and a mask as ingredients).

Run with `.venv/bin/python -m bench.provenance` (under a minute on 2 cores). It writes the section
"Content Credentials" of docs/benchmarks.md, one row per run, earlier rows kept.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from bench.measuring import benchmark_generation, timings_ms
from bench.queue import write_section
from bildgen.admin.keys import KeyBox
from bildgen.images.decoding import DecodedImage
from bildgen.inference.demo.renderer import render
from bildgen.provenance.marking import Marker
from bildgen.provenance.signing import Ingredient
from bildgen.store import metadata
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import Generation, User

HEADING = "## Content Credentials"
REPEATS = 15
GOAL_SHARE, GOAL_BYTES = 0.10, 20_000
TABLE_HEAD = (
    "| run | saving a 1024² image, ms | of it signing, ms | share | bytes added | the same for an edit:"
    " signing, ms | bytes added | goals met |"
)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _photo_like() -> bytes:
    """A 1024² PNG of a real model's size (~1.5 MB): the demo's flat drawing with sensor-like noise
    (the flat drawing alone compresses to 20 KB, which would flatter every per-byte cost)."""
    drawing = Image.open(io.BytesIO(render("a lighthouse at dusk", width=1024, height=1024, seed=1))).convert("RGB")
    noise = Image.effect_noise((1024, 1024), 24).convert("RGB")
    return _png(Image.blend(drawing, noise, 0.25))


def _median_ms(action) -> float:
    return statistics.median(timings_ms(action, REPEATS))


def measure(root: Path) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{root / 'bench.db'}")
    migrate(engine)
    with session(engine) as db:
        owner = User(username="bench", password_hash="x")
        db.add(owner)
        db.commit()
        db.refresh(owner)
    marker = Marker(engine, root / "provenance", KeyBox(os.urandom(32)))
    plain = ImageLibrary(engine, ImageFiles(root / "plain"), ImageFiles(root / "t1", suffix=".webp"))
    signed = ImageLibrary(engine, ImageFiles(root / "signed"), ImageFiles(root / "t2", suffix=".webp"), marker)
    picture = _photo_like()
    decoded = DecodedImage(picture, 1024, 1024)
    reference = _png(Image.new("RGB", (1024, 1024), "teal"))
    mask = _png(Image.new("L", (1024, 1024), 255))
    edit_inputs = (Ingredient("reference-1.png", reference), Ingredient("mask.png", mask))

    def generation(**fields) -> Generation:
        row = benchmark_generation("a lighthouse at dusk", owner_id=owner.id, **fields)
        with session(engine) as db:
            db.add(row)
            db.commit()
            db.refresh(row)
        return row

    text_job, edit_job = generation(), generation(reference_count=1, mode="image-to-image")
    seeds = iter(range(10**6))

    def save(library: ImageLibrary, job: Generation, inputs=()) -> bytes:
        # As the runner saves an image: the file and row, then its thumbnail. A new seed each time:
        # a new file (the same bytes would be deduplicated on disk).
        _saved, sha256, png = library.save_generated(
            job, variant=0, seed=next(seeds), decoded=decoded, generation_ms=0, inputs=inputs
        )
        library.make_thumbnail(sha256, png)
        return png

    recipe_only = len(metadata.embed(picture, metadata.StoredRecipe(prompt="a lighthouse at dusk", seed=1)))
    saving_plain = _median_ms(lambda: save(plain, text_job))
    saving_signed = _median_ms(lambda: save(signed, text_job))
    saving_edit = _median_ms(lambda: save(signed, edit_job, edit_inputs))
    plain_edit = _median_ms(lambda: save(plain, edit_job))
    return {
        "saving": saving_signed,
        "signing": saving_signed - saving_plain,
        "added": len(save(signed, text_job)) - recipe_only,
        "edit_signing": saving_edit - plain_edit,
        "edit_added": len(save(signed, edit_job, edit_inputs)) - recipe_only,
    }


def main() -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        figures = measure(Path(folder))
    share = figures["signing"] / figures["saving"]
    met = share <= GOAL_SHARE and figures["added"] <= GOAL_BYTES and figures["edit_added"] <= GOAL_BYTES
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load:.1f} | {figures['saving']:.1f} |"
        f" {figures['signing']:.1f} | {share:.0%} | {figures['added']:,} | {figures['edit_signing']:.1f} |"
        f" {figures['edit_added']:,} | {'yes' if met else '**no**'} |"
    )
    print(row)
    document = (Path(__file__).parent.parent / "docs" / "benchmarks.md").read_text()
    section = document[document.find(HEADING) :] if HEADING in document else ""
    earlier = [line for line in section.splitlines() if line.startswith("| 20")]
    text = "\n".join(
        [
            HEADING,
            "",
            "Measured by `python -m bench.provenance`: the median of "
            f"{REPEATS} saves of a 1024² picture of a real model's file size (~1.5 MB) as the runner saves it"
            " (ImageLibrary.save_generated: recipe chunks, XMP, hash, fsync, row; then the thumbnail) with and"
            " without Content Credentials; signing = the difference (C2PA manifest,"
            " ES256 signature with the test certificate, the PNG written again). Bytes added = the signed file"
            " against the file with the recipe chunks only (XMP included). Goals: signing under"
            f" {GOAL_SHARE:.0%} of the saving time, under {GOAL_BYTES // 1000} KB per image.",
            "",
            TABLE_HEAD,
            "|---|---|---|---|---|---|---|---|",
            *earlier,
            row,
            "",
        ]
    )
    write_section(text, HEADING)


if __name__ == "__main__":
    main()
