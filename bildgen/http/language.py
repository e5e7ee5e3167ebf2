"""Remembers the language a browser's page requests prefer, for its websocket to read.

The studio answers in the language of the websocket's events, whose only headers are those of the
handshake; some browsers send another Accept-Language there than on page requests (Debian's
Chromium 150+: en-US on the handshake whatever the user prefers). Page requests always come first,
so a page answer sets a cookie with the language negotiated from its own Accept-Language, and the
handshake carries that cookie.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bildgen import i18n
from bildgen.auth.sessions import cookie_value

MAX_AGE_S = 365 * 24 * 3600


class BrowserLanguageCookie:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # Only pages (what a browser asks for as a document), not scripts, images or the API.
        if "text/html" not in headers.get("accept", "") or "accept-language" not in headers:
            await self.app(scope, receive, send)
            return
        preferred = i18n.negotiate(headers["accept-language"])
        if cookie_value(headers.get("cookie"), i18n.BROWSER_LANGUAGE_COOKIE) == preferred:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(
                    "set-cookie",
                    f"{i18n.BROWSER_LANGUAGE_COOKIE}={preferred}; Path=/; Max-Age={MAX_AGE_S}; HttpOnly; SameSite=Lax",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
