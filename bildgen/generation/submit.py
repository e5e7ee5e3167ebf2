"""Queueing a planned job for its owner: the one way every front (the studio, `/v1`, batches) starts a
generation. It checks that the owner's groups allow the model (bildgen/groups/governance.py) and that
every reference, and the mask on the first, is still the owner's; the queue's admission (master
switch, profile, personal and group quotas) refuses before anything is written; the runner of this
process is woken so that a free worker starts at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy

from bildgen.admin.live import source_for
from bildgen.generation.plan import Plan
from bildgen.groups import governance
from bildgen.i18n import _
from bildgen.jobs import queue
from bildgen.refusal import Refusal
from bildgen.services import Services
from bildgen.store import library


def submission(
    owner_id: str,
    planned: Plan,
    reference_ids: tuple[str, ...] = (),
    mask_id: str | None = None,
    *,
    recipe_extras: str | None = None,
    batch_id: str | None = None,
    batch_position: int | None = None,
    board_id: str | None = None,
) -> queue.Submission:
    return queue.Submission(
        owner_id=owner_id,
        prompt=planned.prompt,
        profile_id=planned.profile_id,
        parameters=planned.parameters,
        seeds=planned.seeds,
        reference_ids=tuple(reference_ids),
        mask_id=mask_id,
        model_label=planned.model_label,
        options=dict(planned.options),
        recipe_extras=recipe_extras,
        batch_id=batch_id,
        batch_position=batch_position,
        board_id=board_id,
    )


def check_inputs(engine: sqlalchemy.Engine, owner_id: str, reference_ids: tuple[str, ...], mask_id: str | None) -> None:
    """Refuses references or a mask that are not (or no longer) the owner's."""
    for reference_id in reference_ids:
        if library.find_reference(engine, reference_id, owner_id) is None:
            raise Refusal(
                _("A reference image is no longer available. Remove it and try again."),
                field="references",
                kind="not_found",
            )
    if mask_id is not None:
        mask = library.find_mask(engine, mask_id, owner_id)
        if mask is None or not reference_ids or mask.reference_id != reference_ids[0]:
            raise Refusal(_("That mask does not exist (any more)."), field="mask", kind="not_found")


def check_model_allowed(engine: sqlalchemy.Engine, owner_id: str, profile_id: str) -> None:
    """Blocking: refuses (ModelNotAllowed, field "model") a profile the owner's groups do not allow."""
    source = source_for(engine)
    profiles = source.refresh().catalog.models if source is not None else None
    governance.check_model(engine, owner_id, profile_id, profiles)


def submit_now(engine: sqlalchemy.Engine, job: queue.Submission) -> str:
    """Blocking: the inputs checked, the job queued; its id. Raises a Refusal (the queue's
    SubmissionRefused, StorageUnavailable, a model the owner's groups do not allow, or an input that is
    not the owner's)."""
    check_model_allowed(engine, job.owner_id, job.profile_id)
    check_inputs(engine, job.owner_id, job.reference_ids, job.mask_id)
    return queue.submit(engine, job)


async def submit(
    services: Services,
    owner_id: str,
    planned: Plan,
    reference_ids: tuple[str, ...] = (),
    mask_id: str | None = None,
    *,
    recipe_extras: str | None = None,
    board_id: str | None = None,
    then: Callable[[str], None] | None = None,
) -> str:
    """Queue the planned job for its owner and wake the runner; the job's id. `then(job_id)` runs in
    the same thread right after the job is queued (the API records how its images are wanted)."""
    job = submission(owner_id, planned, reference_ids, mask_id, recipe_extras=recipe_extras, board_id=board_id)

    def queued() -> str:
        job_id = submit_now(services.engine, job)
        if then is not None:
            then(job_id)
        return job_id

    job_id = await asyncio.to_thread(queued)
    services.runner.wake()
    return job_id


async def cancel(services: Services, job_id: str, *, owner_id: str | None) -> bool:
    """Cancel a job: at once while it waits, else its worker is asked to stop (owner None: an
    administrator's). False when there was nothing of the owner's to cancel."""
    asked = await asyncio.to_thread(queue.request_cancel, services.engine, job_id, owner_id=owner_id)
    services.runner.wake()
    return asked
