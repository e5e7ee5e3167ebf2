"""A small OpenID provider for tests: discovery, a sign-in page, the authorization code flow with
PKCE (S256 only), client authentication, RS256 ID tokens signed with joserfc (the library bildgen
checks them with), its published keys, and RP-initiated logout (an end-session endpoint that checks
the `id_token_hint` and sends the browser back to a registered `post_logout_redirect_uri`).

It is strict where bildgen must be right (redirect URI, PKCE, single-use codes, client secret) and
can be told to misbehave the ways a bad or hostile provider does (`fault`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import secrets
import time
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bildgen.inference.demo.server import BackgroundServer
from tests.servers import free_port

CLIENT_ID = "bildgen"
CLIENT_SECRET = "test-client-secret-not-for-production"
# What `fault` may say: an ID token signed by another key, for another client, or already expired.
FAULTS = ("bad-signature", "wrong-audience", "expired")


@dataclasses.dataclass
class Person:
    email: str
    groups: tuple[str, ...] = ()
    email_verified: bool = True
    subject: str = dataclasses.field(default_factory=lambda: secrets.token_hex(8))


@dataclasses.dataclass
class _Grant:
    username: str
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str


class OpenIdProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.people: dict[str, Person] = {}
        self.fault: str | None = None
        self.redirect_uris: set[str] = set()
        self._grants: dict[str, _Grant] = {}
        self.tokens_issued = 0
        # RP-initiated logout: advertised in discovery unless switched off; whose sessions were ended.
        self.end_session = True
        self.post_logout_redirect_uris: set[str] = set()
        self.signed_out: list[str] = []
        self._server = BackgroundServer(self._app(), port=self.port)

    def start(self) -> OpenIdProvider:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def environment(self, **extra: str) -> dict[str, str]:
        """bildgen's settings for this provider."""
        return {
            "BILDGEN_OIDC_ISSUER": self.issuer,
            "BILDGEN_OIDC_CLIENT_ID": CLIENT_ID,
            "BILDGEN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "BILDGEN_OIDC_LABEL": "Test SSO",
            **extra,
        }

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize_page, methods=["GET"]),
                Route("/authorize", self._authorize, methods=["POST"]),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
                Route("/logout", self._logout, methods=["GET"]),
            ]
        )

    async def _discovery(self, _request: Request) -> Response:
        end_session = {"end_session_endpoint": f"{self.issuer}/logout"} if self.end_session else {}
        return JSONResponse(
            {
                **end_session,
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def _logout(self, request: Request) -> Response:
        """End the person's session here, then back to the client, as OpenID RP-Initiated Logout 1.0 says."""
        params = request.query_params
        try:
            token = jwt.decode(params.get("id_token_hint", ""), KeySet([self.key]), algorithms=["RS256"])
        except Exception:  # joserfc's errors, or no token at all
            return HTMLResponse("<p>id_token_hint is not one of ours</p>", status_code=400)
        claims = token.claims
        back = params.get("post_logout_redirect_uri", "")
        if claims.get("iss") != self.issuer or claims.get("aud") != params.get("client_id", claims.get("aud")):
            return HTMLResponse("<p>id_token_hint is for another client</p>", status_code=400)
        if self.post_logout_redirect_uris and back not in self.post_logout_redirect_uris:
            return HTMLResponse("<p>post_logout_redirect_uri not registered</p>", status_code=400)
        self.signed_out.append(str(claims["sub"]))
        if not back:
            return HTMLResponse("<!doctype html><title>Signed out</title><h1>Signed out of the test provider</h1>")
        return RedirectResponse(back, 303)

    async def _jwks(self, _request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    def _check_request(self, params) -> str | None:
        if params.get("client_id") != CLIENT_ID:
            return "unknown client"
        if self.redirect_uris and params.get("redirect_uri") not in self.redirect_uris:
            return "redirect_uri not registered"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return "not an OpenID code request"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE (S256) is required"
        if not params.get("state") or not params.get("nonce"):
            return "state and nonce are required"
        return None

    async def _authorize_page(self, request: Request) -> Response:
        params = request.query_params
        if problem := self._check_request(params):
            return HTMLResponse(f"<p>{html.escape(problem)}</p>", status_code=400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in params.items()
        )
        return HTMLResponse(
            "<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>"
            f'<form method="post">{hidden}<label>Username <input name="username"></label>'
            '<button name="decision" value="allow">Continue</button>'
            '<button name="decision" value="deny">Cancel</button></form>'
        )

    async def _authorize(self, request: Request) -> Response:
        form = await request.form()
        if problem := self._check_request(form):
            return HTMLResponse(f"<p>{html.escape(problem)}</p>", status_code=400)
        redirect_uri, state = form["redirect_uri"], form["state"]
        if form.get("decision") != "allow":
            return RedirectResponse(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}", 303)
        username = str(form.get("username", ""))
        if username not in self.people:
            return HTMLResponse("<p>Unknown user</p>", status_code=401)
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(username, form["client_id"], redirect_uri, form["nonce"], form["code_challenge"])
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", 303)

    def _client_authenticated(self, request: Request, form) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == CLIENT_ID and secrets.compare_digest(secret, CLIENT_SECRET)

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_authenticated(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._grants.pop(str(form.get("code", "")), None)  # a code is good once
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.redirect_uri != form.get("redirect_uri")
            or not secrets.compare_digest(challenge, grant.challenge)
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        person = self.people[grant.username]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": person.subject,
            "aud": "someone-else" if self.fault == "wrong-audience" else grant.client_id,
            "iat": now - 7200 if self.fault == "expired" else now,
            "exp": now - 3600 if self.fault == "expired" else now + 300,
            "nonce": grant.nonce,
            "email": person.email,
            "email_verified": person.email_verified,
            "preferred_username": grant.username,
            "groups": list(person.groups),
        }
        key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}) if self.fault == "bad-signature" else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        self.tokens_issued += 1
        return JSONResponse(
            {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )
