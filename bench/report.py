"""The benchmark's figures over time: each run of `bench.run` is one JSON file in bench/results/, and
docs/benchmarks.md shows every figure with its earlier values, so that a regression shows at a glance.

`python -m bench.report` renders the top of docs/benchmarks.md again from the stored runs (the
sections other benchmarks write, from "## The job queue" on, stay as they are). A run measured
elsewhere is added by dropping its JSON file into bench/results/.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import re
import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results"
DOCUMENT = Path(__file__).parent.parent / "docs" / "benchmarks.md"
# What is behind the figures that miss (or nearly miss) their goal, measured while tuning.
NOTES = Path(__file__).parent / "notes.md"
# Sections of docs/benchmarks.md that other benchmarks (bench.queue, bench.polling, bench.batch) write.
OTHER_SECTIONS = ("## The job queue", "## Polled tasks", "## Batches")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclasses.dataclass(frozen=True)
class Goal:
    """A figure that has a goal: one value per run, compared over time."""

    key: str
    name: str
    unit: str
    goal: str
    met: Callable[[float], bool] | None
    digits: int


GOALS = (
    Goal("ui_over_sdk", "UI ÷ direct SDK, one 1024² image (medians)", "", "≤ 1.03", lambda v: v <= 1.03, 3),
    Goal("four_over_one", "four ÷ one variant (medians)", "", "≤ 1.15", lambda v: v <= 1.15, 3),
    Goal("gallery_first_p50", "gallery first page, server query, median", "ms", "≤ 50 ms", lambda v: v <= 50, 1),
    Goal("gallery_deep_p50", "gallery deep page, server query, median", "ms", "≤ 50 ms", lambda v: v <= 50, 1),
    Goal("largest_frame", "largest websocket frame, gallery", "bytes", "≤ 65,536", lambda v: v <= 65536, 0),
    Goal("load_more_p50", "gallery 'Load more' in the browser, median", "ms", "≤ 150 ms", lambda v: v <= 150, 1),
    Goal("memory_per_tab", "backend memory per connected tab, median", "KiB", "≤ 20 KiB", lambda v: v <= 20, 1),
    Goal("round_trip_p95", "event round trip p95 while users generate", "ms", "≤ 300 ms", lambda v: v <= 300, 0),
    Goal("saving_over_floor", "saving ÷ the Pillow floor (medians)", "", "≤ 1.2", lambda v: v <= 1.2, 2),
    Goal("v1_over_upstream", "`/v1` ÷ the same request sent directly upstream", "", "≤ 1.02", lambda v: v <= 1.02, 3),
    # The feed stops at 32 runs, then links to the gallery: however long it is, the tab holds that many.
    Goal(
        "feed_heap_end",
        "feed scrolled to the end: the tab's JS heap at the end",
        "MiB",
        "≤ 20 MiB",
        lambda v: v <= 20,
        1,
    ),
    Goal(
        "feed_backend_growth",
        "feed scrolled to the end: backend memory, end − first page",
        "MiB",
        "≤ 10 MiB",
        lambda v: v <= 10,
        1,
    ),
)


@dataclasses.dataclass
class Figure:
    key: str
    name: str
    unit: str
    samples: list[float]
    # The machine's 1-minute load average when the figure was taken (other work shares its cores).
    load: float = dataclasses.field(default_factory=lambda: os.getloadavg()[0])

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def row(self) -> str:
        return (
            f"| {self.name} | {_number(min(self.samples), 1)} | {_number(self.median, 1)} | "
            f"{_number(max(self.samples), 1)} | {self.unit} | {len(self.samples)} | {self.load:.1f} |"
        )

    def stored(self) -> dict:
        return {
            "name": self.name,
            "unit": self.unit,
            "min": min(self.samples),
            "median": self.median,
            "max": max(self.samples),
            "runs": len(self.samples),
            "load": round(self.load, 2),
            "samples": self.samples,
        }


@dataclasses.dataclass
class Run:
    """One run of the benchmark: its figures, and the goal values computed from them."""

    latency_s: float
    figures: list[Figure] = dataclasses.field(default_factory=list)
    headline: dict[str, float] = dataclasses.field(default_factory=dict)
    started: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    load_before: tuple[float, float, float] = dataclasses.field(default_factory=os.getloadavg)
    # Names the run in the tables (default: its date); "2026-12-07 before" and "… after" for a fix.
    label: str = ""

    def add(self, key: str, name: str, unit: str, samples: list[float]) -> Figure:
        figure = Figure(key, name, unit, [float(sample) for sample in samples])
        self.figures.append(figure)
        print(figure.row(), flush=True)
        return figure

    def record(self) -> dict:
        return {
            "label": self.label or f"{self.started:%Y-%m-%d}",
            "measured": f"{self.started:%Y-%m-%d %H:%M} UTC",
            "machine": machine(),
            "latency_s": self.latency_s,
            "load_before": [round(value, 2) for value in self.load_before],
            "load_after": [round(value, 2) for value in os.getloadavg()],
            "headline": {key: round(value, 4) for key, value in self.headline.items()},
            "figures": {figure.key: figure.stored() for figure in self.figures},
        }

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / (re.sub(r"[^\w.-]+", "-", self.label or f"{self.started:%Y-%m-%d}") + ".json")
        path.write_text(json.dumps(self.record(), indent=1, ensure_ascii=False) + "\n")
        render_into_document()
        return path


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}"
    )


def stored_runs() -> list[dict]:
    """Every stored run, oldest first."""
    return sorted((json.loads(path.read_text()) for path in RESULTS.glob("*.json")), key=lambda run: run["measured"])


def _number(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _history_cell(run: dict, key: str, digits: int) -> str:
    value = run.get("headline", {}).get(key)
    if isinstance(value, str):  # a range or a note, as it was reported
        return value
    return _number(value, digits)


def _load_range(run: dict) -> str:
    """The lowest and highest load average the run's figures were taken at (2 cores: above 2, they waited)."""
    loads = [
        figure["load"] for figure in run.get("figures", {}).values() if isinstance(figure.get("load"), int | float)
    ]
    if not loads:
        return str(run.get("load", "—"))
    return f"{min(loads):.0f}–{max(loads):.0f}"


def render(runs: list[dict] | None = None) -> str:
    """The top of docs/benchmarks.md: goals over time, the newest run's figures, the notes."""
    runs = stored_runs() if runs is None else runs
    newest = runs[-1]
    labels = [run["label"] for run in runs]
    goal_rows = []
    for goal in GOALS:
        cells = [_history_cell(run, goal.key, goal.digits) for run in runs]
        value = newest.get("headline", {}).get(goal.key)
        verdict = "not measured" if not isinstance(value, int | float) else "met" if goal.met(value) else "**missed**"
        name = f"{goal.name} ({goal.unit})" if goal.unit else goal.name
        goal_rows.append(f"| {name} | {' | '.join(cells)} | {goal.goal} | {verdict} |")
    loads = [_load_range(run) for run in runs]
    goal_rows.append(f"| the machine's load average (1 min) while measuring | {' | '.join(loads)} | — | — |")
    keys = list(dict.fromkeys(key for run in runs for key in run.get("figures", {})))
    median_rows = []
    for key in keys:
        named = next(run["figures"][key] for run in reversed(runs) if key in run.get("figures", {}))
        digits = 0 if named["unit"] == "bytes" else 1
        cells = [_number(run.get("figures", {}).get(key, {}).get("median"), digits) for run in runs]
        median_rows.append(f"| {named['name']} | {named['unit']} | {' | '.join(cells)} |")
    detailed = next((run for run in reversed(runs) if run.get("figures")), newest)
    figure_rows = [
        f"| {figure['name']} | {_number(figure['min'], 1)} | {_number(figure['median'], 1)} | "
        f"{_number(figure['max'], 1)} | {figure['unit']} | {figure['runs']} | {_number(figure.get('load'), 1)} |"
        for figure in detailed.get("figures", {}).values()
    ]
    runs_list = [
        f"- **{run['label']}**: {run.get('measured', '')}, {run.get('machine', '')}"
        + (f"; load average {run['load_before'][0]:.1f} at the start" if run.get("load_before") else "")
        + (f". {run['note']}" if run.get("note") else ".")
        for run in runs
    ]
    separator = "|---" * (len(runs) + 3) + "|"
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "`scripts/bench` measures what bildgen costs on top of the inference server. The demo inference",
            f"server answers each image after a fixed {newest.get('latency_s', 2.0):g} s, so what is left is bildgen's own cost;",
            "the browser is Debian's headless Chromium, on the same machine. Each run is stored in",
            "`bench/results/DATE.json` and this page is rendered from all of them (`python -m bench.report`):",
            "each figure keeps its earlier values, so a regression shows at a glance. The goals are goals for",
            "the benchmark, never timing assertions in tests; the test command runs the benchmark's quick mode",
            "(`tests/e2e/test_bench_quick.py`) only to prove that every figure can still be computed.",
            "",
            "The runs:",
            "",
            *runs_list,
            "",
            "## Goals, over time",
            "",
            f"| figure | {' | '.join(labels)} | goal | now |",
            separator,
            *goal_rows,
            "",
            "## Every figure's median, over time",
            "",
            f"| figure | unit | {' | '.join(labels)} |",
            "|---" * (len(runs) + 2) + "|",
            *median_rows,
            "",
            f"## Every figure of the newest full run ({detailed['label']})",
            "",
            "Load: the machine's 1-minute load average when the figure was taken (2 cores; other work shared them).",
            "",
            "| figure | min | median | max | unit | runs | load |",
            "|---|---|---|---|---|---|---|",
            *figure_rows,
            "",
            NOTES.read_text().rstrip("\n"),
            "",
        ]
    )


def render_into_document(document: Path = DOCUMENT, runs: list[dict] | None = None) -> None:
    """Replace the top of docs/benchmarks.md, keeping the sections other benchmarks wrote."""
    existing = document.read_text() if document.exists() else ""
    starts = [existing.find(heading) for heading in OTHER_SECTIONS if heading in existing]
    rest = existing[min(starts) :] if starts else ""
    document.write_text(render(runs) + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    render_into_document()
    print(f"wrote {DOCUMENT}")
