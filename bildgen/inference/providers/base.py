"""One interface for every kind of image service bildgen talks to.

An adapter owns everything that differs between services: the request's fields, how the answer is
parsed (base64, URLs that expire, AUTOMATIC1111's `info` string), how errors map onto bildgen's typed
errors, what the model takes (its Capabilities) and how a connection is tested (`probe`). Above
`inference/`, nothing knows which provider a profile uses.

Services that answer with a task to poll (BFL always, the gateway with `async_tasks`) report the task
through `TaskEvents.started` as soon as they answer, so that the caller can save it; a restarted
bildgen then calls `resume` with the saved handle instead of paying for the image twice.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import dataclasses
import enum
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bildgen.cpu import in_image_pool
from bildgen.i18n import N_, _
from bildgen.images.decoding import DecodedImage
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import ServedModel, ServerEndpoint
from bildgen.inference.decoding import decode_base64, to_png
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.transport import MAX_ANSWER_BYTES, MAX_RETRY_WAIT_S, ServiceHttp, deadline
from bildgen.params import FAMILIES, EffectiveParameters, FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

# Polling: start quickly (a fast task is fetched within half a second), back off to a cap, and
# honour a Retry-After the service sends.
POLL_FIRST_S = 0.25
POLL_FACTOR = 1.5
POLL_MAX_S = 2.0
POLL_MIN_S = 0.05
POLL_MARGIN_S = 0.02


@dataclasses.dataclass(frozen=True)
class ProviderRequest:
    """One image, as the job asks for it, before any provider's dialect."""

    prompt: str
    parameters: EffectiveParameters
    seed: int
    # Validated PNG bytes of the reference images; none means text to image.
    references: tuple[bytes, ...] = ()
    # A PNG of the first reference's size: white = the area to change.
    mask: bytes | None = None
    # Provider options from the form (quality, aspect_ratio, denoising_strength…), checked against
    # the profile's Capabilities.
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def negative_prompt(self) -> str | None:
        negative = self.parameters.negative_prompt
        return negative if negative and negative.strip() else None


@dataclasses.dataclass(frozen=True)
class Generated:
    image: DecodedImage
    # The seed the service reports having used, where it says (AUTOMATIC1111's info, BFL's result).
    seed: int | None = None


# The recipe's settings beyond prompt and size that a service may or may not take. An adapter reports
# which of them its request carries (`Adapter.sent_fields`): only those are recorded and offered again.
RECIPE_SETTINGS = ("seed", "steps", "guidance", "negative_prompt")
# How the services spell them in a request body.
_SPELLINGS = {
    "seed": "seed",
    "steps": "steps",
    "num_inference_steps": "steps",
    "guidance": "guidance",
    "cfg_scale": "guidance",
    "guidance_scale": "guidance",
    "true_cfg_scale": "guidance",
    "negative_prompt": "negative_prompt",
}


def settings_in(body: Mapping[str, Any]) -> frozenset[str]:
    """The recipe settings a request body carries."""
    return frozenset(_SPELLINGS[key] for key in body if key in _SPELLINGS)


class TaskStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # sent; the service has not said more yet
    QUEUED = "queued"  # waiting at the service
    RUNNING = "running"  # being generated


@dataclasses.dataclass(frozen=True)
class TaskHandle:
    """What a restarted bildgen needs to find a task again: saved as soon as the service answers."""

    task_id: str
    polling_url: str | None = None
    # Wall-clock seconds (time.time()): the profile's deadline counts from here, across restarts.
    submitted_at: float = dataclasses.field(default_factory=time.time)


@dataclasses.dataclass(frozen=True)
class TaskProgress:
    status: TaskStatus
    fraction: float | None = None  # 0…1 where the service reports it
    eta_s: float | None = None
    # An encoded preview image (PNG or JPEG) where the service sends one; never decoded here.
    preview: bytes | None = None


class TaskEvents(Protocol):
    async def started(self, handle: TaskHandle) -> None: ...

    async def progress(self, report: TaskProgress) -> None: ...


class NoEvents:
    async def started(self, handle: TaskHandle) -> None:
        pass

    async def progress(self, report: TaskProgress) -> None:
        pass


class ProbeProblem(enum.StrEnum):
    WRONG_KEY = "wrong-key"
    NO_CREDITS = "no-credits"
    SERVICE_DOWN = "service-down"
    MODEL_NOT_FOUND = "model-not-found"
    TLS = "tls"
    NOT_THIS_SERVICE = "not-this-service"


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """The answer to an administrator's "Test connection": ok, or one problem in words to act on."""

    ok: bool
    message: str
    problem: ProbeProblem | None = None
    model: str | None = None


PROBE_MESSAGES = {
    ProbeProblem.WRONG_KEY: N_(
        "The service refused the API key. Check that the key is right, belongs to this service and is still valid."
    ),
    ProbeProblem.NO_CREDITS: N_(
        "The service accepted the key, but the account has no credits or quota left. Top it up at the provider."
    ),
    ProbeProblem.SERVICE_DOWN: N_(
        "The service did not answer (it is down, starting, overloaded or the address is wrong). Check the address and try again later."
    ),
    ProbeProblem.MODEL_NOT_FOUND: N_("The service answered, but does not offer this model. Check the model name."),
    ProbeProblem.TLS: N_(
        "The service's certificate was not accepted (expired, self-signed or for another name). Check the address, or install the organisation's CA certificate on the bildgen host."
    ),
    ProbeProblem.NOT_THIS_SERVICE: N_(
        "Something answered at this address, but not like this kind of service. Check the address and the provider."
    ),
}

_PROBLEM_OF_KIND = {
    ErrorKind.UNAUTHORIZED: ProbeProblem.WRONG_KEY,
    ErrorKind.NO_CREDITS: ProbeProblem.NO_CREDITS,
    ErrorKind.TLS: ProbeProblem.TLS,
    ErrorKind.UNREACHABLE: ProbeProblem.SERVICE_DOWN,
    ErrorKind.UNAVAILABLE: ProbeProblem.SERVICE_DOWN,
    ErrorKind.CONNECTION_LOST: ProbeProblem.SERVICE_DOWN,
    ErrorKind.NOT_READY: ProbeProblem.SERVICE_DOWN,
    ErrorKind.BUSY: ProbeProblem.SERVICE_DOWN,
    ErrorKind.SERVER_FAILURE: ProbeProblem.SERVICE_DOWN,
    ErrorKind.TIMED_OUT: ProbeProblem.SERVICE_DOWN,
    ErrorKind.TOO_LARGE: ProbeProblem.NOT_THIS_SERVICE,
    ErrorKind.MALFORMED: ProbeProblem.NOT_THIS_SERVICE,
}


def probe_failure(error: InferenceError) -> ProbeResult:
    if error.kind is ErrorKind.REJECTED and error.status == 404:
        problem = ProbeProblem.MODEL_NOT_FOUND
    else:
        problem = _PROBLEM_OF_KIND.get(error.kind, ProbeProblem.NOT_THIS_SERVICE)
    # In the language of the administrator testing (the probe runs in their event).
    message = _(PROBE_MESSAGES[problem])
    if error.server_said:
        message += " " + _("The service said: {words}", words=error.server_said)
    return ProbeResult(ok=False, message=message, problem=problem)


def model_not_found(model: str | None) -> ProbeResult:
    return ProbeResult(
        ok=False,
        message=_(PROBE_MESSAGES[ProbeProblem.MODEL_NOT_FOUND]) + " " + _("(asked for {model})", model=repr(model)),
        problem=ProbeProblem.MODEL_NOT_FOUND,
    )


class Adapter(abc.ABC):
    """One profile's service, for the length of one job (or one probe): close it afterwards."""

    provider: ClassVar[str]
    # Where the service's result URLs may live besides its own site (BFL's delivery storage).
    result_sites: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        profile: ModelProfile,
        *,
        api_key: str | None = None,
        environ: Mapping[str, str] = os.environ,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.profile = profile
        endpoint = profile.endpoint(environ)
        self.endpoint: ServerEndpoint = dataclasses.replace(endpoint, api_key=api_key) if api_key else endpoint
        self.sleep = sleep
        self.max_answer_bytes = max_answer_bytes

    async def __aenter__(self) -> Adapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @abc.abstractmethod
    async def close(self) -> None: ...

    # ---- what the model takes ------------------------------------------------------------------

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        """Defaults for sizes, steps, guidance, negative prompt and references, before the profile's
        own overrides. OpenAI-compatible servers take them from the model family."""
        return FAMILIES[profile.family]

    @classmethod
    @abc.abstractmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities: ...

    @classmethod
    def check_profile(cls, profile: ModelProfile) -> None:
        """Raise ValueError (naming the key) where the profile asks for what this provider lacks."""
        if profile.route is not None:
            raise ValueError('route is only for provider = "gateway"')
        if profile.async_tasks:
            raise ValueError('async_tasks is only for provider = "gateway" (BFL\'s tasks are always polled)')

    # ---- generating ----------------------------------------------------------------------------

    @abc.abstractmethod
    async def served_model(self) -> ServedModel:
        """The model the service will use, as far as it says (for the gallery and filenames)."""

    @abc.abstractmethod
    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated: ...

    async def resume(self, handle: TaskHandle, *, events: TaskEvents = NoEvents()) -> Generated:
        """Go on polling a task a previous bildgen process started."""
        raise InferenceError(ErrorKind.TASK_LOST)

    async def cancel(self, handle: TaskHandle) -> None:
        """Ask the service to drop a task, where it allows that; by default it cannot."""
        return None

    def sent_fields(self, request: ProviderRequest) -> frozenset[str]:
        """Which recipe settings (RECIPE_SETTINGS) `generate` sends for this request: read off the
        very body it builds, so what is recorded is what the service received."""
        return settings_in(self.body(dataclasses.replace(request, references=(), mask=None)))

    @abc.abstractmethod
    def body(self, request: ProviderRequest) -> Mapping[str, Any]:
        """The request's fields as `generate` sends them."""

    # ---- testing the connection ----------------------------------------------------------------

    async def probe(self) -> ProbeResult:
        """A cheap call that checks address, key, model and credit without generating anything."""
        try:
            async with deadline(min(self.endpoint.deadline_s, 30.0)):
                return await self._probe()
        except InferenceError as error:
            return probe_failure(error)

    async def _probe(self) -> ProbeResult:
        model = await self.served_model()
        served = model.id or _("its model")
        return ProbeResult(ok=True, message=_("Connected. The service serves {model}.", model=served), model=model.id)

    # ---- shared by the adapters ----------------------------------------------------------------

    def check_options(self, request: ProviderRequest) -> None:
        problems = self.profile.capabilities().option_problems(request.options)
        if problems:
            raise InferenceError(ErrorKind.REJECTED, server_said=" ".join(problems.values()))

    def time_left(self, handle: TaskHandle) -> float:
        """The profile's deadline counts from the task's submission, also after a restart."""
        left = self.endpoint.deadline_s - (time.time() - handle.submitted_at)
        if left <= 0:
            raise InferenceError(ErrorKind.TIMED_OUT)
        return left


class HttpAdapter(Adapter):
    """An adapter speaking plain HTTP through `ServiceHttp` (everything but OpenAI-compatible servers)."""

    def __init__(self, profile: ModelProfile, **kwargs: Any) -> None:
        super().__init__(profile, **kwargs)
        self.http = ServiceHttp(
            self.endpoint.base_url,
            headers=self.auth_headers(),
            auth=self.basic_auth(),
            deadline_s=self.endpoint.deadline_s,
            sleep=self.sleep,
            max_answer_bytes=self.max_answer_bytes,
            extra_sites=self.result_sites,
        )

    def auth_headers(self) -> dict[str, str]:
        key = self.endpoint.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def basic_auth(self) -> tuple[str, str] | None:
        return None

    async def close(self) -> None:
        await self.http.close()

    async def image_from(self, item: Any) -> DecodedImage:
        """An image the service sent: bare base64, a data URL, or a URL to download at once
        (results on URLs expire: BFL's after ten minutes)."""
        if not isinstance(item, str) or not item:
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image")
        if item.startswith(("http://", "https://", "/")):
            try:
                data = await self.http.download(item)
            except InferenceError as error:
                if error.status in (403, 404, 410):
                    raise InferenceError(ErrorKind.RESULT_EXPIRED, status=error.status) from None
                raise
            return await in_image_pool(to_png, data)
        return await in_image_pool(_png_from_base64, item)

    async def poll(
        self,
        handle: TaskHandle,
        check: Callable[[TaskHandle], Awaitable[DecodedImage | Generated | TaskProgress]],
        events: TaskEvents,
    ) -> Generated:
        """Poll with backoff until `check` gives the image, within the deadline counted from the
        task's submission; report each new status on the way."""
        wait = POLL_FIRST_S
        async with deadline(self.time_left(handle)):
            last: TaskProgress | None = None
            while True:
                try:
                    outcome = await check(handle)
                except InferenceError as error:
                    # Asking again is always safe: a blip or a busy service only delays the answer.
                    if error.kind not in _POLL_AGAIN:
                        raise
                    await self.sleep(min(error.retry_after or POLL_MAX_S, MAX_RETRY_WAIT_S))
                    continue
                if isinstance(outcome, Generated):
                    return outcome
                if isinstance(outcome, DecodedImage):
                    return Generated(outcome)
                if outcome != last:
                    await events.progress(outcome)
                    last = outcome
                # Where the service says how far it is, ask again just after it should be done.
                remaining = _remaining(outcome, handle)
                await self.sleep(wait if remaining is None else min(wait, max(POLL_MIN_S, remaining + POLL_MARGIN_S)))
                wait = min(wait * POLL_FACTOR, POLL_MAX_S)


def _remaining(progress: TaskProgress, handle: TaskHandle) -> float | None:
    """Seconds until the task should be done: the service's ETA, or its fraction done so far."""
    if progress.eta_s is not None:
        return progress.eta_s
    if progress.fraction is not None and 0 < progress.fraction < 1:
        elapsed = max(0.0, time.time() - handle.submitted_at)
        return elapsed * (1 - progress.fraction) / progress.fraction
    return None


_POLL_AGAIN = frozenset(
    {
        ErrorKind.UNREACHABLE,
        ErrorKind.UNAVAILABLE,
        ErrorKind.CONNECTION_LOST,
        ErrorKind.BUSY,
        ErrorKind.NOT_READY,
    }
)


def _png_from_base64(text: str) -> DecodedImage:
    return to_png(decode_base64(text))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
