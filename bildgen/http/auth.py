"""Sign-in, sign-up and sign-out as plain form posts, so the session cookie can be HttpOnly.

Reflex's own cookies are written by JavaScript and cannot be HttpOnly; these routes set and clear
the cookie themselves. Posts are only taken from the app's own origins (login CSRF), and answer
with a redirect back to the page they came from.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bildgen import routes
from bildgen.auth import accounts, sessions
from bildgen.services import get_services
from bildgen.store.models import User

FORM_LIMIT_BYTES = 16 * 1024


def _origin(request: Request) -> str | None:
    origin = request.headers.get("origin", "").rstrip("/")
    return origin if origin in get_services().settings.allowed_origins else None


def _safe_next(value: object) -> str:
    # Only a path on this site: never "//elsewhere" or "https://elsewhere".
    text = str(value or "")
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else routes.STUDIO


def _redirect(origin: str | None, path: str, **query: str) -> RedirectResponse:
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"{origin or ''}{path}{suffix}", status_code=303)


def _signed_in(request: Request, origin: str, user: User, next_path: str) -> Response:
    services = get_services()
    token = sessions.start(services.engine, user.id)
    response = _redirect(origin, next_path)
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=int(sessions.ABSOLUTE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure or request.url.scheme == "https",
    )
    return response


async def _form(request: Request) -> dict[str, str]:
    if int(request.headers.get("content-length") or 0) > FORM_LIMIT_BYTES:
        return {}
    form = await request.form(max_files=0, max_fields=10)
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def sign_in(request: Request) -> Response:
    origin = _origin(request)
    if origin is None:
        return _redirect(None, routes.SIGN_IN_PAGE, error="origin")
    form = await _form(request)
    next_path = _safe_next(form.get("next"))
    address = request.client.host if request.client else "unknown"
    try:
        user = await asyncio.to_thread(
            accounts.authenticate,
            get_services().engine,
            form.get("username", ""),
            form.get("password", ""),
            address=address,
        )
    except accounts.SignInRefused as refused:
        return _redirect(origin, routes.SIGN_IN_PAGE, error=refused.code, next=next_path)
    return _signed_in(request, origin, user, next_path)


async def sign_up(request: Request) -> Response:
    origin = _origin(request)
    if origin is None:
        return _redirect(None, routes.SIGN_UP_PAGE, error="origin")
    form = await _form(request)
    settings = get_services().settings
    try:
        user = await asyncio.to_thread(
            accounts.create_account,
            get_services().engine,
            form.get("username", ""),
            form.get("password", ""),
            signup_open=settings.signup_open,
            admin_username=settings.admin_username,
        )
    except accounts.AccountError as error:
        return _redirect(origin, routes.SIGN_UP_PAGE, error=error.code)
    return _signed_in(request, origin, user, routes.STUDIO)


async def sign_out(request: Request) -> Response:
    origin = _origin(request)
    if origin is not None:
        token = sessions.token_from_cookie_header(request.headers.get("cookie"))
        await asyncio.to_thread(sessions.end, get_services().engine, token)
    response = _redirect(origin, routes.SIGN_IN_PAGE, notice="signed-out")
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


async def request_user(request: Request) -> User | None:
    token = sessions.token_from_cookie_header(request.headers.get("cookie"))
    services = await asyncio.to_thread(get_services)
    return await asyncio.to_thread(sessions.user_for, services.engine, token)
