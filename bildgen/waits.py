"""Waiting for an asyncio.Event with a time limit, without losing a cancellation; and backing off
between tries while a server is away.

Python 3.11's `asyncio.wait_for` swallows a cancellation that arrives just as the awaited event is
set (CPython gh-86296): the job runner's loop, cancelled at that moment on the way out, went on
forever and its worker never stopped. `asyncio.timeout` tells its own deadline from a cancellation.
"""

import asyncio


async def event_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait until the event is set, at most `seconds`; True when it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


class Backoff:
    """Growing pauses between tries of something that failed (a database or Redis that is away):
    0.5 s, 1 s, 2 s … at most `longest`; back to the first once it works again."""

    def __init__(self, first: float = 0.5, longest: float = 8.0) -> None:
        self.first, self.longest = first, longest
        self.next = first
        self.failures = 0

    async def pause(self) -> None:
        """Wait before the next try (a cancellation ends the wait, as always)."""
        self.failures += 1
        delay, self.next = self.next, min(self.next * 2, self.longest)
        await asyncio.sleep(delay)

    def succeeded(self) -> None:
        self.next, self.failures = self.first, 0
