"""How soon a killed worker's job runs again: `kill -9` of the worker running a job, to another
worker holding it (and to that worker's request reaching the service).

Run with `python -m bench.worker_death` (PostgreSQL: BILDGEN_TEST_PG_URL names a server, as for the
unit tests; source scripts/test-databases.sh and start_test_databases). Two bildgen instances of one
worker each (tests.servers.WorkerInstance: granian serving bildgen's services, as scripts/serve
does) share the database; the demo inference server (in this process) takes LATENCY_S per image.
It writes the section "Dead workers" of docs/benchmarks.md.
"""

from __future__ import annotations

import logging
import os
import signal
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.queue import add_user, fresh_database, write_section
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.inference.profiles import ModelProfile
from bildgen.jobs import liveness, queue, runner, views
from bildgen.params import effective
from bildgen.store.db import make_engine, session
from bildgen.store.models import Generation, GenerationStatus
from tests.servers import WorkerInstance

HEADING = "## Dead workers"
LATENCY_S = 3.0
REPEATS = 5
GOAL_S = 5.0


def wait_for(condition, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark's job did not get there")
        time.sleep(0.02)
    return value


def posts(server) -> int:
    return sum(1 for e in server.app.state.log.entries if e["method"] == "POST")


def both_ready(engine) -> None:
    """Both workers hold their liveness lock, long enough to judge others: a worker granian has just
    respawned (after the previous kill) needs its start-up first."""
    with engine.connect() as connection:
        wait_for(lambda: len(liveness.held_keys(connection)) == 2)
    time.sleep(liveness.JUDGE_AFTER_S)


def once(engine, server, profile, owner) -> tuple[float, float]:
    """Seconds from the kill to the job held by another worker, and to its request at the service."""
    both_ready(engine)
    before = posts(server)
    job_id = queue.submit(
        engine,
        queue.Submission(
            owner_id=owner.id, prompt="a fox", profile_id="demo", parameters=effective(profile.traits()), seeds=[1]
        ),
    )

    wait_for(lambda: posts(server) > before)
    with session(engine) as db:
        worker = db.get(Generation, job_id).worker
    os.kill(int(worker.split(":")[1]), signal.SIGKILL)
    killed = time.monotonic()

    def taken_over() -> bool:
        with session(engine) as db:
            row = db.get(Generation, job_id)
            return row.status == GenerationStatus.RUNNING and row.worker not in (None, worker)

    wait_for(taken_over)
    held = time.monotonic() - killed
    wait_for(lambda: posts(server) > before + 1)
    sent = time.monotonic() - killed
    wait_for(lambda: views.view(engine, job_id, owner_id=owner.id).status == GenerationStatus.DONE)
    return held, sent


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    if not os.environ.get("BILDGEN_TEST_PG_URL"):
        raise SystemExit("bench.worker_death needs PostgreSQL: set BILDGEN_TEST_PG_URL (scripts/test-databases.sh).")
    load = os.getloadavg()
    server = start_demo_server(DemoOptions(latency_per_image=LATENCY_S))
    profile = ModelProfile(id="demo", label="Demo", base_url=server.base_url)
    with tempfile.TemporaryDirectory(prefix="bildgen-bench-death-") as folder, fresh_database(Path(folder)) as url:
        root = Path(folder)
        config = root / "bildgen.toml"
        config.write_text(f'default_model = "demo"\n[models.demo]\nlabel = "Demo"\nbase_url = "{server.base_url}"\n')
        engine = make_engine(url)
        owner = add_user(engine, "anna")
        instances = [WorkerInstance(root, config, url), WorkerInstance(root, config, url)]
        try:
            results = []
            for _ in range(REPEATS):
                results.append(once(engine, server, profile, owner))
                print(f"held by another worker after {results[-1][0]:.2f} s, request sent after {results[-1][1]:.2f} s")
        finally:
            for instance in instances:
                instance.stop()
            engine.dispose()
            server.stop()
    held = sorted(result[0] for result in results)
    sent = sorted(result[1] for result in results)
    text = "\n".join(
        [
            HEADING,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.worker_death` on the machine above"
            f" (load average {load[0]:.1f} at the start), PostgreSQL; {REPEATS} kills.",
            "",
            "| figure | min / median / max | goal | |",
            "|---|---|---|---|",
            f"| `kill -9` → the job held by another worker, s | {held[0]:.2f} / {statistics.median(held):.2f} /"
            f" {held[-1]:.2f} | ≤ {GOAL_S:g} | {'met' if held[-1] <= GOAL_S else 'missed'} |",
            f"| `kill -9` → its request at the service again, s | {sent[0]:.2f} / {statistics.median(sent):.2f} /"
            f" {sent[-1]:.2f} | — | — |",
            "",
            "- Two instances of one worker each (granian serving bildgen's services, as `scripts/serve` does) share"
            " the database; a one-image job on the demo server (self-hosted, so the image in flight is asked for"
            f" again; {LATENCY_S:g} s per image). Once its request reached the service, the worker running it gets"
            " SIGKILL; the clock stops when another worker holds the job (its row) and when that worker's request"
            " reaches the service. Each kill waits until both workers are up: a worker that granian has just"
            " respawned first starts (several seconds here), then holds its own lock for"
            f" {liveness.JUDGE_AFTER_S:g} s before it judges others, so with no other worker up the job waits"
            " that long.",
            f"- Before: the job was marked interrupted when its 30 s lease ran out and never ran again. Now the"
            f" killed worker's liveness lock (a PostgreSQL advisory lock on its own connection) is released with"
            f" its connection; the other workers look every {runner.LIVENESS_S:g} s (docs/queue.md). A worker only"
            f" judges others after holding its own lock {liveness.JUDGE_AFTER_S:g} s (database restarts).",
            "",
        ]
    )
    write_section(text, HEADING)


if __name__ == "__main__":
    main()
