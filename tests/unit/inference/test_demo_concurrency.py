"""The demo server's concurrency limit: like a GPU server, it works on a few requests and queues the rest."""

import asyncio
import time

import httpx

from bildgen.inference.demo.server import BackgroundServer, DemoOptions, create_app

LATENCY_S = 0.4


def finish_times(max_concurrent: int | None, requests: int) -> list[float]:
    """Seconds after sending `requests` generations at once until each answer is back, sorted."""
    server = BackgroundServer(create_app(DemoOptions(latency_per_image=LATENCY_S, max_concurrent=max_concurrent)))
    server.start()

    async def one(client: httpx.AsyncClient, seed: int, started: float) -> float:
        answer = await client.post(
            "/images/generations",
            json={"prompt": "a queue", "size": "64x64", "seed": seed, "response_format": "b64_json"},
        )
        assert answer.status_code == 200 and answer.json()["data"][0]["b64_json"]
        return time.monotonic() - started

    async def go() -> list[float]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
            started = time.monotonic()
            return sorted(await asyncio.gather(*(one(client, seed, started) for seed in range(requests))))

    try:
        times = asyncio.run(go())
        # Every request reached the server at once: the waiting happens inside it, not at the client.
        arrivals = sorted(entry["at"] for entry in server.app.state.log.entries if entry["method"] == "POST")
    finally:
        server.stop()
    assert len(arrivals) == requests and arrivals[-1] - arrivals[0] < LATENCY_S / 2
    return times


def test_requests_beyond_the_limit_wait_for_a_free_slot():
    times = finish_times(max_concurrent=2, requests=4)
    # Two answers after one latency, the other two after two: the extra requests waited their turn.
    assert all(LATENCY_S * 0.9 <= t < LATENCY_S * 1.8 for t in times[:2])
    assert all(t >= LATENCY_S * 1.9 for t in times[2:])


def test_without_a_limit_every_request_is_worked_on_at_once():
    times = finish_times(max_concurrent=None, requests=4)
    assert times[-1] < LATENCY_S * 1.8
