"""Keeps Reflex's Redis listeners running after a Redis outage (see docs/faults.md).

With REFLEX_REDIS_URL, each worker process listens to Redis for three things: lock releases (so a
tab's events wait for its state lock without polling), changes of which worker holds a tab's
websocket, and state updates other instances route to this one ("lost and found"). Reflex runs
each listener under `reflex.utils.tasks.ensure_task` with `exception_limit=5` errors within 60 s,
1 s apart: a Redis restart longer than about 5 s ends them for good. Reflex starts them again only
on some later occasion (a lock wait, a new websocket), so tabs already open stop hearing of
updates routed through Redis until their worker restarts.

This module's task, run by every worker process for its lifetime, looks at the three listeners
every few seconds and starts any that ended, through Reflex's own `ensure_*` methods (they
subscribe afresh and start a new error count). It touches only private attributes that exist in
Reflex 0.10; if a later Reflex renames them, it says so once in the log and does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 3.0


def _ended(owner: Any, attribute: str) -> bool:
    """Whether the listener in `owner.attribute` was started once and has stopped since."""
    task: asyncio.Task | None = getattr(owner, attribute)  # AttributeError: not this Reflex's layout
    if task is None or not task.done():
        return False
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("Reflex's Redis listener %s had stopped (%s); starting it again", attribute, error)
    return True


def restart_ended_listeners(app: Any) -> list[str]:
    """Start again each of Reflex's Redis listeners that ended; the names of those restarted."""
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.utils.token_manager import RedisTokenManager

    restarted = []
    state_manager = app._state_manager  # None until Reflex has set it up
    if isinstance(state_manager, StateManagerRedis) and _ended(state_manager, "_lock_task"):
        state_manager._ensure_lock_task()
        restarted.append("lock")
    namespace = app.event_namespace
    tokens = namespace._token_manager if namespace is not None else None
    if isinstance(tokens, RedisTokenManager):
        if _ended(tokens, "_socket_record_task"):
            tokens._ensure_socket_record_task()
            restarted.append("socket records")
        if _ended(tokens, "_lost_and_found_task"):
            tokens.ensure_lost_and_found_task(namespace.emit_update)
            restarted.append("lost and found")
    return restarted


async def keep_redis_listeners_running(app: Any, every_s: float = CHECK_EVERY_S) -> None:
    """Run for the worker's lifetime (cancel it on the way out)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            restart_ended_listeners(app)
        except AttributeError:
            logger.exception("Reflex's Redis listeners are not where this Reflex version kept them; not watched")
            return
        except Exception:  # never ends over one bad look
            logger.exception("restarting Reflex's Redis listeners failed; trying again")


@contextlib.asynccontextmanager
async def redis_listeners_kept_running(app: Any):
    task = asyncio.create_task(keep_redis_listeners_running(app), name="bildgen-redis-listeners")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
