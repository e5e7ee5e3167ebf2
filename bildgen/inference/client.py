"""The OpenAI-compatible image client bildgen uses for every server, the demo one included.

One request per image (n=1) with its own explicit seed, so every variant is reproducible alone.
The openai SDK never retries on its own here: a retry may start a second GPU job.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import openai

from bildgen.inference.decoding import DecodedImage, decode_base64, to_png
from bildgen.inference.errors import ErrorKind, InferenceError, kind_for_status, server_message

DEFAULT_DEADLINE_S = 600.0
CONNECT_TIMEOUT_S = 5.0
MODEL_CACHE_S = 60.0
DEMO_OWNER = "bildgen-demo"

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ServerEndpoint:
    base_url: str
    api_key: str | None = None
    deadline_s: float = DEFAULT_DEADLINE_S


@dataclasses.dataclass(frozen=True)
class ServedModel:
    id: str
    is_demo: bool


@dataclasses.dataclass(frozen=True)
class TextToImage:
    prompt: str
    width: int
    height: int
    seed: int
    # Diffusion fields a model family takes (num_inference_steps, guidance_scale, …): sent top-level.
    diffusion_fields: dict[str, Any] = dataclasses.field(default_factory=dict)


_served_models: dict[str, tuple[ServedModel, float]] = {}


class InferenceClient:
    def __init__(self, endpoint: ServerEndpoint) -> None:
        self.endpoint = endpoint
        self._sdk = openai.AsyncOpenAI(
            base_url=endpoint.base_url,
            # Servers without authentication still want the header to be present.
            api_key=endpoint.api_key or "no-key",
            max_retries=0,
            timeout=openai.Timeout(endpoint.deadline_s, connect=CONNECT_TIMEOUT_S),
        )

    async def __aenter__(self) -> "InferenceClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._sdk.close()

    async def served_model(self) -> ServedModel:
        """The model id the server serves (sent back as `model`; vLLM-Omni rejects any other)."""
        cached = _served_models.get(self.endpoint.base_url)
        if cached and time.monotonic() - cached[1] < MODEL_CACHE_S:
            return cached[0]
        body = await self._call(lambda: self._sdk.models.with_raw_response.list())
        entries = body.get("data") if isinstance(body, dict) else None
        if not entries or not isinstance(entries[0], dict) or not isinstance(entries[0].get("id"), str):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the model list names no model")
        model = ServedModel(id=entries[0]["id"], is_demo=entries[0].get("owned_by") == DEMO_OWNER)
        _served_models[self.endpoint.base_url] = (model, time.monotonic())
        return model

    async def text_to_image(self, request: TextToImage, *, model: str) -> DecodedImage:
        body = await self._call(
            lambda: self._sdk.images.with_raw_response.generate(
                prompt=request.prompt,
                model=model,
                n=1,
                size=f"{request.width}x{request.height}",  # type: ignore[arg-type]
                response_format="b64_json",
                extra_body={"seed": request.seed, **request.diffusion_fields},
            )
        )
        return _first_image(body)

    async def _call(self, request: Callable[[], Awaitable[Any]]) -> Any:
        try:
            raw = await request()
        except openai.APITimeoutError:
            raise InferenceError(ErrorKind.TIMED_OUT) from None
        except openai.APIConnectionError:
            raise InferenceError(ErrorKind.UNREACHABLE) from None
        except openai.APIStatusError as error:
            said = server_message(error.body, _safe_text(error.response))
            retry_after = _retry_after(error.response.headers.get("retry-after"))
            raise InferenceError(
                kind_for_status(error.status_code, said), server_said=said, retry_after=retry_after
            ) from None
        try:
            return json.loads(raw.http_response.content)
        except ValueError:
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer is not JSON") from None


def _first_image(body: Any) -> DecodedImage:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image list")
    if not data:
        raise InferenceError(ErrorKind.TOO_FEW)
    item = data[0]
    encoded = item.get("b64_json") if isinstance(item, dict) else None
    if not isinstance(encoded, str) or not encoded:
        raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no base64 image")
    return to_png(decode_base64(encoded))


def _safe_text(response: Any) -> str:
    try:
        return response.text
    except Exception:  # an unreadable error body must not hide the status
        return ""


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
