"""The organisation's image gateway: one base URL (…/v2), one route per provider and action.

The profile's `route` picks it: `qwen` (image/qwen/generate|edit), `flux` (image/flux/generate),
`gemini-3` (image/gemini-3/generate), `gpt-image` (image/gpt-image/generate|edit) or
`automatic1111` (automatic1111/sdapi/v1/txt2img). Each takes its provider's fields and answers as
that provider does: base64 arrays (`images`) for some, URL arrays (`images`, or Qwen's `urls`, which
expire) for others; URLs are downloaded at once.

With `async_tasks = true` the request carries `"async": true`; the gateway answers 202 with a task
address, polled at `GET tasks/{address}` until it is final (the gateway times a plain request out
after 5 minutes). The task is reported (and saved) the moment the gateway names it, resumed after a
restart, and cancelled with `DELETE tasks/{address}` when the user cancels. The gateway's task
answer is not documented beyond the seed; the adapter reads the usual spellings of its fields.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bildgen.i18n import _
from bildgen.images.decoding import DecodedImage
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import ServedModel
from bildgen.inference.errors import ErrorKind, InferenceError, moderation_kind
from bildgen.inference.providers.automatic1111 import SD_SIZES, _seed_from_info
from bildgen.inference.providers.base import (
    Generated,
    HttpAdapter,
    NoEvents,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    TaskHandle,
    TaskProgress,
    TaskStatus,
    b64,
    model_not_found,
)
from bildgen.inference.providers.bfl import BFL_SIZES
from bildgen.inference.transport import deadline
from bildgen.params import QWEN_SIZES, FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

ROUTES = ("qwen", "flux", "gemini-3", "gpt-image", "automatic1111")
GEMINI_RATIOS = {
    "1:1": (1024, 1024),
    "16:9": (1376, 768),
    "9:16": (768, 1376),
    "4:3": (1184, 896),
    "3:4": (896, 1184),
    "3:2": (1248, 832),
    "2:3": (832, 1248),
    "5:4": (1136, 912),
    "4:5": (912, 1136),
    "21:9": (1536, 672),
}
GPT_IMAGE_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
_TRAITS = {
    "qwen": FamilyTraits(QWEN_SIZES, (20, 30, 50), 4.0, "true_cfg_scale", False, 1),
    "flux": FamilyTraits(BFL_SIZES, (14, 28, 50), 3.0, "guidance", False, 4),
    "gemini-3": FamilyTraits(tuple(GEMINI_RATIOS.values()), (1, 1, 1), 0.0, "guidance_scale", False, 0),
    "gpt-image": FamilyTraits(GPT_IMAGE_SIZES, (1, 1, 1), 0.0, "guidance_scale", False, 1),
    "automatic1111": FamilyTraits(SD_SIZES, (10, 20, 30), 7.0, "cfg_scale", True, 0),
}
# Task statuses, in the spellings gateways use.
_WAITING = {"queued", "pending", "submitted", "waiting", "accepted"}
_RUNNING = {"running", "processing", "in_progress", "started", "generating"}
_DONE = {"completed", "complete", "succeeded", "success", "done", "finished", "ready"}
_FAILED = {"failed", "error", "errored", "cancelled", "canceled", "expired", "timeout"}


def _route(profile: ModelProfile) -> str:
    return profile.route or ""


class GatewayAdapter(HttpAdapter):
    provider = "gateway"

    @classmethod
    def check_profile(cls, profile: ModelProfile) -> None:
        if profile.route not in ROUTES:
            raise ValueError(f'route must be one of {", ".join(ROUTES)} for provider = "gateway"')

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        return _TRAITS[_route(profile)]

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        route = _route(profile)
        if route == "automatic1111":
            return Capabilities(
                seed=False,
                guidance_label="CFG scale",
                sizes=traits.sizes,
                size_step=8,
                min_side=64,
                max_steps=150,
                guidance_range=(1.0, 30.0),
            )
        base = Capabilities(negative_prompt=False, steps=False, guidance=False, sizes=traits.sizes)
        references = traits.max_references
        if route == "qwen":
            return _replace(base, max_references=min(references, 1))
        if route == "flux":
            return _replace(
                base,
                max_references=min(references, 4),
                safety_tolerance=True,
                size_step=32,
                min_side=64,
                max_side=2048,
                cloud="Black Forest Labs (through the gateway)",
            )
        if route == "gemini-3":
            return _replace(
                base, seed=False, aspect_ratios=tuple(GEMINI_RATIOS), image_sizes=("1K", "2K", "4K"), cloud="Google"
            )
        return _replace(  # gpt-image
            base,
            seed=False,
            exact_sizes=True,
            qualities=("auto", "low", "medium", "high"),
            max_references=min(references, 1),
            masks=True,
            cloud="OpenAI (through the gateway)",
        )

    async def served_model(self) -> ServedModel:
        return ServedModel(id=self.profile.served_name or f"gateway/{_route(self.profile)}", is_demo=False)

    def path(self, action: str) -> str:
        route = _route(self.profile)
        return "automatic1111/sdapi/v1/txt2img" if route == "automatic1111" else f"image/{route}/{action}"

    async def _probe(self) -> ProbeResult:
        # A request without a prompt is refused (400/422) before anything is made or charged.
        try:
            await self.http.request_json("POST", self.path("generate"), json={}, retry=False)
        except InferenceError as error:
            if error.status == 404:
                return model_not_found(self.path("generate"))
            if error.status not in (400, 422):
                raise
        route = self.path("generate")
        return ProbeResult(
            ok=True, message=_("Connected. The gateway offers {route}.", route=route), model=self.profile.served_name
        )

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        return self.payload(request)[1]

    def payload(self, request: ProviderRequest) -> tuple[str, dict[str, Any]]:
        """The route's action and the fields its provider takes (seeds/image-gateway-api.txt): no more."""
        route, parameters, options = _route(self.profile), request.parameters, request.options
        width, height = parameters.width, parameters.height
        payload: dict[str, Any] = {"prompt": request.prompt}
        action = "edit" if request.references and route in ("qwen", "gpt-image") else "generate"
        if request.references and self.profile.capabilities().max_references == 0:
            raise InferenceError(
                ErrorKind.REJECTED, server_said=f"the gateway's {route} route takes no reference images"
            )
        if request.mask is not None and not (route == "gpt-image" and request.references):
            raise InferenceError(
                ErrorKind.REJECTED, server_said="a mask needs a reference image and a model that takes one"
            )
        if route == "qwen":
            payload.update(size=f"{width}x{height}", seed=request.seed)
            if request.references:
                payload["image"] = b64(request.references[0])
        elif route == "flux":
            payload.update(width=width, height=height, seed=request.seed, output_format="png")
            if "safety_tolerance" in options:
                payload["safety_tolerance"] = options["safety_tolerance"]
            for number, reference in enumerate(request.references[:4], 1):
                payload["input_image" if number == 1 else f"input_image_{number}"] = b64(reference)
        elif route == "gemini-3":
            payload["aspect_ratio"] = options.get("aspect_ratio") or _nearest_ratio(width, height)
            payload["image_size"] = options.get("image_size", "1K")
        elif route == "gpt-image":
            payload.update(size=f"{width}x{height}", quality=options.get("quality", "auto"), n=1)
            if request.references:
                payload["image"] = b64(request.references[0])
                if request.mask is not None:
                    payload["mask"] = b64(request.mask)  # the gateway's convention: white = edit
        else:  # automatic1111
            # The route takes no seed (the gateway's documentation lists none).
            payload.update(steps=parameters.steps, width=width, height=height, cfg_scale=parameters.guidance)
            if request.negative_prompt:
                payload["negative_prompt"] = request.negative_prompt
            if self.profile.served_name:
                payload["model"] = self.profile.served_name
        if self.profile.async_tasks:
            payload["async"] = True
        return action, payload

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        self.check_options(request)
        action, payload = self.payload(request)
        submitted_at = time.time()
        async with deadline(self.endpoint.deadline_s):
            answer = await self.http.request_json("POST", self.path(action), json=payload)
            address = _task_address(answer) if self.profile.async_tasks else None
            if address is None:
                return await self._result(answer)
        polling = _first_text(answer, "poll", "polling_url", "status_url", "url")
        handle = TaskHandle(
            task_id=address,
            polling_url=self.http.followable(polling) if polling else None,
            submitted_at=submitted_at,
        )
        await events.started(handle)
        return await self.resume(handle, events=events)

    async def resume(self, handle: TaskHandle, *, events: TaskEvents = NoEvents()) -> Generated:
        await events.progress(TaskProgress(TaskStatus.SUBMITTED))
        return await self.poll(handle, self._check, events)

    async def cancel(self, handle: TaskHandle) -> None:
        await self.http.request_json("DELETE", self._task_url(handle), retry=False)

    def _task_url(self, handle: TaskHandle) -> str:
        return handle.polling_url or f"tasks/{quote(handle.task_id, safe='')}"

    async def _check(self, handle: TaskHandle) -> Generated | TaskProgress:
        try:
            answer = await self.http.request_json("GET", self._task_url(handle), retry=False)
        except InferenceError as error:
            if error.status in (404, 410):
                raise InferenceError(ErrorKind.TASK_LOST, status=error.status) from None
            raise
        if not isinstance(answer, dict):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the task's status is not an object")
        status = str(answer.get("status") or answer.get("state") or "").lower()
        fraction = _fraction(answer.get("progress"))
        if status in _WAITING:
            return TaskProgress(TaskStatus.QUEUED, fraction=fraction)
        if status in _RUNNING:
            return TaskProgress(TaskStatus.RUNNING, fraction=fraction)
        if status in _DONE:
            result = answer.get("result") if isinstance(answer.get("result"), dict) else answer
            return await self._result(result)
        code, message = _error_of(answer)
        if "moderat" in status or "moderat" in code:
            raise InferenceError(moderation_kind(code) or ErrorKind.MODERATED_REQUEST, server_said=message)
        if status in _FAILED:
            raise InferenceError(ErrorKind.SERVER_FAILURE, server_said=message or f"the task ended as {status}")
        raise InferenceError(ErrorKind.MALFORMED, server_said=f"unknown task status {status!r}")

    async def _result(self, answer: Any) -> Generated:
        if not isinstance(answer, dict):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer is not an object")
        items = next((answer[key] for key in ("images", "urls", "data") if isinstance(answer.get(key), list)), None)
        if items is None:
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image list")
        if not items:
            raise InferenceError(ErrorKind.TOO_FEW)
        first = items[0]
        if isinstance(first, dict):  # {"url": …} or {"b64_json": …}
            first = first.get("b64_json") or first.get("url") or first.get("image")
        image: DecodedImage = await self.image_from(first)
        return Generated(image, seed=_seed_from_info(answer.get("info")) if "info" in answer else None)


def _replace(capabilities: Capabilities, **changes: Any) -> Capabilities:
    return dataclasses.replace(capabilities, **changes)


def _nearest_ratio(width: int, height: int) -> str:
    return min(GEMINI_RATIOS, key=lambda ratio: abs(GEMINI_RATIOS[ratio][0] / GEMINI_RATIOS[ratio][1] - width / height))


def _first_text(answer: Any, *keys: str) -> str | None:
    if not isinstance(answer, dict):
        return None
    for key in keys:
        if isinstance(answer.get(key), str) and answer[key]:
            return answer[key]
    return None


def _task_address(answer: Any) -> str | None:
    return _first_text(answer, "task_address", "task_id", "id")


def _fraction(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return min(1.0, value / 100 if value > 1 else float(value))


def _error_of(answer: dict[str, Any]) -> tuple[str, str | None]:
    error = answer.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or "").lower(), error.get("message") and str(error["message"])
    if isinstance(error, str):
        return error.lower(), error
    return "", None
