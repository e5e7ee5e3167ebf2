"""Running jobs in tests the way the app does: queue a submission, let a real JobRunner take it."""

from __future__ import annotations

import asyncio

from bildgen.jobs import queue, views, waiting
from bildgen.params import effective


def submission(
    owner,
    profile,
    *,
    prompt: str = "a red fox",
    seeds=(1,),
    reference_ids=(),
    mask_id=None,
    options=None,
    **parameters,
):
    return queue.Submission(
        owner_id=owner.id,
        prompt=prompt,
        profile_id=profile.id,
        parameters=effective(profile.traits(), **parameters),
        seeds=list(seeds),
        reference_ids=tuple(reference_ids),
        mask_id=mask_id,
        options=dict(options or {}),
    )


async def wait_until_final(engine, job_id: str, owner_id: str, timeout: float = 60.0) -> views.JobView:
    job = await waiting.until_final(engine, job_id, owner_id=owner_id, timeout=timeout, poll_s=0.2)
    if job is None or job.active:
        raise TimeoutError(f"job {job_id} did not end within {timeout} s")
    return job


def generate(services, owner, **fields) -> views.JobView:
    """Queue one generation on the services' default profile and run it to the end."""

    async def go():
        async with services.runner.running():
            job_id = queue.submit(services.engine, submission(owner, services.catalog.default, **fields))
            services.runner.wake()
            return await wait_until_final(services.engine, job_id, owner.id)

    return asyncio.run(go())
