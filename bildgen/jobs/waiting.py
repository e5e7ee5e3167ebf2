"""Waiting for a job to end, for a client that stays connected (the HTTP API's synchronous calls)."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy

from bildgen.jobs import runner, views
from bildgen.waits import event_within

POLL_S = 1.0


async def until_final(
    engine: sqlalchemy.Engine, job_id: str, *, owner_id: str, timeout: float, poll_s: float = POLL_S
) -> views.JobView | None:
    """The job once it has ended; its last view if `timeout` seconds pass first; None if it is gone.

    Woken at once when this process's runner changes the job, otherwise reading its row every `poll_s`
    (another worker process may run it). Cancelling the wait never touches the job.
    """
    deadline = time.monotonic() + timeout
    while True:
        with runner.watching(job_id) as changed:
            job = await asyncio.to_thread(views.view, engine, job_id, owner_id=owner_id)
            left = deadline - time.monotonic()
            if job is None or not job.active or left <= 0:
                return job
            await event_within(changed, min(poll_s, left))
