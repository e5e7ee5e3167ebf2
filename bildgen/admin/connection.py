"""The Admin area's "Test connection": the profile's provider adapter makes one cheap call
(bildgen/inference/providers/, `probe()`) and says what went wrong in words an administrator can act
on (wrong key, no credits, service down, model not found, TLS problem)."""

from __future__ import annotations

import dataclasses

from bildgen.i18n import _
from bildgen.inference import providers
from bildgen.inference.client import forget_served_model
from bildgen.inference.profiles import ModelProfile


@dataclasses.dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


async def try_connection(profile: ModelProfile) -> Outcome:
    # A test must ask the service now, not read a model list remembered from before a change.
    base_url = profile.endpoint().base_url
    forget_served_model(base_url)
    result = await providers.probe(profile)
    if result.ok and result.model is None and profile.provider == "openai-compatible" and not profile.served_name:
        # Anything that answers 404 to both model lists would pass as "connected" otherwise.
        return Outcome(
            False,
            _(
                "Something answers at {address}, but lists no model. Check the address (usually ending in /v1)"
                " and the provider, or name the model in the profile.",
                address=base_url,
            ),
        )
    return Outcome(result.ok, result.message)
