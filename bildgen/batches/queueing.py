"""Queueing a batch's items as jobs, in the background of the process that made it (or of the next
one to start): process-level work, so it lives here and not in a Reflex state."""

from __future__ import annotations

import asyncio
import logging
import time

from bildgen.batches import runs
from bildgen.ops.outages import is_outage, note_failure
from bildgen.services import get_services
from bildgen.waits import Backoff

logger = logging.getLogger(__name__)

# Batches this process is queueing now: a page opened meanwhile does not queue them a second time.
_queueing: set[str] = set()
# How long queueing a batch waits for a database that is away before leaving the rest to its page.
QUEUEING_OUTAGE_S = 300.0


async def queue_batch(batch_id: str, owner_id: str) -> None:
    """Queue a batch's pending items as jobs, in a thread, once per process at a time. Runs on
    whether or not any tab stays open (a background event's task); safe to repeat."""
    if batch_id in _queueing:
        return
    _queueing.add(batch_id)
    services = await asyncio.to_thread(get_services)
    backoff, deadline = Backoff(), time.monotonic() + QUEUEING_OUTAGE_S
    try:
        while True:
            services.runner.wake()
            try:
                await asyncio.to_thread(
                    runs.queue_items, services.engine, batch_id, owner_id=owner_id, catalog=services.catalog
                )
                break
            except Exception as error:
                if not is_outage(error):
                    raise
                if time.monotonic() + backoff.next > deadline:
                    logger.warning(
                        "batch %s: storage unavailable while queueing; its page queues the rest later", batch_id
                    )
                    break
                note_failure(f"queueing batch {batch_id}", error, first=not backoff.failures)
                await backoff.pause()
    finally:
        _queueing.discard(batch_id)
        services.runner.wake()


async def resume_pending_batches() -> None:
    """At start: queue what a stopped process left unqueued (items are never queued twice)."""
    services = await asyncio.to_thread(get_services)
    for batch_id, owner_id in await asyncio.to_thread(runs.with_pending_items, services.engine):
        await queue_batch(batch_id, owner_id)
