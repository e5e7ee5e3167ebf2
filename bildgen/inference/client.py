"""The OpenAI-compatible image client bildgen uses for every server, the demo one included.

- One request per image (n=1) with its own explicit seed, so every variant is reproducible alone.
- Text to image: POST /images/generations (JSON, diffusion fields top-level).
- Image to image: POST /images/edits (multipart, image[] parts); where that route does not exist
  (vLLM-Omni before 2026) POST /chat/completions with data-URL images and the parameters in a nested
  `extra_body` key. Which one a server takes is remembered per base URL.
- Never retried after a request may have started a GPU job: only connection refused, 503 and 429
  are retried, with backoff and a cap. The openai SDK's own retries are off.
- Every request, the SDK's and our own, goes through one transport that cuts an answer off past
  MAX_ANSWER_BYTES while it streams in; the profile's deadline bounds each whole call (connecting,
  waiting, the body, retries, URL fetches); a circuit breaker per server answers at once while the
  server has been unreachable several times in a row.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx2  # the openai SDK's HTTP library: one library, one transport for every request
import openai

from bildgen.cpu import in_image_pool
from bildgen.images.decoding import DecodedImage
from bildgen.inference import masks
from bildgen.inference.decoding import decode_base64, to_png
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.transport import (
    CONNECT_TIMEOUT_S,
    MAX_ANSWER_BYTES,
    CappedTransport,
    breaker_for,
    connection_error,
    deadline,
    http_call,
    origin,
    parse_json,
    safe_text,
    status_error,
    with_retries,
)

DEFAULT_DEADLINE_S = 600.0
MODEL_CACHE_S = 60.0
# The demo server marks its model listing with this owner, so the studio can say truthfully that
# no real model is connected.
DEMO_OWNER = "bildgen-demo"

EditRoute = Literal["edits", "chat"]


@dataclasses.dataclass(frozen=True)
class ServerEndpoint:
    base_url: str
    api_key: str | None = dataclasses.field(default=None, repr=False)
    deadline_s: float = DEFAULT_DEADLINE_S
    # Used when the server lists no model (or cannot list them); overrides the listing when set.
    served_name: str | None = None


@dataclasses.dataclass(frozen=True)
class ServedModel:
    id: str | None
    is_demo: bool


@dataclasses.dataclass(frozen=True)
class ImageRequest:
    prompt: str
    width: int
    height: int
    seed: int
    # Diffusion fields the model family takes (num_inference_steps, guidance_scale, negative_prompt…).
    diffusion_fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Validated PNG bytes of the reference images; none means text to image.
    references: tuple[bytes, ...] = ()
    # The area of the first reference the model may change: a greyscale PNG of its size, white =
    # change (store/masks.py). Sent as images/edits' `mask`, in OpenAI's form (inference/masks.py).
    mask: bytes | None = None


_served_models: dict[str, tuple[ServedModel, float]] = {}


def forget_served_model(base_url: str) -> None:
    """Ask the server again next time (a connection test must not read a remembered answer)."""
    _served_models.pop(base_url, None)


_edit_routes: dict[str, EditRoute] = {}


def remembered_edit_route(base_url: str) -> EditRoute | None:
    return _edit_routes.get(base_url)


class InferenceClient:
    def __init__(
        self,
        endpoint: ServerEndpoint,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.endpoint = endpoint
        self._sleep = sleep
        self._api_key = endpoint.api_key or "no-key"  # servers without auth still want the header
        self._breaker = breaker_for(endpoint.base_url)
        # Per read; the whole call is bounded by the deadline in _deadline().
        timeout = httpx2.Timeout(endpoint.deadline_s, connect=CONNECT_TIMEOUT_S)
        self._sdk = openai.AsyncOpenAI(
            base_url=endpoint.base_url,
            api_key=self._api_key,
            max_retries=0,
            timeout=timeout,
            http_client=openai.DefaultAsyncHttpxClient(transport=CappedTransport(max_answer_bytes)),
        )
        self._http = httpx2.AsyncClient(
            timeout=timeout,
            headers={"Authorization": f"Bearer {self._api_key}"},
            transport=CappedTransport(max_answer_bytes),
        )

    async def __aenter__(self) -> InferenceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._sdk.close()
        await self._http.aclose()

    # ---- the model ---------------------------------------------------------------------------

    async def served_model(self) -> ServedModel:
        """The model id to send as `model` (vLLM-Omni 2026 answers 400 to any other)."""
        base_url = self.endpoint.base_url
        cached = _served_models.get(base_url)
        if cached and time.monotonic() - cached[1] < MODEL_CACHE_S:
            return cached[0]
        async with self._deadline():
            try:
                body = await self._with_retries(
                    lambda: self._sdk_call(lambda: self._sdk.models.with_raw_response.list())
                )
            except InferenceError as error:
                if error.status != 404:
                    raise
                # SGLang lists its model at the origin's /models, not under /v1.
                body = await self._with_retries(
                    lambda: self._get_json(urljoin(self._origin(), "/models")), tolerate_404=True
                )
        entries = body.get("data") if isinstance(body, dict) else None
        first = entries[0] if isinstance(entries, list) and entries and isinstance(entries[0], dict) else {}
        listed = first.get("id") if isinstance(first.get("id"), str) else None
        model = ServedModel(id=self.endpoint.served_name or listed, is_demo=first.get("owned_by") == DEMO_OWNER)
        _served_models[base_url] = (model, time.monotonic())
        return model

    # ---- images ------------------------------------------------------------------------------

    async def generate(self, request: ImageRequest, *, model: str | None) -> DecodedImage:
        async with self._deadline():
            return await self._generate(request, model)

    async def _generate(self, request: ImageRequest, model: str | None) -> DecodedImage:
        if not request.references:
            body = await self._with_retries(lambda: self._sdk_call(lambda: self._text_to_image(request, model)))
            return await self._first_image(body)
        route = _edit_routes.get(self.endpoint.base_url, "edits")
        mask = await in_image_pool(masks.with_alpha, request.mask) if request.mask else None
        if route == "edits":
            try:
                body = await self._with_retries(lambda: self._sdk_call(lambda: self._edit(request, model, mask)))
            except InferenceError as error:
                if error.status not in (404, 405):
                    raise
                route = "chat"  # no edits route: vLLM-Omni before 2026
            else:
                _edit_routes[self.endpoint.base_url] = "edits"
                return await self._first_image(body)
        if mask is not None:
            # Chat completions carry images, not masks: sending the edit without it would repaint everything.
            raise InferenceError(
                ErrorKind.REJECTED,
                status=404,
                server_said="it has no images/edits route, the only one that takes a mask",
            )
        body = await self._with_retries(lambda: self._chat_edit(request, model))
        _edit_routes[self.endpoint.base_url] = "chat"
        return await self._chat_image(body)

    def _text_to_image(self, request: ImageRequest, model: str | None) -> Awaitable[Any]:
        return self._sdk.images.with_raw_response.generate(
            prompt=request.prompt,
            n=1,
            size=f"{request.width}x{request.height}",  # type: ignore[arg-type]
            response_format="b64_json",
            extra_body={"seed": request.seed, **request.diffusion_fields},
            **({"model": model} if model else {}),
        )

    def _edit(self, request: ImageRequest, model: str | None, mask: bytes | None) -> Awaitable[Any]:
        # Multipart form fields are strings; the SDK sends a list of files as repeated image[] parts.
        fields = {key: str(value) for key, value in {"seed": request.seed, **request.diffusion_fields}.items()}
        images = [(f"image_{number}.png", data, "image/png") for number, data in enumerate(request.references, 1)]
        return self._sdk.images.with_raw_response.edit(
            image=images,
            prompt=request.prompt,
            n=1,
            size=f"{request.width}x{request.height}",  # type: ignore[arg-type]
            response_format="b64_json",
            extra_body=fields,
            **({"model": model} if model else {}),
            **({"mask": ("mask.png", mask, "image/png")} if mask else {}),
        )

    async def _chat_edit(self, request: ImageRequest, model: str | None) -> Any:
        content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
        for data in request.references:
            encoded = base64.b64encode(data).decode("ascii")
            content.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}})
        payload: dict[str, Any] = {
            "messages": [{"role": "user", "content": content}],
            # A literal nested key: old builds read only this, new ones fail on keys given twice.
            "extra_body": {
                "size": f"{request.width}x{request.height}",
                "seed": request.seed,
                "n": 1,
                **request.diffusion_fields,
            },
        }
        if model:
            payload["model"] = model
        return await self._http_call(
            lambda: self._http.post(f"{self.endpoint.base_url}/chat/completions", json=payload)
        )

    # ---- answers -----------------------------------------------------------------------------

    async def _first_image(self, body: Any) -> DecodedImage:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds no image list")
        if not data:
            raise InferenceError(ErrorKind.TOO_FEW)
        item = data[0] if isinstance(data[0], dict) else {}
        if isinstance(item.get("b64_json"), str) and item["b64_json"]:
            return await in_image_pool(_png_from_base64, item["b64_json"])
        if isinstance(item.get("url"), str) and item["url"]:
            return await self._image_from_url(item["url"])
        raise InferenceError(ErrorKind.MALFORMED, server_said="the answer holds neither base64 data nor a URL")

    async def _chat_image(self, body: Any) -> DecodedImage:
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the chat answer has no message") from None
        if isinstance(content, str):
            # A string means the model wrote text instead of producing an image.
            raise InferenceError(ErrorKind.MALFORMED, server_said=content or "no image was produced")
        urls = []
        for part in content if isinstance(content, list) else []:
            image_url = part.get("image_url") if isinstance(part, dict) else None
            if isinstance(image_url, dict) and isinstance(image_url.get("url"), str) and image_url["url"]:
                urls.append(image_url["url"])
        if not urls:
            raise InferenceError(ErrorKind.TOO_FEW)
        return await self._image_from_url(urls[0])

    async def _image_from_url(self, url: str) -> DecodedImage:
        if url.startswith("data:"):
            return await in_image_pool(_png_from_base64, url)
        absolute = urljoin(self._origin() + "/", url) if url.startswith("/") else url
        parts, server = urlsplit(absolute), urlsplit(self.endpoint.base_url)
        if parts.scheme not in ("http", "https"):
            # Xinference answers with a path on its own disk: nothing bildgen can fetch.
            raise InferenceError(ErrorKind.MALFORMED, server_said="the image is a server-side file path, not data")
        if (parts.scheme, parts.netloc) != (server.scheme, server.netloc):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the image URL points at another host; refused")
        # A URL from an answer is fetched without the key, as every adapter's downloads are.
        download = self._http.build_request("GET", absolute)
        del download.headers["Authorization"]
        data = await self._http_call(lambda: self._http.send(download), raw=True)
        return await in_image_pool(to_png, data)

    # ---- transport and errors ----------------------------------------------------------------

    def _deadline(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The profile's deadline for one whole call: connecting, waiting, the body, retries, URLs."""
        return deadline(self.endpoint.deadline_s)

    def _origin(self) -> str:
        return origin(self.endpoint.base_url)

    async def _with_retries(self, call: Callable[[], Awaitable[Any]], *, tolerate_404: bool = False) -> Any:
        return await with_retries(call, self._sleep, tolerate_404=tolerate_404)

    async def _sdk_call(self, request: Callable[[], Awaitable[Any]]) -> Any:
        with self._breaker.attempt():
            try:
                raw = await request()
            except (openai.APITimeoutError, openai.APIConnectionError) as error:
                if error.__cause__ is None and isinstance(error, openai.APITimeoutError):
                    raise InferenceError(ErrorKind.TIMED_OUT) from None
                raise connection_error(error.__cause__ or error) from None
            except openai.APIStatusError as error:
                raise status_error(
                    error.status_code, error.body, safe_text(error.response), error.response.headers
                ) from None
        # An answer holds megabytes of base64: parse it off the event loop.
        return await in_image_pool(parse_json, raw.http_response.content)

    async def _http_call(self, request: Callable[[], Awaitable[httpx2.Response]], *, raw: bool = False) -> Any:
        return await http_call(self._breaker, request, raw=raw)

    async def _get_json(self, url: str) -> Any:
        return await self._http_call(lambda: self._http.get(url))


def _png_from_base64(text: str) -> DecodedImage:
    return to_png(decode_base64(text))
