"""The Admin area's "Test connection": one cheap call to a profile's or provider's service, and what
went wrong in words an administrator can act on (wrong key, no credits, service down, TLS…).

The provider adapters (bildgen/inference/providers/, issue 11) each have a `probe()`; where they are
installed, they answer. Until then OpenAI-compatible services (and OpenAI) are asked for their model
list through the inference client.
"""

from __future__ import annotations

import dataclasses
import importlib
import ssl

from bildgen.inference.client import InferenceClient, forget_served_model
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import ModelProfile

PROBE_DEADLINE_S = 30.0
_CREDIT_WORDS = ("credit", "quota", "billing", "insufficient", "balance", "payment")


@dataclasses.dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _tls_failure(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def explain(error: InferenceError, base_url: str) -> str:
    """What failed, for the administrator: the cause and what to do about it."""
    said = (error.server_said or "").lower()
    if _tls_failure(error):
        return (
            f"The TLS certificate of {base_url} was not accepted (expired, self-signed or for another name)."
            " Check the address, or install the organisation's CA certificate on the bildgen host."
        )
    if error.kind is ErrorKind.UNAUTHORIZED:
        return "The service refused the API key. Check that it is right, belongs to this service and is still valid."
    if error.status == 402 or any(word in said for word in _CREDIT_WORDS):
        return "The key works, but the account has no credits or quota left. Top it up at the provider."
    if error.kind in (ErrorKind.UNREACHABLE, ErrorKind.UNAVAILABLE, ErrorKind.CONNECTION_LOST, ErrorKind.TIMED_OUT):
        return f"Nothing answered at {base_url}: the service is down or the address is wrong. Check both."
    if error.kind in (ErrorKind.NOT_READY, ErrorKind.BUSY, ErrorKind.SERVER_FAILURE):
        return f"The service at {base_url} answered but is not working right now ({error.user_message}) Try later."
    if error.status == 404:
        return (
            f"Something answers at {base_url}, but not this kind of service, or not this model."
            " Check the address (usually ending in /v1), the provider and the model name."
        )
    return f"The service at {base_url} answered unexpectedly: {error.user_message}"


async def _probe_openai_compatible(profile: ModelProfile) -> Outcome:
    endpoint = dataclasses.replace(profile.endpoint(), deadline_s=min(profile.deadline_s, PROBE_DEADLINE_S))
    forget_served_model(endpoint.base_url)
    try:
        async with InferenceClient(endpoint) as client:
            served = await client.served_model()
    except InferenceError as error:
        return Outcome(False, explain(error, endpoint.base_url))
    if served.id is None:
        return Outcome(
            False,
            f"Something answers at {endpoint.base_url}, but lists no model. Check the address (usually ending in"
            " /v1) and the provider, or name the model in the profile.",
        )
    return Outcome(True, f"Connected. The service serves {served.id}.")


async def try_connection(profile: ModelProfile) -> Outcome:
    try:
        adapters = importlib.import_module("bildgen.inference.providers")
    except ImportError:
        adapters = None
    if adapters is not None and hasattr(adapters, "probe"):
        result = await adapters.probe(profile)
        return Outcome(result.ok, result.message)
    if profile.provider in ("openai-compatible", "openai"):
        return await _probe_openai_compatible(profile)
    return Outcome(False, "This provider can be tested once its adapter is installed (bildgen/inference/providers/).")
