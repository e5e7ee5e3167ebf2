"""Waiting for an asyncio.Event with a time limit, without losing a cancellation.

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
