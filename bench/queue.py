"""The job queue's figures: fairness between users, and images saved per second by 1 and 2 workers.

Run with `python -m bench.queue` (or as part of `scripts/bench`). It writes the section "The job
queue" of docs/benchmarks.md and leaves the rest of that file as it is. PostgreSQL is used when
BILDGEN_TEST_PG_URL names a server (a superuser URL: each run gets a database of its own, as the unit
tests do), otherwise SQLite in a temporary folder.

- Fairness: real JobRunners in this process against the demo server (in a thread) limited to 4
  requests at once with a fixed latency, one user's 40 queued jobs, then another user's one.
- Throughput: 1 and 2 worker processes (`python -m bench.queue worker …`, each one JobRunner as in a
  bildgen worker) sharing one database, the demo server as a process of its own with no latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psutil
import sqlalchemy
from sqlmodel import col, func, select

from bildgen.inference.demo.server import BackgroundServer, DemoOptions, create_app
from bildgen.inference.profiles import Catalog, demo_catalog
from bildgen.jobs import queue, views
from bildgen.jobs.runner import JobRunner
from bildgen.params import effective
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.models import Generation, GenerationStatus, Image, User
from tests.servers import REPO_ROOT, free_port, wait_for_port

REPORT = REPO_ROOT / "docs" / "benchmarks.md"
HEADING = "## The job queue"
FAIRNESS_LATENCY_S = 2.0
FAIRNESS_SLOTS = 4
FAIRNESS_QUEUED = 40
FAIRNESS_REPEATS = 5
THROUGHPUT_JOBS = 150
THROUGHPUT_SLOTS = 8  # the profile's max_concurrent: room for both workers to keep several images going
THROUGHPUT_REPEATS = 4
B_PROMPT = "user B's single picture"


# ---- databases and wiring ----------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(root: Path) -> Iterator[str]:
    """An empty, migrated database of this run's own: on PostgreSQL when BILDGEN_TEST_PG_URL is set."""
    server_url = os.environ.get("BILDGEN_TEST_PG_URL")
    if not server_url:
        url = f"sqlite:///{root / f'bildgen-{uuid.uuid4().hex[:8]}.db'}"
        migrate(make_engine(url))
        yield url
        return
    name = f"bildgen_bench_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sqlalchemy.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def database_kind() -> str:
    return "PostgreSQL" if os.environ.get("BILDGEN_TEST_PG_URL") else "SQLite"


def catalog_for(base_url: str, max_concurrent: int) -> Catalog:
    catalog = demo_catalog(base_url)
    catalog.models["demo"] = catalog.default.model_copy(update={"max_concurrent": max_concurrent})
    return catalog


def make_runner(engine: sqlalchemy.Engine, data: Path, catalog: Catalog) -> JobRunner:
    return JobRunner(
        engine=engine,
        images=ImageLibrary(engine, ImageFiles(data / "images"), ImageFiles(data / "thumbnails", suffix=".webp")),
        references=ImageFiles(data / "references"),
        catalog=lambda: catalog,
    )


def add_user(engine: sqlalchemy.Engine, username: str) -> User:
    user = User(username=username, password_hash="$argon2id$not-a-real-hash")
    with session(engine) as db:
        db.add(user)
        db.commit()
        db.refresh(user)
    return user


def submit(engine: sqlalchemy.Engine, catalog: Catalog, owner: User, prompt: str, seed: int) -> str:
    profile = catalog.default
    return queue.submit(
        engine,
        queue.Submission(
            owner_id=owner.id,
            prompt=prompt,
            profile_id=profile.id,
            parameters=effective(profile.traits()),
            seeds=[seed],
        ),
    )


# ---- 1: fairness ---------------------------------------------------------------------------------


async def fairness_once(root: Path, runners: int) -> float:
    """Seconds from user B's submit until B's request reached the server, while A has 40 jobs queued."""
    demo = BackgroundServer(
        create_app(DemoOptions(latency_per_image=FAIRNESS_LATENCY_S, max_concurrent=FAIRNESS_SLOTS))
    )
    # uvicorn sets its loggers up when configured; A's requests still in flight at the stop are cancelled.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    demo.start()
    log = demo.app.state.log.entries
    try:
        with fresh_database(root) as url:
            engine = make_engine(url)
            catalog = catalog_for(demo.base_url, FAIRNESS_SLOTS)
            anna, bob = add_user(engine, "a"), add_user(engine, "b")
            for seed in range(FAIRNESS_QUEUED):
                submit(engine, catalog, anna, "user A's picture", seed)
            workers = [make_runner(engine, root / "data", catalog) for _ in range(runners)]
            async with contextlib.AsyncExitStack() as stack:
                for runner in workers:
                    await stack.enter_async_context(runner.running())
                # B submits just after A's first jobs took every slot: the longest B can be made to wait.
                while sum(entry["path"].endswith("/generations") for entry in log) < FAIRNESS_SLOTS:
                    await asyncio.sleep(0.01)
                submitted = time.time()
                await asyncio.to_thread(submit, engine, catalog, bob, B_PROMPT, 1)
                workers[0].wake()  # as the studio does after queueing
                while not (arrived := [e["at"] for e in log if (e["body"] or {}).get("prompt") == B_PROMPT]):
                    await asyncio.sleep(0.01)
            engine.dispose()
            return arrived[0] - submitted
    finally:
        demo.stop()


def fairness(root: Path, runners: int) -> list[float]:
    return [asyncio.run(fairness_once(root, runners)) for _ in range(FAIRNESS_REPEATS)]


# ---- 2: images saved per second ------------------------------------------------------------------


async def work_until_empty(engine: sqlalchemy.Engine, runner: JobRunner) -> None:
    async with runner.running():
        while True:
            await asyncio.sleep(0.1)
            active = await asyncio.to_thread(views.active_jobs, engine)
            if not active:
                return


def worker_main(arguments: argparse.Namespace) -> None:
    """One JobRunner as in a bildgen worker process: ready, then "go" on stdin, then until the queue is empty."""
    engine = make_engine(arguments.database)
    runner = make_runner(engine, Path(arguments.data), catalog_for(arguments.base_url, arguments.max_concurrent))
    print("ready", flush=True)
    sys.stdin.readline()
    before = cpu_seconds()  # not the imports and start-up
    asyncio.run(work_until_empty(engine, runner))
    print(f"cpu {cpu_seconds() - before}", flush=True)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class DemoProcess:
    """The demo server as a process of its own (its rendering is not bildgen's CPU)."""

    def __init__(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "bildgen.inference.demo", "--port", str(self.port), "--latency", "0"]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT)
        wait_for_port(self.port, timeout=30, process=self.process)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclasses.dataclass(frozen=True)
class Throughput:
    images_per_s: float
    worker_cpu_per_image: float  # s, all worker processes together
    demo_cpu_per_image: float  # s
    cores_used: float  # CPU seconds of workers and demo server per second of the run
    busiest_share: float  # the share of the images saved by the worker that saved the most


def throughput_once(root: Path, workers: int) -> Throughput:
    """Images saved per second by `workers` processes sharing one database, and where the CPU went."""
    demo = DemoProcess()
    try:
        with fresh_database(root) as url:
            engine = make_engine(url)
            catalog = catalog_for(demo.base_url, THROUGHPUT_SLOTS)
            owners = [add_user(engine, f"user-{index}") for index in range(4)]
            for seed in range(THROUGHPUT_JOBS):
                submit(engine, catalog, owners[seed % len(owners)], "throughput", seed)
            command = [
                sys.executable,
                "-m",
                "bench.queue",
                "worker",
                "--database",
                url,
                "--data",
                str(root / "data"),
                "--base-url",
                demo.base_url,
                "--max-concurrent",
                str(THROUGHPUT_SLOTS),
            ]
            processes = [
                subprocess.Popen(command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(workers)
            ]
            for process in processes:
                assert process.stdout.readline().strip() == "ready"
            demo_cpu_before = demo.cpu_seconds()
            started = datetime.now(UTC)
            for process in processes:
                process.stdin.write("go\n")
                process.stdin.flush()
            worker_cpu = 0.0
            for process in processes:
                line = process.stdout.readline()
                process.wait(timeout=600)
                worker_cpu += float(line.split()[1])
            demo_cpu = demo.cpu_seconds() - demo_cpu_before
            with session(engine) as db:
                saved, last = db.exec(select(func.count(col(Image.id)), func.max(Image.created_at))).one()
                done = db.exec(select(func.count()).where(Generation.status == GenerationStatus.DONE)).one()
                per_worker = db.exec(select(Generation.worker, func.count()).group_by(Generation.worker)).all()
            engine.dispose()
            assert saved == done == THROUGHPUT_JOBS, f"{saved} images, {done} jobs done of {THROUGHPUT_JOBS}"
            last = last.replace(tzinfo=UTC) if last.tzinfo is None else last
            elapsed = (last - started).total_seconds()
            return Throughput(
                images_per_s=saved / elapsed,
                worker_cpu_per_image=worker_cpu / saved,
                demo_cpu_per_image=demo_cpu / saved,
                cores_used=(worker_cpu + demo_cpu) / elapsed,
                busiest_share=max(count for _, count in per_worker) / saved,
            )
    finally:
        demo.stop()


def throughput(root: Path) -> dict[int, list[Throughput]]:
    """1 and 2 workers taking turns, so that both meet the same changes in the machine's other load."""
    runs: dict[int, list[Throughput]] = {1: [], 2: []}
    for _ in range(THROUGHPUT_REPEATS):
        for workers in runs:
            runs[workers].append(throughput_once(root, workers))
    return runs


# ---- the report ------------------------------------------------------------------------------------


def spread(samples: list[float], digits: int = 2) -> str:
    return " / ".join(f"{value:.{digits}f}" for value in (min(samples), statistics.median(samples), max(samples)))


def section(fair: dict[int, list[float]], rates: dict[int, list[Throughput]], load: tuple[float, ...]) -> str:
    kind = database_kind()

    def median(workers: int, field: str) -> float:
        return statistics.median(getattr(run, field) for run in rates[workers])

    fairness_rows = [
        f"| fairness, {runners} runner{'s' if runners > 1 else ''}: B's submit → B's request at the server ÷ L"
        f" | {spread([s / FAIRNESS_LATENCY_S for s in samples])} | ≤ 1.2 |"
        f" {'met' if max(samples) / FAIRNESS_LATENCY_S <= 1.2 else '**missed**'} |"
        for runners, samples in fair.items()
    ]
    rate_rows = [
        f"| images saved per second, {workers} worker process{'es' if workers > 1 else ''}"
        f" | {spread([run.images_per_s for run in runs], 1)} | — | — |"
        for workers, runs in rates.items()
    ]
    detail_rows = [
        f"| {workers} worker{'s' if workers > 1 else ''}: CPU ms per image, bildgen / demo server;"
        f" cores used; busiest worker's share | {median(workers, 'worker_cpu_per_image') * 1000:.0f} /"
        f" {median(workers, 'demo_cpu_per_image') * 1000:.0f} ms; {median(workers, 'cores_used'):.2f};"
        f" {median(workers, 'busiest_share') * 100:.0f} % (medians) | — | — |"
        for workers in rates
    ]
    ratio = median(2, "images_per_s") / median(1, "images_per_s")
    best_ratio = max(run.images_per_s for run in rates[2]) / max(run.images_per_s for run in rates[1])
    cpu_per_image = median(1, "worker_cpu_per_image") + median(1, "demo_cpu_per_image")
    return "\n".join(
        [
            HEADING,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.queue` on {kind}, on the machine"
            f" above, whose 2 cores were shared with other work (load average {load[0]:.1f} at the start).",
            "",
            "| figure | min / median / max | goal | |",
            "|---|---|---|---|",
            *fairness_rows,
            *rate_rows,
            f"| 2 workers ÷ 1 worker: medians; best runs (least disturbed) | {ratio:.2f}; {best_ratio:.2f} | — | — |",
            *detail_rows,
            "",
            f"- **Fairness.** The demo server works on {FAIRNESS_SLOTS} requests at once"
            f" (`--max-concurrent {FAIRNESS_SLOTS}`, the rest wait) with L = {FAIRNESS_LATENCY_S:g} s per image;"
            f" the profile's `max_concurrent` is {FAIRNESS_SLOTS}. User A queues {FAIRNESS_QUEUED} one-image jobs;"
            f" once A's first {FAIRNESS_SLOTS} requests reached the server (the worst moment for B), user B queues"
            " one. Measured from B's submit to B's request in the demo server's request log, ÷ L: 1.0 means B"
            " waited only for the first slot to free up. Real JobRunners in one process, one or two sharing the"
            f" database; {FAIRNESS_REPEATS} runs each. What comes on top of L: a slot is free only when A's job has"
            " ended, i.e. after its image is saved and its thumbnail made, and A's 4 images arrive together and"
            " are saved one after another in the one image-pool thread (about 35 ms each on an idle core, more"
            " when the cores are busy). Against a real model (tens of seconds per image) this is a few percent.",
            f"- **Images saved per second.** {THROUGHPUT_JOBS} one-image 1024² jobs of 4 users queued in {kind},"
            " then 1 or 2 JobRunner processes (`python -m bench.queue worker`) started together; profile"
            f" `max_concurrent` {THROUGHPUT_SLOTS}; the demo server in its own process without latency. Rate ="
            " images ÷ (last image row's time − start). CPU from each process's own counters; cores used = all"
            f" that CPU ÷ the run's time; the share from each job's `worker` column. {THROUGHPUT_REPEATS} runs each,"
            " 1 and 2 workers taking turns. Other work on the machine moves single runs a lot (cores used shows"
            " how much of the 2 cores the run got); the best runs are the least disturbed.",
            f"- **Why a second worker adds nothing here.** Each image costs about {cpu_per_image * 1000:.0f} ms of"
            " CPU (bildgen decodes it to validate, embeds the recipe, hashes, fsyncs, writes the row and makes the"
            " thumbnail; the demo server renders and base64-encodes it), so 2 cores cap the rate at about"
            f" {2 / cpu_per_image:.0f} images/s however many workers share them. One worker alone already used"
            f" {median(1, 'cores_used'):.2f} cores (its event loop and image-pool thread beside the demo server's"
            " threads): the cores, with what the machine's other work left of them, are the limit, not the"
            " worker. The second worker also gets less than half of the jobs: a worker claims again the moment"
            " one of its own jobs ends, while another worker only looks once a second (`POLL_S`), so with no"
            " latency the one that finishes first keeps the free slots. With a real inference server (seconds"
            " per image, on machines of its own) the server's `max_concurrent` is the limit, not bildgen's CPU;"
            " more workers are for more connected tabs and for surviving a crash, not for more images per second.",
            "- Not measured: UI round trips while 50 users generate against 2 workers with Redis (needs the"
            " production build and 50 Chromium contexts on these 2 shared cores; left for a quieter machine).",
            "",
        ]
    )


def write_section(text: str, heading: str = HEADING) -> None:
    """Replace (or append) the section under `heading` of docs/benchmarks.md, keeping every other figure."""
    report = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    start = report.find(heading)
    if start < 0:
        REPORT.write_text(report.rstrip("\n") + "\n\n" + text)
        return
    end = report.find("\n## ", start + len(heading))
    REPORT.write_text(report[:start] + text + (report[end + 1 :] if end >= 0 else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    worker = commands.add_parser("worker", help="one JobRunner process (started by the benchmark itself)")
    worker.add_argument("--database", required=True)
    worker.add_argument("--data", required=True)
    worker.add_argument("--base-url", required=True)
    worker.add_argument("--max-concurrent", type=int, required=True)
    arguments = parser.parse_args()
    if arguments.command == "worker":
        worker_main(arguments)
        return

    root = Path(tempfile.mkdtemp(prefix="bildgen-bench-queue-"))
    load = os.getloadavg()
    try:
        print(f"database: {database_kind()}", flush=True)
        fair = {runners: fairness(root, runners) for runners in (1, 2)}
        print(f"fairness (s): {fair}", flush=True)
        rates = throughput(root)
        print(f"throughput (images/s, worker CPU s/image, demo CPU s/image): {rates}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    text = section(fair, rates, load)
    write_section(text)
    print(text)


if __name__ == "__main__":
    main()
