"""What several benchmarks measure the same way: repeated timings, and peak memory of a scenario
run in fresh processes (peak RSS only ever grows, so each sample needs a process of its own)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bildgen.store.models import Generation, GenerationStatus, Image


def timings_ms(action: Callable[[], object], repeats: int) -> list[float]:
    """How long each of `repeats` calls of `action` took, in ms."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def benchmark_generation(prompt: str, *, side: int = 1024, steps: int = 20, **fields) -> Generation:
    """A one-image job on the demo model, as the benchmarks save or seed them."""
    return Generation(
        prompt=prompt,
        model_profile="demo",
        served_model="bildgen-demo",
        width=side,
        height=side,
        steps=steps,
        guidance=4.0,
        guidance_field="guidance_scale",
        variant_count=1,
        **fields,
    )


def finished_job_rows(
    owner_id: str, prompt: str, seed: int, sha256: str, created_at: datetime, *, side: int = 1024, **fields
) -> list[Generation | Image]:
    """A finished one-image job and its image (a stored file's), to seed a gallery straight into the database."""
    generation = benchmark_generation(
        prompt, side=side, owner_id=owner_id, status=GenerationStatus.DONE, created_at=created_at, **fields
    )
    image = Image(
        owner_id=owner_id,
        generation_id=generation.id,
        variant=0,
        seed=seed,
        width=side,
        height=side,
        sha256=sha256,
        created_at=created_at,
    )
    return [generation, image]


def peak_rss_mib() -> float:
    # VmHWM starts afresh with each program; getrusage's ru_maxrss would inherit the parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def report_peak(started: float, baseline: float) -> None:
    """In a scenario's process: what `peak_row` reads (RSS before, peak RSS, seconds)."""
    print(f"{baseline:.1f} {peak_rss_mib():.1f} {time.perf_counter() - started:.2f}")


def peak_row(module: str, label: str, arguments: list[str], repeats: int) -> str:
    """A table row of `python -m module *arguments` run `repeats` times, each in a fresh process that
    ends with `report_peak`: medians of RSS before, peak RSS (min–max), growth and seconds."""
    samples = []
    for _ in range(repeats):
        answer = subprocess.run(
            [sys.executable, "-m", module, *arguments],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent.parent,
        )
        samples.append([float(value) for value in answer.stdout.split()])
    baseline, peak, seconds = (statistics.median(column) for column in zip(*samples, strict=True))
    peaks = sorted(sample[1] for sample in samples)
    return f"| {label} | {baseline:.0f} | {peak:.0f} ({peaks[0]:.0f}–{peaks[-1]:.0f}) | {peak - baseline:.0f} | {seconds:.1f} |"
