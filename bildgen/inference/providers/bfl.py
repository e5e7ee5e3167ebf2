"""Black Forest Labs' API (https://api.bfl.ai/v1): every image is a task to poll.

- `POST {base}/<model>` (the profile's `served_name`, e.g. `flux-dev`, `flux-2-pro`) with header
  `x-key` answers `{"id", "polling_url"}` at once; the handle is reported (and saved by the runner)
  before the first poll, so a restarted bildgen goes on polling instead of paying again.
- `GET polling_url` until `status` is final: `Ready` (`result.sample`, an image URL valid for about
  ten minutes: downloaded at once), `Request Moderated` / `Content Moderated` (refusals, not
  failures), `Error`, `Task not found`. `progress` (0–1) is reported while `Pending`.
- Fields: width/height multiples of 32 (256–1440), steps and guidance (1.5–5) where the model takes
  them, seed, prompt_upsampling, safety_tolerance (0–6), input_image… for references,
  output_format png (bildgen stores PNG; JPEG would lose detail twice).
- BFL has no way to cancel a task: a cancelled job stops polling; the task finishes unseen.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bildgen.i18n import _
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import ServedModel
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers.base import (
    Generated,
    HttpAdapter,
    NoEvents,
    ProbeProblem,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    TaskHandle,
    TaskProgress,
    TaskStatus,
    b64,
    model_not_found,
    probe_failure,
)
from bildgen.inference.transport import deadline
from bildgen.params import FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

# Multiples of 32, at most 1440 a side.
BFL_SIZES = ((1024, 1024), (1344, 768), (768, 1344), (1152, 896), (896, 1152), (1216, 832), (832, 1216))
KONTEXT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")
# What each model takes beyond prompt, size and seed: steps and guidance, input images.
_MODELS: dict[str, dict[str, Any]] = {
    "flux-dev": {"steps": True, "references": 0},
    "flux-pro-1.1": {"steps": False, "references": 0},
    "flux-pro-1.1-ultra": {"steps": False, "references": 0},
    "flux-2-pro": {"steps": False, "references": 8},
    "flux-2-max": {"steps": False, "references": 8},
    "flux-2-flex": {"steps": True, "references": 8},
    "flux-kontext-pro": {"steps": False, "references": 1, "aspect_ratio": True},
    "flux-kontext-max": {"steps": False, "references": 1, "aspect_ratio": True},
}
_UNKNOWN_MODEL = {"steps": False, "references": 0}
FINAL_FAILURES = {
    "Request Moderated": ErrorKind.MODERATED_REQUEST,
    "Content Moderated": ErrorKind.MODERATED_CONTENT,
    "Task not found": ErrorKind.TASK_LOST,
    "Error": ErrorKind.SERVER_FAILURE,
}
PENDING = ("Pending", "Queued", "Processing")


def _model(profile: ModelProfile) -> dict[str, Any]:
    return _MODELS.get(profile.served_name or "", _UNKNOWN_MODEL)


class BflAdapter(HttpAdapter):
    provider = "bfl"
    # Results are signed URLs on BFL's delivery hosts or its Azure storage.
    result_sites = ("bfl.ai", "bfl.ml", "windows.net")

    def auth_headers(self) -> dict[str, str]:
        return {"x-key": self.endpoint.api_key} if self.endpoint.api_key else {}

    @classmethod
    def check_profile(cls, profile: ModelProfile) -> None:
        super().check_profile(profile)
        if not profile.served_name:
            raise ValueError('served_name names the BFL model (the path after /v1/), e.g. "flux-2-pro"')

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        model = _model(profile)
        return FamilyTraits(BFL_SIZES, (14, 28, 50), 3.0, "guidance", False, model["references"])

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        model = _model(profile)
        return Capabilities(
            negative_prompt=False,
            steps=model["steps"],
            guidance=model["steps"],
            sizes=traits.sizes,
            aspect_ratios=KONTEXT_RATIOS if model.get("aspect_ratio") else (),
            max_references=traits.max_references,
            prompt_upsampling=True,
            safety_tolerance=True,
            cloud="Black Forest Labs",
            size_step=32,
            min_side=256,
            max_side=1440,
            max_steps=50,
            guidance_range=(1.5, 5.0),
        )

    async def served_model(self) -> ServedModel:
        return ServedModel(id=self.profile.served_name, is_demo=False)

    async def _probe(self) -> ProbeResult:
        balance = await self.http.request_json("GET", "credits")
        credits = balance.get("credits") if isinstance(balance, dict) else None
        if isinstance(credits, int | float) and credits <= 0:
            return probe_failure(InferenceError(ErrorKind.NO_CREDITS))
        # An empty body is refused (422) without starting or charging anything; 404: no such model.
        try:
            await self.http.request_json("POST", self.profile.served_name or "", json={}, retry=False)
        except InferenceError as error:
            if error.status == 404:
                return model_not_found(self.profile.served_name)
            if error.status != 422:
                raise
        else:
            return ProbeResult(
                ok=False,
                message=_("The service accepted an empty request: this does not look like BFL's API."),
                problem=ProbeProblem.NOT_THIS_SERVICE,
            )
        offered = _("Connected. The model {model} is offered.", model=self.profile.served_name)
        left = _("{count} credits left.", count=f"{credits:g}") if isinstance(credits, int | float) else ""
        return ProbeResult(
            ok=True,
            message=f"{offered} {left}".strip(),
            model=self.profile.served_name,
        )

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        capabilities = self.profile.capabilities()
        parameters = request.parameters
        payload: dict[str, Any] = {"prompt": request.prompt, "seed": request.seed, "output_format": "png"}
        if "aspect_ratio" in request.options:
            payload["aspect_ratio"] = request.options["aspect_ratio"]
        else:
            payload.update(width=parameters.width, height=parameters.height)
        if capabilities.steps:
            payload["steps"] = parameters.steps
        if capabilities.guidance:
            payload["guidance"] = parameters.guidance
        for key in ("prompt_upsampling", "safety_tolerance"):
            if key in request.options:
                payload[key] = request.options[key]
        if len(request.references) > capabilities.max_references:
            raise InferenceError(
                ErrorKind.REJECTED,
                server_said=f"{self.profile.served_name} takes at most {capabilities.max_references} reference images",
            )
        for number, reference in enumerate(request.references, 1):
            payload["input_image" if number == 1 else f"input_image_{number}"] = b64(reference)
        if request.mask is not None:
            raise InferenceError(ErrorKind.REJECTED, server_said="this model takes no mask")
        return payload

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        self.check_options(request)
        payload = self.body(request)
        submitted_at = time.time()
        async with deadline(self.endpoint.deadline_s):
            answer = await self.http.request_json("POST", self.profile.served_name or "", json=payload)
        task_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer names no task")
        polling_url = answer.get("polling_url")
        handle = TaskHandle(
            task_id=task_id,
            polling_url=self.http.followable(polling_url) if isinstance(polling_url, str) and polling_url else None,
            submitted_at=submitted_at,
        )
        await events.started(handle)
        return await self.resume(handle, events=events)

    async def resume(self, handle: TaskHandle, *, events: TaskEvents = NoEvents()) -> Generated:
        await events.progress(TaskProgress(TaskStatus.SUBMITTED))
        return await self.poll(handle, self._check, events)

    async def _check(self, handle: TaskHandle) -> Generated | TaskProgress:
        url = handle.polling_url or f"get_result?id={handle.task_id}"
        try:
            answer = await self.http.request_json("GET", url, retry=False)
        except InferenceError as error:
            if error.status == 404:
                raise InferenceError(ErrorKind.TASK_LOST, status=404) from None
            raise
        if not isinstance(answer, dict) or not isinstance(answer.get("status"), str):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the task's status is missing")
        status = answer["status"]
        if status in PENDING:
            fraction = answer.get("progress")
            fraction = float(fraction) if isinstance(fraction, int | float) and not isinstance(fraction, bool) else None
            return TaskProgress(TaskStatus.RUNNING if fraction else TaskStatus.QUEUED, fraction=fraction or None)
        if status in FINAL_FAILURES:
            raise InferenceError(FINAL_FAILURES[status], server_said=_details(answer.get("details")))
        if status != "Ready":
            raise InferenceError(ErrorKind.MALFORMED, server_said=f"unknown task status {status!r}")
        result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
        image = await self.image_from(result.get("sample"))
        seed = result.get("seed")
        return Generated(image, seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None)


def _details(details: Any) -> str | None:
    """BFL's moderation reasons or error details, as words."""
    if isinstance(details, dict):
        parts = []
        for key, value in details.items():
            value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{key}: {value}")
        return "; ".join(parts) or None
    return str(details) if details else None
