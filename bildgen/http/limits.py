"""Refuse oversized uploads before they are read: Reflex's upload route has no size limit of its own."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bildgen.store.references import MAX_BYTES

UPLOAD_PATH = "/_upload"
# The form takes at most a handful of references at a time; anything far larger is not one.
MAX_UPLOAD_BYTES = 8 * MAX_BYTES + 1024 * 1024


class UploadSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH:
            length = dict(scope["headers"]).get(b"content-length")
            if length is None or not length.isdigit() or int(length) > self.max_bytes:
                await send(
                    {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": b"Upload too large."})
                return
        await self.app(scope, receive, send)
