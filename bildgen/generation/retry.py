"""Retry: run a finished run's missing images again, as they were asked for.

The same prompt, model, parameters, options, references and mask, and each missing image's own seed,
so a retried image is the one the run would have given. Images the run did save are not made again.
"""

from __future__ import annotations

import sqlalchemy

from bildgen.jobs import queue, views
from bildgen.store import library


class NothingToRetry(LookupError):
    """Not the user's run, still running, or every image of it was saved."""


def retry_missing(engine: sqlalchemy.Engine, job_id: str, *, owner_id: str) -> str:
    """Queues the run's missing images as a new run; its id. Raises NothingToRetry, a
    SubmissionRefused (quota, switched off, profile gone) or StorageUnavailable."""
    found = views.run(engine, job_id, owner_id=owner_id)
    if found is None or found.view.active:
        raise NothingToRetry(job_id)
    view, generation = found.view, found.generation
    seeds = [seed for variant, seed in enumerate(view.seeds) if variant not in view.images]
    if not seeds:
        raise NothingToRetry(job_id)
    spec = queue.JobSpec.of(generation)
    references = library.references_of(engine, generation.id, owner_id)
    if len(references) != generation.reference_count:
        raise LookupError("a reference image of this run is gone")
    return queue.submit(
        engine,
        queue.Submission(
            owner_id=owner_id,
            prompt=generation.prompt,
            profile_id=generation.model_profile,
            parameters=queue.parameters_of(generation, spec),
            seeds=seeds,
            reference_ids=tuple(reference.id for reference in references),
            mask_id=generation.mask_id,
            model_label=generation.model_label,
            options=spec.options,
            recipe_extras=generation.recipe_extras,
        ),
    )
