"""The process's one set of services (settings, database, files, model catalog), built on first use.

With no BILDGEN_CONFIG, the embedded demo inference server is started here, in a thread on
127.0.0.1, and the catalog points at it over HTTP like at any other server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import threading
from collections.abc import AsyncIterator

import sqlalchemy

from bildgen.admin.keys import KeyBox, key_box
from bildgen.admin.live import ConfigSource
from bildgen.auth import throttle
from bildgen.auth.server_secret import server_secret
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, start_demo_server
from bildgen.inference.profiles import Catalog, ModelProfile, demo_catalog, load_catalog
from bildgen.jobs import queue
from bildgen.jobs.runner import JobRunner
from bildgen.provenance.marking import Marker
from bildgen.settings import Settings, load_settings
from bildgen.store.db import make_engine, migrate
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import ImageLibrary
from bildgen.store.sweep import sweep

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Services:
    settings: Settings
    engine: sqlalchemy.Engine
    files: ImageFiles
    thumbnails: ImageFiles
    references: ImageFiles
    images: ImageLibrary
    # The configuration file's profiles and providers merged with the Admin area's (admin/live.py).
    config: ConfigSource
    demo_server: BackgroundServer | None
    # This process's job runner; started by the app's lifespan (or a test), not by building it.
    runner: JobRunner
    # Every purpose derives its key from it (auth/server_secret.py); never logged or shown.
    secret: bytes = dataclasses.field(repr=False, default=b"")
    # Encrypts and decrypts the API keys stored in the database (admin/keys.py).
    keys: KeyBox | None = dataclasses.field(repr=False, default=None)

    @property
    def catalog(self) -> Catalog:
        """The profiles as they are now (disabled ones included: `catalog.offered` lists the others)."""
        return self.config.catalog

    def runs_embedded_demo(self, profile: ModelProfile) -> bool:
        """Whether the profile's images come from the demo renderer bildgen started itself (a profile
        an administrator added beside it is a real model, even while the demo runs)."""
        return self.demo_server is not None and str(profile.base_url).startswith(self.demo_server.origin + "/")


_lock = threading.Lock()


@functools.cache
def configured_catalog() -> Catalog | None:
    """The catalog from BILDGEN_CONFIG, or None for the demo; a bad file raises ConfigError."""
    settings = load_settings()
    return load_catalog(settings.config_path) if settings.config_path else None


@functools.cache
def _build() -> Services:
    settings = load_settings()
    secret = server_secret(settings.data_dir)
    engine = make_engine(settings.db_url)
    migrate(engine)
    files = ImageFiles(settings.images_dir)
    thumbnails = ImageFiles(settings.thumbnails_dir, suffix=".webp")
    references = ImageFiles(settings.references_dir)
    keys = key_box(secret)
    # Every saved image is marked as AI-made and signed (bildgen/provenance): the test certificate
    # is made here on first start.
    images = ImageLibrary(engine, files, thumbnails, Marker(engine, settings.data_dir / "provenance", keys))
    # Images a stopped worker spooled during a database outage: recorded before the sweep looks.
    if recorded := images.spool.record_at_start(engine, files):
        logger.info("Recorded %d spooled images", recorded)
    report = sweep(engine, images=files, thumbnails=thumbnails, references=references)
    logger.info("Start-up sweep: %s", report)
    throttle.forget_full_buckets(engine)
    catalog = configured_catalog()
    demo_server = None
    if catalog is None:
        demo_server = start_demo_server(DemoOptions(latency_per_image=settings.demo_latency_s))
        logger.info("No BILDGEN_CONFIG: using the demo inference server at %s", demo_server.base_url)
        catalog = demo_catalog(demo_server.base_url)
    config = ConfigSource(engine, catalog, keys, demo=demo_server is not None)
    config.refresh()
    # Jobs of workers that died before this start go back to the queue (or end where nothing may be
    # done again): on SQLite every running job (one process), elsewhere those whose worker is gone.
    taken = queue.take_back(
        engine,
        retries=config.catalog.retries_interrupted(),
        judge_liveness=False,
        all_running=engine.dialect.name == "sqlite",
    )
    # Files that workers killed between an image's file and its row left (store/unrecorded.py).
    images.remove_unrecorded()
    if taken.requeued or taken.ended:
        logger.info(
            "Took back %d jobs of stopped workers (%d ended)", len(taken.requeued) + len(taken.ended), len(taken.ended)
        )
    runner = JobRunner(
        engine=engine,
        images=images,
        references=references,
        catalog=lambda: config.catalog,
        drain_s=settings.drain_s,
    )
    return Services(settings, engine, files, thumbnails, references, images, config, demo_server, runner, secret, keys)


def get_services() -> Services:
    with _lock:
        return _build()


@contextlib.asynccontextmanager
async def running_services() -> AsyncIterator[Services]:
    """A worker process's life: migrations, the start-up sweep and the demo server before the first
    request, not during; then this process's job runner for as long as it serves."""
    services = await asyncio.to_thread(get_services)
    async with services.runner.running():
        yield services
