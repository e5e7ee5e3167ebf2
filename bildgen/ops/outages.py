"""What a tab's background watchers do while the database or Redis is away: try again with
backoff (bildgen.waits.Backoff) instead of ending, say "Reconnecting to the database…" meanwhile,
and catch up by themselves once the server is back (docs/faults.md)."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from bildgen.i18n import N_
from bildgen.store.db import StorageUnavailable, is_storage_failure

logger = logging.getLogger(__name__)

RECONNECTING = N_("Reconnecting to the database…")


def is_outage(error: BaseException) -> bool:
    """A server that is away (PostgreSQL, SQLite's disk, the Redis that holds the tabs' state)."""
    return isinstance(error, StorageUnavailable | RedisError | ConnectionError) or is_storage_failure(error)


def note_failure(watcher: str, error: BaseException, *, first: bool) -> None:
    """Log a failed round of a watcher: an outage once (not every retry), anything else with its trace."""
    if not is_outage(error):
        logger.exception("%s failed; trying again", watcher)
    elif first:
        logger.warning("%s: %s (%s); trying again until it is back", watcher, type(error).__name__, error)
