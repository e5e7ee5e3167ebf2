"""Faults on the production topology (issue 23): how soon a killed worker's job runs again, how many
images are lost per 100 faults, and how many jobs a rolling update of two instances interrupts.

Run with `python -m bench.faults [--runs N]`. It runs the fault campaign and the rolling update of
tests/e2e/test_deployment.py (PostgreSQL + Redis + 2 instances × 2 workers behind nginx, the build
served as in production; the test command runs the same two tests and asserts on them), which write
what they measured to the file BILDGEN_FAULT_FIGURES names. Each run is stored in
bench/results/faults/DATE.json, and the section "## Faults" of docs/benchmarks.md shows every stored
run, so a regression shows at a glance.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.queue import write_section
from bench.report import machine

HEADING = "## Faults"
RESULTS = Path(__file__).parent / "results" / "faults"
TESTS = "tests/e2e/test_deployment.py"
# The campaign's service takes this long per image (tests/e2e/test_deployment.py CAMPAIGN_LATENCY_S).
LATENCY_S = 3.0
GOAL_S = 5.0 + LATENCY_S


def measure(runs: int, figures_file: Path | None = None) -> dict:
    """Run the campaign and the rolling update `runs` times (or read what one run of the tests wrote
    to `figures_file`); every figure they wrote."""
    lines = figures_file.read_text().splitlines() if figures_file else []
    for _ in range(0 if figures_file else runs):
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as figures:
            # Not check=True: a failing campaign's figures are the ones to see.
            subprocess.run(
                [sys.executable, "-m", "pytest", TESTS, "-k", "campaign or rolling", "-p", "no:cacheprovider", "-s"],
                env={**os.environ, "BILDGEN_FAULT_FIGURES": figures.name},
            )
            lines += Path(figures.name).read_text().splitlines()
    campaigns, rollings = [], []
    for line in lines:
        record = json.loads(line)
        (campaigns if record.pop("campaign", False) else rollings).append(record)
    # The machine's load average as the campaign ended (the tests note it), else as this is stored.
    load = max([campaign.get("load", 0.0) for campaign in campaigns] or [0.0]) or os.getloadavg()[0]
    return {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "load": load,
        "campaigns": campaigns,
        "rollings": [{key: value for key, value in one.items() if key != "rolling"} for one in rollings],
    }


def _spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def row(run: dict) -> str:
    campaigns, rollings = run["campaigns"], run["rollings"]
    again = [seconds for campaign in campaigns for seconds in campaign["running_again_s"]]
    faults = sum(campaign["faults"] for campaign in campaigns)
    lost = sum(campaign["lost"] for campaign in campaigns)
    truth = "; ".join(
        " / ".join(f"{campaign['tab_truth_s'].get(outage, float('nan')):.2f}" for outage in ("redis", "postgresql"))
        for campaign in campaigns
    )
    interrupted = sum(rolling["interrupted"] for rolling in rollings)
    jobs = sum(rolling["jobs"] for rolling in rollings)
    return (
        f"| {run['measured']} UTC (load {run['load']:.1f}) | {_spread(again)} ({len(again)} kills) | "
        f"{100 * lost / faults:.1f} ({lost} of {sum(c['images'] for c in campaigns)} images, {faults} faults) | "
        f"{f'{interrupted} of {jobs}' if rollings else '— (not run)'} | {truth} |"
    )


def render(runs: list[dict]) -> str:
    newest = runs[-1]
    again = [seconds for campaign in newest["campaigns"] for seconds in campaign["running_again_s"]]
    lost = sum(campaign["lost"] for campaign in newest["campaigns"])
    # The newest run that made a rolling update (a run of the campaign alone has none).
    rolled = next((run["rollings"] for run in reversed(runs) if run["rollings"]), [])
    interrupted = sum(rolling["interrupted"] for rolling in rolled)
    faults = sum(campaign["faults"] for campaign in newest["campaigns"])
    verdicts = [
        (
            "`kill -9` → the job running again on another worker, s (median; max)",
            f"≤ {GOAL_S:g} (5 s + one latency)",
            f"{statistics.median(again):.2f}; {max(again):.2f}" if again else "—",
            bool(again) and max(again) <= GOAL_S,
        ),
        ("images lost per 100 faults", "0", f"{100 * lost / faults:.1f}", lost == 0),
        (
            "rolling update of 2 instances under load: jobs interrupted",
            "0",
            str(interrupted),
            interrupted == 0,
        ),
    ]
    seeds = ", ".join(str(campaign["seed"]) for campaign in newest["campaigns"])
    details = [
        f"{campaign['kills']} × `kill -9`, {campaign['sigterms']} × SIGTERM ({campaign['struck_running_jobs']} struck"
        f" a worker running a job); {campaign['handed_back']} hand-backs, {campaign['asked_again']} images asked"
        f" for again; interrupted {campaign['interrupted']}"
        for campaign in newest["campaigns"]
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Measured by `python -m bench.faults` (the fault campaign and the rolling update of `{TESTS}`, which"
            " the test command runs too) on the production topology: PostgreSQL + Redis + 2 instances × 2 workers"
            f" of one build behind the documented nginx. Newest run: {newest['measured']} UTC, {newest['machine']}.",
            "",
            "| figure | goal | newest run | |",
            "|---|---|---|---|",
            *(
                f"| {name} | {goal} | {value} | {'met' if met else '**missed**'} |"
                for name, goal, value, met in verdicts
            ),
            "",
            "Every run (kill → running again: min / median / max over the kills that struck a worker running a"
            " job; the tab: seconds an open studio tab took to show its run's image once the outage was over and"
            " the run done, the goal being 10 s):",
            "",
            "| run | `kill -9` → running again, s | images lost per 100 faults | rolling update: jobs interrupted |"
            " tab shows the truth after a Redis / PostgreSQL restart, s |",
            "|---|---|---|---|---|",
            *(row(run) for run in runs),
            "",
            f"- The campaign: 40 jobs of one or two 512² images on a self-hosted demo service ({LATENCY_S:g} s per"
            " image, `max_concurrent = 2`) while 30 faults strike at random (seeded; the seed is printed): a worker"
            " killed with `kill -9`, or an instance stopped with SIGTERM (as systemd stops it; it drains for"
            " `BILDGEN_DRAIN_SECONDS=2`, then hands back what is still running) and started again. Redis and"
            " PostgreSQL are each restarted once in between, while an open tab's run renders. A worker is struck"
            " only once it has lived 7 s (granian takes a second death within seconds of a start for a crash"
            " loop), and never one running a job that already lost two workers (a third death ends a job for"
            f" good: `queue.MAX_WORKER_DEATHS`). Newest run's seed(s): {seeds}; {'; '.join(details)}.",
            "- Kill → running again: the job's row sampled every 0.2 s; the time until another worker holds it."
            " The clock includes what else the campaign is doing at that moment: the other workers may have been"
            " killed or restarted seconds before (a new worker first starts, then holds its own liveness lock"
            " 3 s before it judges others), an instance may be draining. `bench.worker_death` (section above)"
            " measures the bare figure with both workers up; the slowest campaign samples are not broken down.",
            "- The rolling update: 16 jobs of the same load; instance 1 stopped (SIGTERM) while one of its workers"
            " runs a job, and started again; once it is ready, instance 2 the same (docs/deployment.md,"
            ' "Restarting without downtime").',
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="campaigns (and rolling updates) per stored run")
    parser.add_argument(
        "--figures",
        type=Path,
        help="store what a run of the tests wrote (BILDGEN_FAULT_FIGURES=FILE) instead of running them again",
    )
    arguments = parser.parse_args()
    run = measure(arguments.runs, arguments.figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{run['measured'].replace(' ', '-').replace(':', '')}.json").write_text(
        json.dumps(run, indent=1) + "\n"
    )
    runs = sorted((json.loads(path.read_text()) for path in RESULTS.glob("*.json")), key=lambda one: one["measured"])
    write_section(render(runs), HEADING)


if __name__ == "__main__":
    main()
