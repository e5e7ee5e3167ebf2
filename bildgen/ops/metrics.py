"""Prometheus metrics, computed from the database at scrape time.

Every worker of every instance shares the one database, so any of them answers /metrics with the
whole deployment's numbers: no per-process files to merge, and nothing is lost when a worker
restarts. Counts are of what the database holds: deleting generations lowers them (Prometheus'
rate() reads that as a counter reset).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC

import sqlalchemy
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlmodel import col, func, select

from bildgen.inference.errors import kind_of
from bildgen.jobs import queue
from bildgen.store.db import session
from bildgen.store.models import Generation, GenerationStatus, Image, utc_now

QUEUE_WAIT_BUCKETS_S = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
RUN_TIME_BUCKETS_S = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
PROVIDER_LATENCY_BUCKETS_S = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
FAILED_STATES = (GenerationStatus.FAILED, GenerationStatus.PARTIAL, GenerationStatus.INTERRUPTED)


def _seconds_between(engine: sqlalchemy.Engine, start, end):  # -> a SQL expression
    if engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _histogram(
    engine: sqlalchemy.Engine,
    name: str,
    documentation: str,
    seconds,
    buckets: Sequence[float],
    profile,
    where: Sequence,
    join=None,
) -> HistogramMetricFamily:
    """One histogram per profile, its buckets counted by the database in one query."""
    columns = [
        profile,
        func.count(),
        func.coalesce(func.sum(seconds), 0.0),
        *(func.sum(sqlalchemy.case((seconds <= bound, 1), else_=0)) for bound in buckets),
    ]
    query = select(*columns).where(*where).group_by(profile)
    if join is not None:
        query = query.select_from(join)
    family = HistogramMetricFamily(name, documentation, labels=["profile"])
    with session(engine) as db:
        for row in db.exec(query).all():
            label, count, total, *within = row
            counted = [
                (str(bound), float(within_bound or 0)) for bound, within_bound in zip(buckets, within, strict=True)
            ]
            family.add_metric([label], [*counted, ("+Inf", float(count))], float(total))
    return family


class DatabaseCollector(Collector):
    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        yield from self._jobs()
        yield _histogram(
            self.engine,
            "bildgen_queue_wait_seconds",
            "Time from submitting a job to a worker starting it, per profile.",
            _seconds_between(self.engine, Generation.created_at, Generation.started_at),
            QUEUE_WAIT_BUCKETS_S,
            Generation.model_profile,
            [col(Generation.started_at).is_not(None)],
        )
        yield _histogram(
            self.engine,
            "bildgen_run_seconds",
            "Time from a worker starting a job to its end, per profile.",
            _seconds_between(self.engine, Generation.started_at, Generation.finished_at),
            RUN_TIME_BUCKETS_S,
            Generation.model_profile,
            [col(Generation.started_at).is_not(None), col(Generation.finished_at).is_not(None)],
        )
        yield _histogram(
            self.engine,
            "bildgen_provider_latency_seconds",
            "How long the image service took for each saved image, per profile.",
            Image.generation_ms / 1000.0,
            PROVIDER_LATENCY_BUCKETS_S,
            Generation.model_profile,
            [col(Image.generation_ms).is_not(None)],
            join=sqlalchemy.join(Image, Generation, Image.generation_id == Generation.id),
        )
        yield from self._images()
        yield from self._failures()

    def _jobs(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("bildgen_jobs", "Jobs by state and profile.", labels=["state", "profile"])
        oldest = GaugeMetricFamily(
            "bildgen_oldest_queued_job_age_seconds",
            "How long the longest-waiting queued job has waited, per profile.",
            labels=["profile"],
        )
        busy = GaugeMetricFamily("bildgen_workers_busy", "Worker processes running at least one job now.")
        now = utc_now()
        with session(self.engine) as db:
            counted = db.exec(
                select(Generation.status, Generation.model_profile, func.count()).group_by(
                    Generation.status, Generation.model_profile
                )
            ).all()
            waiting_since = db.exec(
                select(Generation.model_profile, func.min(Generation.created_at))
                .where(Generation.status == GenerationStatus.QUEUED)
                .group_by(Generation.model_profile)
            ).all()
            workers = db.exec(
                select(func.count(func.distinct(Generation.worker))).where(
                    Generation.status == GenerationStatus.RUNNING, col(Generation.lease_expires_at) > now
                )
            ).one()
        for state, profile, count in counted:
            jobs.add_metric([state, profile], count)
        for profile, since in waiting_since:
            since = since if since.tzinfo else since.replace(tzinfo=UTC)  # stored in UTC
            oldest.add_metric([profile], max(0.0, (now - since).total_seconds()))
        busy.add_metric([], workers)
        yield from (jobs, oldest, busy)

    def _images(self) -> Iterator[Metric]:
        images = GaugeMetricFamily("bildgen_images", "Images saved in the library, per profile.", labels=["profile"])
        with session(self.engine) as db:
            rows = db.exec(
                select(Generation.model_profile, func.count())
                .select_from(sqlalchemy.join(Image, Generation, Image.generation_id == Generation.id))
                .group_by(Generation.model_profile)
            ).all()
        for profile, count in rows:
            images.add_metric([profile], count)
        yield images

    def _failures(self) -> Iterator[Metric]:
        """Failed images by kind (an image service's error kind, or how the job ended), per profile."""
        failures = GaugeMetricFamily(
            "bildgen_failures",
            "Images that failed, by kind (unreachable, timed_out, moderated_content, interrupted …) and profile.",
            labels=["kind", "profile"],
        )
        counts: Counter[tuple[str, str]] = Counter()
        with session(self.engine) as db:
            rows = db.exec(
                select(Generation.model_profile, Generation.status, Generation.error, Generation.variant_errors).where(
                    col(Generation.status).in_(FAILED_STATES)
                )
            ).all()
        for profile, status, error, variant_errors in rows:
            messages = list(json.loads(variant_errors or "{}").values()) or [error or ""]
            for message in messages:
                counts[(_failure_kind(status, message), profile)] += 1
        for (kind, profile), count in sorted(counts.items()):
            failures.add_metric([kind, profile], count)
        yield failures


def _failure_kind(status: str, message: str) -> str:
    if status == GenerationStatus.INTERRUPTED or message in (queue.INTERRUPTED, queue.STALLED):
        return "interrupted"
    kind = kind_of(message)
    return kind.value if kind else "other"


def exposition(engine: sqlalchemy.Engine) -> bytes:
    """The metrics in Prometheus' text format (blocking: run it in a thread)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine))
    return generate_latest(registry)
