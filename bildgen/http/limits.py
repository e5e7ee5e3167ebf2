"""Refuse oversized uploads before they are read: Reflex's upload route has no size limit of its own.

A request is refused at once when its Content-Length is missing or above the cap. Otherwise its
multipart body is parsed while it streams in (python-multipart, the parser Starlette uses), and the
request is answered 413 as soon as one file outgrows the per-file limit or there are too many files:
the rest of the body is never handed to Reflex, which would otherwise spool all of it to disk first.
"""

from __future__ import annotations

import json

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bildgen import routes
from bildgen.api.errors import envelope
from bildgen.store.references import MAX_BYTES

UPLOAD_PATH = "/_upload"
# Reflex's upload route, and the API's edits (whose refusals are in OpenAI's error envelope).
UPLOAD_PATHS = (UPLOAD_PATH, routes.API_EDITS_ROUTE)
# The form takes at most a handful of references at a time; anything far larger is not one.
MAX_UPLOAD_BYTES = 8 * MAX_BYTES + 1024 * 1024
# The most references a model profile may take (profiles.py caps max_references at 16).
MAX_UPLOAD_FILES = 16


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _MultipartWatch:
    """Follows the parts of a multipart body as it streams, raising _Refused once a limit is crossed."""

    def __init__(self, boundary: bytes, max_part_bytes: int, max_files: int) -> None:
        self.max_part_bytes = max_part_bytes
        self.max_files = max_files
        self.files = 0
        self.part_bytes = 0
        self.header_field = b""
        self.header_value = b""
        self.part_headers: dict[bytes, bytes] = {}
        self.parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self.on_part_begin,
                "on_part_data": self.on_part_data,
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except FormParserError:
            raise _Refused(400, "Upload refused: the request is not well-formed multipart data.") from None

    def on_part_begin(self) -> None:
        self.part_bytes = 0
        self.part_headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part_headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part_headers.get(b"content-disposition", b""))
        if b"filename" in options:
            self.files += 1
            if self.files > self.max_files:
                raise _Refused(413, f"Upload refused: at most {self.max_files} files at a time.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_bytes += end - start
        if self.part_bytes > self.max_part_bytes:
            limit_mb = self.max_part_bytes // (1024 * 1024)
            raise _Refused(413, f"Upload refused: each file may be at most {limit_mb} MB.")


class UploadSizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_UPLOAD_BYTES,
        max_file_bytes: int = MAX_BYTES,
        max_files: int = MAX_UPLOAD_FILES,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") in UPLOAD_PATHS):
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(routes.API_PREFIX + "/")

        async def _answer(send: Send, status: int, text: str) -> None:
            await _refuse(send, status, text, api=api)

        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is None or not length.isdigit():
            await _answer(send, 411, "Upload refused: the request must state its length.")
            return
        if int(length) > self.max_bytes:
            await _answer(send, 413, f"Upload refused: at most {self.max_bytes // (1024 * 1024)} MB at a time.")
            return
        content_type, options = parse_options_header(headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or not options.get(b"boundary"):
            await _answer(send, 415, "Upload refused: files must be sent as multipart/form-data.")
            return
        try:
            watch = _MultipartWatch(options[b"boundary"], self.max_file_bytes, self.max_files)
        except FormParserError:  # e.g. a boundary longer than multipart allows
            await _answer(send, 400, "Upload refused: the request is not well-formed multipart data.")
            return
        response_started = refused = False

        async def watched_receive() -> Message:
            nonlocal refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                try:
                    watch.feed(message.get("body", b""))
                except _Refused as refusal:
                    refused = True
                    if not response_started:
                        await _answer(send, refusal.status, refusal.message)
                    # To the app the client is gone: Reflex drops the upload without reading further.
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the refusal was the answer; whatever the app says after it goes nowhere
            response_started = True
            await send(message)

        try:
            await self.app(scope, watched_receive, watched_send)
        except ClientDisconnect:
            if not refused:
                raise  # a real disconnect; the refusal's own one is expected and already answered


async def _refuse(send: Send, status: int, text: str, *, api: bool) -> None:
    if api:  # OpenAI's error envelope (bildgen/api/errors.py), which API clients show as it is
        body = json.dumps(envelope(text, status=status, code="upload_refused")).encode()
        content_type = b"application/json"
    else:
        body, content_type = text.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
