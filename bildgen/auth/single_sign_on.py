"""Single sign-on with the organisation's OpenID Connect provider (authorization code flow with PKCE).

Authlib builds the authorization request and exchanges the code; joserfc (Authlib's JOSE library)
checks the ID token: signature against the provider's published keys, issuer, audience, expiry and
the nonce this browser was given. What passes becomes an `Identity`; accounts.py decides which
account it signs in. Nothing here knows about HTTP requests or Reflex.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from cryptography.fernet import Fernet, InvalidToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bildgen.auth.server_secret import fernet_key

# How long a browser may take at the provider's sign-in page before the flow must start again.
FLOW_LIFETIME_S = 600
# Clocks of the provider and of bildgen may differ a little.
CLOCK_SKEW_S = 60
HTTP_TIMEOUT_S = 10.0


class SingleSignOnError(Exception):
    """Why a sign-in through the provider was refused; `code` is a key of accounts.MESSAGES."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class SingleSignOn:
    """The operator's configuration (BILDGEN_OIDC_*; docs/single-sign-on.md)."""

    issuer: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    label: str = "single sign-on"
    groups_claim: str = "groups"
    # Members of this group (in the groups claim) administer bildgen; None: roles are managed in bildgen.
    admin_group: str | None = None
    # Local passwords off: everyone signs in through the provider.
    only: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SingleSignOn | None:
        issuer = environ.get("BILDGEN_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        client_id = environ.get("BILDGEN_OIDC_CLIENT_ID", "").strip()
        secret = environ.get("BILDGEN_OIDC_CLIENT_SECRET", "").strip()
        if not client_id or not secret:
            raise ValueError(
                "BILDGEN_OIDC_ISSUER is set: BILDGEN_OIDC_CLIENT_ID and BILDGEN_OIDC_CLIENT_SECRET are needed too."
            )
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            label=environ.get("BILDGEN_OIDC_LABEL", "").strip() or "single sign-on",
            groups_claim=environ.get("BILDGEN_OIDC_GROUPS_CLAIM", "").strip() or "groups",
            admin_group=environ.get("BILDGEN_OIDC_ADMIN_GROUP", "").strip() or None,
            only=environ.get("BILDGEN_OIDC_ONLY", "") == "1",
        )


@dataclasses.dataclass(frozen=True)
class Identity:
    """A person the provider vouched for."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    preferred_username: str | None
    groups: tuple[str, ...]
    # The ID token itself: the hint for the provider's sign-out (kept sealed, server-side only).
    id_token: str = dataclasses.field(default="", repr=False)


def seal_id_token(secret: bytes, id_token: str) -> str | None:
    """The ID token as the session row keeps it: encrypted with a key for this purpose only."""
    return Fernet(fernet_key(secret, "sso-id-token")).encrypt(id_token.encode()).decode() if id_token else None


def unseal_id_token(secret: bytes, sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        return Fernet(fernet_key(secret, "sso-id-token")).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None  # the server secret changed: the sign-out stays local


@dataclasses.dataclass(frozen=True)
class Flow:
    """What one browser's sign-in must come back with; kept in an encrypted, short-lived cookie."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str

    def seal(self, secret: bytes) -> str:
        return Fernet(fernet_key(secret, "sso-flow")).encrypt(json.dumps(dataclasses.asdict(self)).encode()).decode()

    @classmethod
    def unseal(cls, sealed: str | None, secret: bytes) -> Flow:
        if not sealed:
            raise SingleSignOnError("sso-expired", "no sign-in flow cookie")
        try:
            data = Fernet(fernet_key(secret, "sso-flow")).decrypt(sealed.encode(), ttl=FLOW_LIFETIME_S)
            return cls(**json.loads(data))
        except (InvalidToken, ValueError, TypeError):
            raise SingleSignOnError("sso-expired", "the sign-in flow cookie is expired or altered") from None


@functools.cache
def provider_for(config: SingleSignOn) -> Provider:
    """One per configuration: its discovery document is fetched once."""
    return Provider(config)


class Provider:
    """One OpenID provider: its discovery document and keys, fetched when first needed."""

    def __init__(self, config: SingleSignOn) -> None:
        self.config = config
        self._metadata: dict | None = None

    async def _get_json(self, url: str) -> dict:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                answer = await client.get(url)
                answer.raise_for_status()
                return answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SingleSignOnError("sso-unavailable", f"{url}: {error}") from None

    async def metadata(self) -> dict:
        if self._metadata is None:
            metadata = await self._get_json(f"{self.config.issuer}/.well-known/openid-configuration")
            if metadata.get("issuer", "").rstrip("/") != self.config.issuer:
                raise SingleSignOnError("sso-unavailable", "the discovery document names another issuer")
            self._metadata = metadata
        return self._metadata

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            scope="openid email profile",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT_S,
        )

    async def begin(self, redirect_uri: str, next_path: str) -> tuple[str, Flow]:
        """The provider's sign-in address for this browser, and what it must come back with."""
        metadata = await self.metadata()
        flow = Flow(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            redirect_uri=redirect_uri,
            next_path=next_path,
        )
        async with self._client(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                metadata["authorization_endpoint"], state=flow.state, nonce=flow.nonce, code_verifier=flow.code_verifier
            )
        return url, flow

    async def finish(self, flow: Flow, *, state: str, code: str) -> Identity:
        """Exchange the code and check the ID token; raises SingleSignOnError."""
        if not state or state != flow.state:
            raise SingleSignOnError("sso-expired", "the state does not match this browser's sign-in")
        metadata = await self.metadata()
        try:
            async with self._client(flow.redirect_uri) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=flow.code_verifier, state=state
                )
        except Exception as error:  # Authlib raises its own OAuthError, httpx's errors or ValueError
            raise SingleSignOnError("sso-refused", f"the code exchange failed: {error}") from None
        id_token = token.get("id_token")
        if not id_token:
            raise SingleSignOnError("sso-refused", "the provider sent no ID token")
        keys = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))
        return dataclasses.replace(self._identity(id_token, keys, flow.nonce), id_token=id_token)

    async def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """Where the browser ends its session at the provider too (OpenID Connect RP-Initiated Logout
        1.0), if the provider's discovery document names an `end_session_endpoint`; else None."""
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
            return None
        parts = urlsplit(endpoint)
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self.config.client_id,
            }
        )
        return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))

    def _identity(self, id_token: str, keys: KeySet, nonce: str) -> Identity:
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256", "EdDSA"])
            jwt.JWTClaimsRegistry(
                now=int(time.time()),
                leeway=CLOCK_SKEW_S,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise SingleSignOnError("sso-refused", f"the ID token was refused: {error}") from None
        claims = token.claims
        groups = claims.get(self.config.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        return Identity(
            issuer=self.config.issuer,
            subject=str(claims["sub"]),
            email=claims.get("email") or None,
            email_verified=claims.get("email_verified") is True,
            preferred_username=claims.get("preferred_username") or None,
            groups=tuple(str(group) for group in groups if isinstance(group, str | int)),
        )
