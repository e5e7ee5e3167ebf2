"""The safety every call to an image service shares, whichever provider speaks on top of it.

- One transport counts every answer as it streams in and cuts it off past MAX_ANSWER_BYTES; it asks
  for uncompressed answers and refuses compressed ones, so the count is what lands in memory.
- `deadline()` bounds a whole call (connecting, waiting, the body, retries, polling, URL fetches).
- `with_retries()` repeats only what cannot have started work: refused connections, 503 and 429.
- A circuit breaker per base URL answers at once while the service has been unreachable several
  times in a row, then lets one probe through.
- `ServiceHttp` puts these together for the adapters that speak plain HTTP (inference/providers/).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import ipaddress
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2  # the openai SDK's HTTP library: one library, one transport for every request

from bildgen.cpu import in_image_pool
from bildgen.inference.errors import (
    ErrorKind,
    InferenceError,
    error_code,
    kind_for_status,
    moderation_kind,
    server_message,
)

CONNECT_TIMEOUT_S = 5.0
MAX_ATTEMPTS = 3
BACKOFF_S = (1.0, 3.0)
MAX_RETRY_WAIT_S = 30.0
# The largest image bildgen accepts has 40 megapixels (decoding.MAX_PIXELS). As an 8-bit RGBA PNG
# that does not compress at all that is 160 MB, 214 MB as base64 in JSON: 256 MiB holds it with room
# for the JSON around it, and stops a runaway answer (one of 2 GB grew a worker to 2.8 GB) early.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
# Connection failures in a row (refused, unreachable, connect timeouts) that open a server's breaker:
# more than one request's attempts (MAX_ATTEMPTS), so one failed click alone does not open it.
BREAKER_THRESHOLD = 5
# How long an open breaker answers at once before it lets one probe request through.
BREAKER_COOL_DOWN_S = 10.0

Sleep = Callable[[float], Awaitable[None]]


@functools.cache
def tls_context() -> ssl.SSLContext:
    # Loading the CA store takes ~20 ms: once per process, not once per generation.
    return ssl.create_default_context()


class _CappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._inner:
            received += len(chunk)
            if received > self._max_bytes:
                # Raised inside httpx2's read: it closes the connection, and neither httpx2 nor the
                # SDK wraps an exception of ours, so the caller gets exactly this error.
                raise InferenceError(ErrorKind.TOO_LARGE)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class CappedTransport(httpx2.AsyncBaseTransport):
    """Every answer is counted as it streams in and cut off past the cap, before it is held whole."""

    def __init__(self, max_bytes: int = MAX_ANSWER_BYTES) -> None:
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context())
        self._max_bytes = max_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        # The cap counts bytes off the wire: a compressed answer could inflate far beyond it.
        request.headers["Accept-Encoding"] = "identity"
        response = await self._inner.handle_async_request(request)
        declared = response.headers.get("content-length", "")
        problem = None
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            problem = InferenceError(
                ErrorKind.MALFORMED, server_said="the answer came compressed although bildgen asked for none"
            )
        elif declared.isdigit() and int(declared) > self._max_bytes:
            problem = InferenceError(ErrorKind.TOO_LARGE)
        if problem:
            await response.aclose()
            raise problem
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self._max_bytes),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclasses.dataclass
class Breaker:
    """One server's circuit breaker: open after BREAKER_THRESHOLD connection failures in a row, it
    answers at once for BREAKER_COOL_DOWN_S, then lets one probe through; any answer closes it."""

    failures: int = 0
    opened_at: float | None = None
    probing: bool = False

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        is_probe = False
        if self.opened_at is not None:
            if self.probing or time.monotonic() - self.opened_at < BREAKER_COOL_DOWN_S:
                raise InferenceError(ErrorKind.UNAVAILABLE)
            self.probing = is_probe = True
        try:
            yield
        except InferenceError as error:
            if error.kind not in (ErrorKind.UNREACHABLE, ErrorKind.TLS):
                self._close()  # the server answered, even if with an error
            else:
                self.failures += 1
                if self.failures >= BREAKER_THRESHOLD:  # a failed probe opens it again
                    self.opened_at = time.monotonic()
            raise
        else:
            self._close()
        finally:
            # A probe cut short (deadline, cancel) decided nothing: the next request probes instead.
            if is_probe:
                self.probing = False

    def _close(self) -> None:
        self.failures, self.opened_at = 0, None


# Per process and per base URL.
_breakers: dict[str, Breaker] = {}


def breaker_for(base_url: str) -> Breaker:
    return _breakers.setdefault(base_url, Breaker())


def reset_breakers() -> None:
    _breakers.clear()


@contextlib.asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """A deadline for one whole call: connecting, waiting, the body, retries, polling, URLs."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise InferenceError(ErrorKind.TIMED_OUT) from None


async def with_retries(call: Callable[[], Awaitable[Any]], sleep: Sleep, *, tolerate_404: bool = False) -> Any:
    """Retry only where no GPU job can have started: refused connections, 503 and 429."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await call()
        except InferenceError as error:
            if tolerate_404 and error.status == 404:
                return {}
            if not error.retryable or attempt == MAX_ATTEMPTS:
                raise
            wait = error.retry_after if error.retry_after is not None else BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]
            if wait > MAX_RETRY_WAIT_S:
                raise
            await sleep(wait)
    raise AssertionError("unreachable")


async def http_call(breaker: Breaker, request: Callable[[], Awaitable[httpx2.Response]], *, raw: bool = False) -> Any:
    """One request through the breaker: the parsed JSON (or the raw bytes), or a typed error."""
    with breaker.attempt():
        try:
            response = await request()
        except httpx2.TransportError as error:
            raise connection_error(error) from None
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        raise status_error(response.status_code, body, response.text, response.headers)
    # An answer may hold megabytes of base64: parse it off the event loop.
    return response.content if raw else await in_image_pool(parse_json, response.content)


def _is_tls_failure(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, ssl.SSLError | ssl.CertificateError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def connection_error(cause: BaseException | None) -> InferenceError:
    if isinstance(cause, httpx2.ConnectTimeout):
        # Never connected, so nothing started; not retried: a server silent for 5 s stays silent.
        return InferenceError(ErrorKind.UNREACHABLE)
    if isinstance(cause, httpx2.TimeoutException):
        return InferenceError(ErrorKind.TIMED_OUT)
    if _is_tls_failure(cause):
        return InferenceError(ErrorKind.TLS)
    # Only a refused connection proves the request never reached the server.
    refused = isinstance(cause, httpx2.ConnectError)
    kind = ErrorKind.UNREACHABLE if refused else ErrorKind.CONNECTION_LOST
    return InferenceError(kind, retryable=refused)


def status_error(status: int, body: Any, text: str, headers: Any) -> InferenceError:
    said = server_message(body, text)
    kind = kind_for_status(status, said)
    if status in (400, 403, 422):
        kind = moderation_kind(error_code(body)) or kind
    return InferenceError(
        kind,
        server_said=said,
        retry_after=retry_after(headers.get("retry-after")),
        status=status,
        # A 429 that means "no credits left" stays so however long one waits.
        retryable=kind in (ErrorKind.BUSY, ErrorKind.NOT_READY),
    )


def parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        raise InferenceError(ErrorKind.MALFORMED, server_said="the answer is not JSON") from None


def safe_text(response: Any) -> str:
    try:
        return response.text
    except Exception:  # an unreadable error body must not hide the status
        return ""


def retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _site(host: str) -> str:
    """api.bfl.ai → bfl.ai: a service's sibling hosts (polling, delivery) share it. IPs stand alone."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        labels = host.split(".")
        return ".".join(labels[-2:]) if len(labels) > 2 else host


class ServiceHttp:
    """One image service's HTTP: its credentials, deadline, breaker and answer cap, for one call's
    worth of requests. URLs the service hands out (polling, results) are only followed on the
    service's own site, and its credentials go only to its own host."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        deadline_s: float,
        sleep: Sleep = asyncio.sleep,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        extra_sites: tuple[str, ...] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deadline_s = deadline_s
        self.sleep = sleep
        self.breaker = breaker_for(self.base_url)
        self._own_site = _site(urlsplit(self.base_url).hostname or "")
        self._sites = {self._own_site, *extra_sites}
        timeout = httpx2.Timeout(deadline_s, connect=CONNECT_TIMEOUT_S)
        self._private = httpx2.AsyncClient(
            timeout=timeout,
            headers=dict(headers or {}),
            auth=httpx2.BasicAuth(*auth) if auth else None,
            transport=CappedTransport(max_answer_bytes),
        )
        # For result URLs (downloads) and other hosts of the service's site: no credentials.
        self._public = httpx2.AsyncClient(timeout=timeout, transport=CappedTransport(max_answer_bytes))

    async def close(self) -> None:
        await self._private.aclose()
        await self._public.aclose()

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def followable(self, url: str) -> str:
        """An absolute URL the service handed out, if bildgen may follow it; else MALFORMED."""
        absolute = urljoin(origin(self.base_url) + "/", url) if url.startswith("/") else url
        parts = urlsplit(absolute)
        host = parts.hostname or ""
        own = origin(absolute) == origin(self.base_url)
        if parts.scheme not in ("http", "https") or not host:
            raise InferenceError(
                ErrorKind.MALFORMED, server_said="the service answered with an address bildgen cannot follow"
            )
        # Another host of the service's site only over https: http there could be anyone's.
        if not own and (parts.scheme != "https" or _site(host) not in self._sites):
            raise InferenceError(ErrorKind.MALFORMED, server_said="the service pointed at another site; refused")
        return absolute

    def _client_for(self, url: str) -> httpx2.AsyncClient:
        """For API calls: credentials go to the service's own origin, and over https to its own
        site's other hosts (BFL polls at api.us1.bfl.ai); never to the extra sites (storage of signed
        result URLs). Downloads never carry them (`download`)."""
        parts = urlsplit(url)
        own = origin(url) == origin(self.base_url)
        sibling = parts.scheme == "https" and _site(parts.hostname or "") == self._own_site
        return self._private if own or sibling else self._public

    async def request_json(
        self, method: str, path: str, *, retry: bool = True, tolerate_404: bool = False, **kwargs: Any
    ) -> Any:
        url = self.followable(self.url(path))
        client = self._client_for(url)

        async def call() -> Any:
            return await http_call(self.breaker, lambda: client.request(method, url, **kwargs))

        return await with_retries(call, self.sleep, tolerate_404=tolerate_404) if retry else await call()

    async def download(self, url: str) -> bytes:
        """A result URL taken from an answer, fetched without credentials: the result-delivery host
        (BFL's delivery.*.bfl.ai, a gateway's file store) is another service than the API, and a
        signed URL carries its own permission."""
        absolute = self.followable(url)
        return await with_retries(
            lambda: http_call(self.breaker, lambda: self._public.get(absolute), raw=True), self.sleep
        )
