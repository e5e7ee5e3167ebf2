"""AUTOMATIC1111's Stable Diffusion WebUI, started with --api.

- Text to image `POST /sdapi/v1/txt2img`; with a reference `POST /sdapi/v1/img2img` (`init_images`,
  `denoising_strength`, and `mask`, white = repaint). The checkpoint is the profile's `served_name`
  (`override_settings.sd_model_checkpoint`); without one, the WebUI's loaded checkpoint.
- The answer's images are bare base64; the seed actually used is in `info`, a JSON *string*.
- The WebUI works on one job at a time: while bildgen's request runs, `GET /sdapi/v1/progress`
  gives its fraction, ETA and a preview. That endpoint knows no job ids, so progress is reported
  only while this process has a single request in flight to the WebUI. Cancelling (or the deadline)
  sends `POST /sdapi/v1/interrupt` in that case too; otherwise it could stop someone else's image.
- The key (`api_key_env`) is `user:password` for `--api-auth` (HTTP basic), or a bearer token for
  a WebUI behind an authenticating proxy.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import contextlib
import json
from typing import TYPE_CHECKING, Any

from bildgen.i18n import _
from bildgen.inference.capabilities import Capabilities
from bildgen.inference.client import DEMO_OWNER, ServedModel
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.providers.base import (
    Generated,
    HttpAdapter,
    NoEvents,
    ProbeResult,
    ProviderRequest,
    TaskEvents,
    TaskProgress,
    TaskStatus,
    b64,
    model_not_found,
)
from bildgen.inference.transport import deadline
from bildgen.params import FamilyTraits

if TYPE_CHECKING:
    from bildgen.inference.profiles import ModelProfile

# Stable Diffusion 1.5 and SDXL sizes (multiples of 8; SDXL's around one megapixel).
SD_SIZES = ((512, 512), (768, 512), (512, 768), (1024, 1024), (1216, 832), (832, 1216), (1152, 896), (896, 1152))
SD_TRAITS = FamilyTraits(SD_SIZES, (10, 20, 30), 7.0, "cfg_scale", True, 1)
DEFAULT_DENOISING_STRENGTH = 0.75
PROGRESS_EVERY_S = 1.0
INTERRUPT_WAIT_S = 2.0

# Requests in flight per WebUI from this process: progress and interrupt are only ours when alone.
_in_flight: collections.Counter[str] = collections.Counter()


class A1111Adapter(HttpAdapter):
    provider = "automatic1111"

    def _credentials(self) -> tuple[str, str] | None:
        key = self.endpoint.api_key
        if key and ":" in key:
            user, _, password = key.partition(":")
            return user, password
        return None

    def basic_auth(self) -> tuple[str, str] | None:
        return self._credentials()

    def auth_headers(self) -> dict[str, str]:
        return {} if self._credentials() else super().auth_headers()

    @classmethod
    def traits(cls, profile: ModelProfile) -> FamilyTraits:
        return SD_TRAITS

    @classmethod
    def capabilities(cls, profile: ModelProfile, traits: FamilyTraits) -> Capabilities:
        return Capabilities(
            negative_prompt=traits.takes_negative_prompt,
            guidance_label="CFG scale",
            sizes=traits.sizes,
            # img2img starts from one init image.
            max_references=min(traits.max_references, 1),
            masks=True,
            denoising_strength=True,
            size_step=8,
            min_side=64,
            max_side=2048,
            max_steps=150,
            guidance_range=(1.0, 30.0),
        )

    async def served_model(self) -> ServedModel:
        if self.profile.served_name:
            return ServedModel(id=self.profile.served_name, is_demo=self.profile.served_name.startswith(DEMO_OWNER))
        async with deadline(self.endpoint.deadline_s):
            options = await self.http.request_json("GET", "sdapi/v1/options")
        checkpoint = options.get("sd_model_checkpoint") if isinstance(options, dict) else None
        if not isinstance(checkpoint, str):
            return ServedModel(id=None, is_demo=False)
        return ServedModel(id=checkpoint, is_demo=checkpoint.startswith(DEMO_OWNER))

    async def _probe(self) -> ProbeResult:
        models = await self.http.request_json("GET", "sdapi/v1/sd-models")
        if not isinstance(models, list):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the checkpoint list is not a list")
        names = set()
        for model in models:
            if isinstance(model, dict):
                names.update(str(model.get(key)) for key in ("title", "model_name") if model.get(key))
                names.update(str(model.get("title", "")).split(" [")[:1])
        wanted = self.profile.served_name
        if wanted and wanted not in names and f"{wanted}.safetensors" not in names:
            return model_not_found(wanted)
        using = wanted or _("the WebUI's loaded checkpoint")
        return ProbeResult(
            ok=True,
            message=_("Connected. {count} checkpoints; this profile uses {model}.", count=len(models), model=using),
            model=wanted,
        )

    def body(self, request: ProviderRequest) -> dict[str, Any]:
        parameters = request.parameters
        payload: dict[str, Any] = {
            "prompt": request.prompt,
            "seed": request.seed,
            "steps": parameters.steps,
            "cfg_scale": parameters.guidance,
            "width": parameters.width,
            "height": parameters.height,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": True,
            "save_images": False,
        }
        if request.negative_prompt:
            payload["negative_prompt"] = request.negative_prompt
        if self.profile.served_name:
            payload["override_settings"] = {"sd_model_checkpoint": self.profile.served_name}
            payload["override_settings_restore_afterwards"] = True
        if request.references:
            payload["init_images"] = [b64(request.references[0])]
            payload["denoising_strength"] = request.options.get("denoising_strength", DEFAULT_DENOISING_STRENGTH)
            if request.mask is not None:
                # Repaint the white area from the original's content, with a soft edge.
                payload.update(mask=b64(request.mask), inpainting_fill=1, mask_blur=4, inpaint_full_res=False)
        elif request.mask is not None:
            raise InferenceError(ErrorKind.REJECTED, server_said="a mask needs a reference image to paint on")
        return payload

    async def generate(
        self, request: ProviderRequest, *, model: str | None, events: TaskEvents = NoEvents()
    ) -> Generated:
        self.check_options(request)
        payload = self.body(request)
        path = "sdapi/v1/img2img" if request.references else "sdapi/v1/txt2img"
        server = self.http.base_url
        _in_flight[server] += 1
        watcher = asyncio.create_task(self._watch_progress(events))
        try:
            async with deadline(self.endpoint.deadline_s):
                try:
                    body = await self.http.request_json("POST", path, json=payload)
                except asyncio.CancelledError:
                    if _in_flight[server] == 1:
                        await self._interrupt()
                    raise
        finally:
            watcher.cancel()
            _in_flight[server] -= 1
        images = body.get("images") if isinstance(body, dict) else None
        if not isinstance(images, list):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image list")
        if not images:
            raise InferenceError(ErrorKind.TOO_FEW)
        return Generated(await self.image_from(images[0]), seed=_seed_from_info(body.get("info")))

    async def _interrupt(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.http.request_json("POST", "sdapi/v1/interrupt", retry=False), timeout=INTERRUPT_WAIT_S
            )

    async def _watch_progress(self, events: TaskEvents) -> None:
        while True:
            await self.sleep(PROGRESS_EVERY_S)
            if _in_flight[self.http.base_url] != 1:
                continue
            try:
                report = await self.http.request_json(
                    "GET", "sdapi/v1/progress", params={"skip_current_image": "false"}, retry=False
                )
            except InferenceError:
                continue  # progress is a nicety: the image request itself reports real trouble
            if isinstance(report, dict):
                await events.progress(_progress_of(report))


def _progress_of(report: dict[str, Any]) -> TaskProgress:
    fraction = report.get("progress")
    fraction = float(fraction) if isinstance(fraction, int | float) and not isinstance(fraction, bool) else None
    eta = report.get("eta_relative")
    eta = float(eta) if isinstance(eta, int | float) and not isinstance(eta, bool) and eta > 0 else None
    preview = None
    if isinstance(report.get("current_image"), str) and report["current_image"]:
        with contextlib.suppress(binascii.Error, ValueError):
            preview = base64.b64decode(report["current_image"], validate=True)
    # Nothing sampled yet: the WebUI is still loading or another job holds its queue lock.
    status = TaskStatus.RUNNING if fraction else TaskStatus.QUEUED
    return TaskProgress(status=status, fraction=fraction if fraction else None, eta_s=eta, preview=preview)


def _seed_from_info(info: Any) -> int | None:
    """The seed the WebUI used: `info` is a JSON string inside the JSON answer."""
    try:
        parsed = json.loads(info) if isinstance(info, str) else info
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    seeds = parsed.get("all_seeds")
    seed = seeds[0] if isinstance(seeds, list) and seeds else parsed.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32 else None
