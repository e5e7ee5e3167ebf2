"""Everything bildgen reads from the environment, read once and validated at start."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from bildgen.auth.single_sign_on import SingleSignOn


class SettingsError(ValueError):
    """A setting that makes starting pointless; the message names the setting and the problem."""


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    port: int
    config_path: Path | None
    demo_latency_s: float
    signup_open: bool
    admin_username: str | None
    # The origins allowed to open the websocket and post to the sign-in routes: the app's own.
    allowed_origins: tuple[str, ...]
    cookie_secure: bool
    # How many reverse proxies in front of bildgen append to X-Forwarded-For; 0: ignore the header.
    trusted_proxy_hops: int = 0
    # Where Reflex keeps the browser tabs' state (REFLEX_REDIS_URL); None: in each worker's memory.
    redis_url: str | None = None
    # The bearer token Prometheus sends for /metrics; None: /metrics is off (404).
    metrics_token: str | None = dataclasses.field(default=None, repr=False)
    # On SIGTERM, how long a worker lets its running images finish before it hands the rest back to
    # the queue (docs/queue.md); the systemd unit's TimeoutStopSec leaves room for it.
    drain_s: float = 60.0
    # The organisation's OpenID provider (BILDGEN_OIDC_*); None: local accounts only.
    sso: SingleSignOn | None = None

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def references_dir(self) -> Path:
        return self.data_dir / "references"

    @property
    def thumbnails_dir(self) -> Path:
        return self.data_dir / "thumbnails"


def _number(environ: Mapping[str, str], name: str, default: str, kind: type) -> float | int:
    raw = environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind.__name__}.") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative.")
    return value


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    data_dir = Path(environ.get("BILDGEN_DATA_DIR", "data")).resolve()
    config = environ.get("BILDGEN_CONFIG", "").strip()
    port = int(_number(environ, "BILDGEN_PORT", "3000", int))
    signup = environ.get("BILDGEN_SIGNUP", "open").strip().lower()
    if signup not in ("open", "closed"):
        raise SettingsError(f"BILDGEN_SIGNUP={signup!r}: use 'open' or 'closed'.")
    origins = tuple(
        origin.strip().rstrip("/")
        for origin in environ.get("BILDGEN_ORIGINS", f"http://localhost:{port},http://127.0.0.1:{port}").split(",")
        if origin.strip()
    )
    if not origins:
        raise SettingsError(
            "BILDGEN_ORIGINS names no origin: give the address users open, e.g. https://bildgen.example.org."
        )
    return Settings(
        data_dir=data_dir,
        # REFLEX_DB_URL is what `reflex db` reads too, so both always agree on the database.
        db_url=environ.get("REFLEX_DB_URL") or f"sqlite:///{data_dir / 'bildgen.db'}",
        port=port,
        config_path=Path(config).resolve() if config else None,
        demo_latency_s=float(_number(environ, "BILDGEN_DEMO_LATENCY", "1.5", float)),
        signup_open=signup == "open",
        admin_username=environ.get("BILDGEN_ADMIN", "").strip() or None,
        allowed_origins=origins,
        cookie_secure=environ.get("BILDGEN_COOKIE_SECURE", "") == "1",
        trusted_proxy_hops=int(_number(environ, "BILDGEN_TRUSTED_PROXY_HOPS", "0", int)),
        redis_url=environ.get("REFLEX_REDIS_URL", "").strip() or None,
        metrics_token=environ.get("BILDGEN_METRICS_TOKEN", "").strip() or None,
        drain_s=float(_number(environ, "BILDGEN_DRAIN_SECONDS", "60", float)),
        sso=_single_sign_on(environ),
    )


def _single_sign_on(environ: Mapping[str, str]) -> SingleSignOn | None:
    try:
        return SingleSignOn.from_environment(environ)
    except ValueError as error:
        raise SettingsError(str(error)) from None
