"""Sign-in, sign-up and sign-out as plain form posts, so the session cookie can be HttpOnly.

Reflex's own cookies are written by JavaScript and cannot be HttpOnly; these routes set and clear
the cookie themselves. Posts are only taken from the app's own origins (login CSRF), and answer
with a redirect back to the page they came from.

`safe_next`, `redirect`, `signed_in` and `log_storage_error` are this module's public API: the single
sign-on routes (http/single_sign_on.py) end a sign-in the same way.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

import sqlalchemy
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bildgen import routes
from bildgen.auth import accounts, audit, sessions
from bildgen.auth.single_sign_on import SingleSignOnError, provider_for, unseal_id_token
from bildgen.clients import client_address
from bildgen.services import get_services
from bildgen.store.db import STORAGE_ERRORS
from bildgen.store.models import User

logger = logging.getLogger(__name__)

FORM_LIMIT_BYTES = 16 * 1024


def allowed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin", "").rstrip("/")
    return origin if origin in get_services().settings.allowed_origins else None


def safe_next(value: object) -> str:
    """Where to go after signing in: only a path on this site, else the studio."""
    # Only a path on this site: never "//elsewhere" or "https://elsewhere".
    text = str(value or "")
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else routes.STUDIO


def redirect(origin: str | None, path: str, **query: str) -> RedirectResponse:
    """A 303 to `path` on `origin` (the post's own), with `query`."""
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"{origin or ''}{path}{suffix}", status_code=303)


def signed_in(request: Request, origin: str, token: str, next_path: str) -> Response:
    """The redirect that ends a sign-in: it sets the session's HttpOnly cookie."""
    response = redirect(origin, next_path)
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=int(sessions.ABSOLUTE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_services().settings.cookie_secure or request.url.scheme == "https",
    )
    return response


def log_storage_error(what: str, error: Exception) -> None:
    """Log that `what` could not write, without the statement's parameters."""
    # The driver's own words, not SQLAlchemy's message: that one lists the statement's parameters.
    logger.error("%s could not use the database or disk: %s", what, getattr(error, "orig", None) or error)


async def _form(request: Request) -> dict[str, str]:
    if int(request.headers.get("content-length") or 0) > FORM_LIMIT_BYTES:
        return {}
    form = await request.form(max_files=0, max_fields=10)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _passwords_off() -> bool:
    """The organisation signs everyone in through its own provider (BILDGEN_OIDC_ONLY)."""
    sso = get_services().settings.sso
    return sso is not None and sso.only


async def sign_in(request: Request) -> Response:
    origin = allowed_origin(request)
    if origin is None:
        return redirect(None, routes.SIGN_IN_PAGE, error="origin")
    if _passwords_off():
        return redirect(origin, routes.SIGN_IN_PAGE, error="sso-only")
    form = await _form(request)
    next_path = safe_next(form.get("next"))
    engine = get_services().engine
    try:
        user = await asyncio.to_thread(
            accounts.authenticate,
            engine,
            form.get("username", ""),
            form.get("password", ""),
            address=client_address(request),
        )
        token = await asyncio.to_thread(sessions.start, engine, user.id)
    except accounts.SignInRefused as refused:
        return redirect(origin, routes.SIGN_IN_PAGE, error=refused.code, next=next_path)
    except STORAGE_ERRORS as error:
        log_storage_error("Sign-in", error)
        return redirect(origin, routes.SIGN_IN_PAGE, error="storage", next=next_path)
    if user.must_change_password:
        # An administrator reset the password: this session only serves choosing a new one.
        return signed_in(request, origin, token, f"{routes.CHANGE_PASSWORD_PAGE}?notice=new-password")
    return signed_in(request, origin, token, next_path)


async def sign_up(request: Request) -> Response:
    origin = allowed_origin(request)
    if origin is None:
        return redirect(None, routes.SIGN_UP_PAGE, error="origin")
    if _passwords_off():
        return redirect(origin, routes.SIGN_IN_PAGE, error="sso-only")
    form = await _form(request)
    services = get_services()
    try:
        user = await asyncio.to_thread(
            accounts.create_account,
            services.engine,
            form.get("username", ""),
            form.get("password", ""),
            signup_open=services.settings.signup_open,
            admin_username=services.settings.admin_username,
            address=client_address(request),
        )
        token = await asyncio.to_thread(sessions.start, services.engine, user.id)
    except accounts.AccountError as error:
        return redirect(origin, routes.SIGN_UP_PAGE, error=error.code)
    except STORAGE_ERRORS as error:
        log_storage_error("Sign-up", error)
        return redirect(origin, routes.SIGN_UP_PAGE, error="storage")
    return signed_in(request, origin, token, routes.STUDIO)


def _end_session(engine: sqlalchemy.Engine, token: str | None, address: str) -> None:
    user_id = sessions.end(engine, token)
    if user_id is not None:
        audit.record(engine, action=audit.SIGN_OUT, actor_id=user_id, address=address)


async def _provider_sign_out(origin: str, sealed: str) -> str | None:
    """After a single sign-on session: the provider's end-session address (with the ID token as hint and
    bildgen's sign-in page to come back to), if it advertises one; else None and sign-out stays local."""
    services = get_services()
    id_token = unseal_id_token(services.secret, sealed)
    if services.settings.sso is None or id_token is None:
        return None
    back = f"{origin}{routes.SIGN_IN_PAGE}?{urlencode({'notice': 'signed-out'})}"
    try:
        return await provider_for(services.settings.sso).end_session_url(id_token, back)
    except SingleSignOnError as error:
        logger.warning("Signed out of bildgen only; the provider could not be asked: %s", error.detail)
        return None


async def sign_out(request: Request) -> Response:
    origin = allowed_origin(request)
    if origin is None:
        # Refused like sign-in: another site must not be able to sign anyone out either.
        return redirect(None, routes.SIGN_IN_PAGE, error="origin")
    token = sessions.token_from_cookie_header(request.headers.get("cookie"))
    engine = get_services().engine
    try:
        sealed = await asyncio.to_thread(sessions.sealed_id_token, engine, token)
        await asyncio.to_thread(_end_session, engine, token, client_address(request))
    except STORAGE_ERRORS as error:
        # The cookie still goes: on a shared computer the next person must not find this session.
        log_storage_error("Sign-out", error)
        response = redirect(origin, routes.SIGN_IN_PAGE, error="storage-sign-out")
    else:
        at_provider = await _provider_sign_out(origin, sealed) if sealed else None
        response = (
            RedirectResponse(at_provider, status_code=303)
            if at_provider
            else redirect(origin, routes.SIGN_IN_PAGE, notice="signed-out")
        )
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


async def change_password(request: Request) -> Response:
    """The signed-in user's new password; every other session of the account ends."""
    origin = allowed_origin(request)
    if origin is None:
        return redirect(None, routes.CHANGE_PASSWORD_PAGE, error="origin")
    form = await _form(request)
    token = sessions.token_from_cookie_header(request.headers.get("cookie"))
    engine = get_services().engine
    try:
        user = await asyncio.to_thread(sessions.user_for, engine, token, changing_password=True)
        if user is None:
            return redirect(origin, routes.SIGN_IN_PAGE, next=routes.CHANGE_PASSWORD_PAGE)
        await asyncio.to_thread(
            accounts.change_password,
            engine,
            user.id,
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("repeat_password", ""),
            address=client_address(request),
        )
        await asyncio.to_thread(sessions.end_all, engine, user.id, except_token=token)
    except accounts.AccountError as error:
        return redirect(origin, routes.CHANGE_PASSWORD_PAGE, error=error.code)
    except STORAGE_ERRORS as error:
        log_storage_error("Changing a password", error)
        return redirect(origin, routes.CHANGE_PASSWORD_PAGE, error="storage")
    return redirect(origin, routes.STUDIO)


async def request_user(request: Request) -> User | None:
    token = sessions.token_from_cookie_header(request.headers.get("cookie"))
    services = await asyncio.to_thread(get_services)
    return await asyncio.to_thread(sessions.user_for, services.engine, token)
