"""Single sign-on routes: off to the organisation's OpenID provider, and back with a session cookie.

The flow's secrets (state, nonce, PKCE verifier) ride in an encrypted HttpOnly cookie scoped to the
callback; SameSite=Lax lets it come back on the provider's top-level redirect and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bildgen import routes
from bildgen.auth import accounts, sessions
from bildgen.auth.single_sign_on import FLOW_LIFETIME_S, Flow, SingleSignOnError, provider_for, seal_id_token
from bildgen.clients import client_address
from bildgen.http.auth import log_storage_error, redirect, safe_next, signed_in
from bildgen.services import get_services
from bildgen.store.db import STORAGE_ERRORS

logger = logging.getLogger(__name__)
FLOW_COOKIE = "bildgen_sso_flow"


def _public_origin(request: Request) -> str:
    """Where the provider sends the browser back: the origin it came from, if it is one of the app's."""
    origins = get_services().settings.allowed_origins
    here = f"{request.url.scheme}://{request.url.netloc}"
    return here if here in origins else origins[0]


def _refused(origin: str | None, code: str, next_path: str = routes.STUDIO) -> Response:
    response = redirect(origin, routes.SIGN_IN_PAGE, error=code, next=next_path)
    response.delete_cookie(FLOW_COOKIE, path=routes.SSO_CALLBACK_ROUTE, httponly=True, samesite="lax")
    return response


async def sso_start(request: Request) -> Response:
    services = await asyncio.to_thread(get_services)
    config = services.settings.sso
    if config is None:
        return Response(status_code=404)
    origin = _public_origin(request)
    next_path = safe_next(request.query_params.get("next"))
    try:
        url, flow = await provider_for(config).begin(origin + routes.SSO_CALLBACK_ROUTE, next_path)
    except SingleSignOnError as error:
        logger.warning("Single sign-on could not start: %s", error.detail)
        return _refused(origin, error.code, next_path)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        flow.seal(services.secret),
        max_age=FLOW_LIFETIME_S,
        path=routes.SSO_CALLBACK_ROUTE,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure or request.url.scheme == "https",
    )
    return response


async def sso_callback(request: Request) -> Response:
    services = await asyncio.to_thread(get_services)
    config = services.settings.sso
    if config is None:
        return Response(status_code=404)
    origin = _public_origin(request)
    query = request.query_params
    try:
        flow = Flow.unseal(request.cookies.get(FLOW_COOKIE), services.secret)
    except SingleSignOnError as error:
        logger.warning("Single sign-on refused: %s", error.detail)
        return _refused(origin, error.code)
    if query.get("error"):
        # The person cancelled, or the provider refused them: its own words stay in the log.
        logger.info("The provider did not sign the browser in: %s", query.get("error"))
        return _refused(origin, "sso-denied", flow.next_path)
    try:
        identity = await provider_for(config).finish(flow, state=query.get("state", ""), code=query.get("code", ""))
        user = await asyncio.to_thread(
            accounts.sign_in_with_identity,
            services.engine,
            identity,
            admin_group=config.admin_group,
            admin_username=services.settings.admin_username,
            address=client_address(request),
        )
        token = await asyncio.to_thread(
            sessions.start, services.engine, user.id, id_token=seal_id_token(services.secret, identity.id_token)
        )
    except SingleSignOnError as error:
        logger.warning("Single sign-on refused: %s", error.detail)
        return _refused(origin, error.code, flow.next_path)
    except accounts.SignInRefused as refused:
        return _refused(origin, refused.code, flow.next_path)
    except STORAGE_ERRORS as error:
        log_storage_error("Single sign-on", error)
        return _refused(origin, "storage", flow.next_path)
    response = signed_in(request, origin, token, flow.next_path)
    response.delete_cookie(FLOW_COOKIE, path=routes.SSO_CALLBACK_ROUTE, httponly=True, samesite="lax")
    return response
