import asyncio
import contextlib

from bildgen.waits import event_within


async def _stops_when_cancelled_as_it_is_woken(wait) -> bool:
    """A loop like the job runner's: cancelled at the moment its event is set, does it stop?"""
    event = asyncio.Event()

    async def loop():
        while True:
            event.clear()
            await wait(event)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.01)  # the loop waits
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1)
    task.cancel()  # a loop that went on is ended here (the test itself must not hang)
    return bool(done)


def test_a_wait_cancelled_as_its_event_is_set_stops_the_loop():
    assert asyncio.run(_stops_when_cancelled_as_it_is_woken(lambda event: event_within(event, 0.5)))


def test_event_within_says_whether_the_event_came():
    async def scenario():
        event = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, event.set)
        came = await event_within(event, 1)
        return came, await event_within(asyncio.Event(), 0.01)

    assert asyncio.run(scenario()) == (True, False)


async def _wait_for(event):
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=0.5)


def test_asyncio_wait_for_loses_that_cancellation_on_this_python():
    """Why bildgen.waits exists (CPython gh-86296, fixed in 3.12): if this starts failing after a
    Python upgrade, event_within can go."""
    assert not asyncio.run(_stops_when_cancelled_as_it_is_woken(_wait_for))
