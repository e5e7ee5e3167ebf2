"""The services bildgen talks to, one per provider, with their endpoint, API key and enabled flag.

Each value comes from the first of these that sets it: the Admin area (the database), the
configuration file's `[providers.<name>]` table, the environment (`BILDGEN_<NAME>_BASE_URL`,
`BILDGEN_<NAME>_API_KEY`, `BILDGEN_<NAME>_ENABLED`), the built-in default. The Providers page shows
which one each effective value comes from. Keys are stored encrypted (bildgen/admin/keys.py),
masked in the audit log, and never leave the server.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic
import sqlalchemy
from sqlmodel import select

from bildgen.admin import config_version
from bildgen.admin.keys import KeyBox, KeyUnreadable
from bildgen.auth import audit
from bildgen.i18n import N_, _
from bildgen.inference.profiles import PROVIDERS, ModelProfile, Provider, ProviderConfig
from bildgen.store.db import session, storage_errors
from bildgen.store.models import ProviderSetting, utc_now

logger = logging.getLogger(__name__)

ADMIN_AREA = N_("Admin area")
CONFIG_FILE = N_("configuration file")
DEFAULT = N_("built-in default")
NOT_SET = N_("not set")
FROM_ENVIRONMENT = N_("environment ({name})")
KEY_UNREADABLE = N_(
    "A stored API key cannot be decrypted with the current secret. Enter the key again (see “API keys at rest” in docs/administration.md)."
)
VIA_VARIABLE = N_("configuration file (via {name})")
MAX_KEY_LENGTH = 1000


@dataclasses.dataclass(frozen=True)
class ProviderInfo:
    label: str
    env_prefix: str
    default_base_url: str | None
    help: str
    # A cloud service answers nothing without a key; self-hosted servers usually need none.
    needs_key: bool = False


INFO: dict[Provider, ProviderInfo] = {
    "openai-compatible": ProviderInfo(
        N_("OpenAI-compatible server"),
        "BILDGEN_OPENAI_COMPATIBLE",
        None,
        N_("Your own vLLM-Omni or SGLang server. Each profile usually names its own server's address."),
    ),
    "gateway": ProviderInfo(
        N_("Image gateway"),
        "BILDGEN_GATEWAY",
        None,
        N_("The organisation's gateway in front of several image services."),
    ),
    "automatic1111": ProviderInfo(
        "AUTOMATIC1111 WebUI",
        "BILDGEN_AUTOMATIC1111",
        "http://127.0.0.1:7860",
        N_("A self-hosted Stable Diffusion WebUI started with --api; the key is its --api-auth user:password."),
    ),
    "bfl": ProviderInfo(
        "Black Forest Labs", "BILDGEN_BFL", "https://api.bfl.ai/v1", N_("FLUX models in BFL's cloud."), needs_key=True
    ),
    "openai": ProviderInfo(
        "OpenAI",
        "BILDGEN_OPENAI",
        "https://api.openai.com/v1",
        N_("GPT Image models in OpenAI's cloud."),
        needs_key=True,
    ),
    "automatic1111-upscaler": ProviderInfo(
        N_("AUTOMATIC1111 upscaler"),
        "BILDGEN_AUTOMATIC1111_UPSCALER",
        "http://127.0.0.1:7860",
        N_("The Extras tab of a Stable Diffusion WebUI (or Forge) started with --api: enlarges images."),
    ),
    "upscaler-http": ProviderInfo(
        N_("Upscale service"),
        "BILDGEN_UPSCALER",
        None,
        N_("A self-hosted Real-ESRGAN-style service speaking bildgen's upscale contract: enlarges images."),
    ),
}


class ProviderRefused(ValueError):
    """A value the form sent that cannot be stored; the message names the field and the problem."""


@dataclasses.dataclass(frozen=True)
class Sourced:
    """An effective value and where it comes from (ADMIN_AREA, CONFIG_FILE, "environment (NAME)", …)."""

    value: Any
    source: str


@dataclasses.dataclass(frozen=True)
class ProviderState:
    provider: Provider
    base_url: Sourced
    enabled: Sourced
    # The key itself stays on the server: never in repr, logs or the browser.
    api_key: Sourced = dataclasses.field(repr=False)
    # Set when a key is stored but cannot be decrypted (the server secret changed).
    key_problem: str = ""

    @property
    def label(self) -> str:
        return INFO[self.provider].label

    @property
    def key_set(self) -> bool:
        return bool(self.api_key.value)


def source_text(source: str) -> str:
    """Where a value comes from (a `Sourced.source`), in the language of the user being answered."""
    for template in (FROM_ENVIRONMENT, VIA_VARIABLE):
        prefix = template.removesuffix("{name})")
        if source.startswith(prefix) and source.endswith(")"):
            return _(template, name=source.removeprefix(prefix).removesuffix(")"))
    return _(source)


def env_names(provider: Provider) -> dict[str, str]:
    prefix = INFO[provider].env_prefix
    return {"base_url": f"{prefix}_BASE_URL", "api_key": f"{prefix}_API_KEY", "enabled": f"{prefix}_ENABLED"}


def _flag(raw: str) -> bool | None:
    text = raw.strip().lower()
    return True if text in ("1", "true", "yes", "on") else False if text in ("0", "false", "no", "off") else None


def effective(
    *,
    configured: Mapping[Provider, ProviderConfig],
    stored: Mapping[str, ProviderSetting],
    box: KeyBox,
    environ: Mapping[str, str] = os.environ,
) -> dict[Provider, ProviderState]:
    """Every provider's effective settings: Admin area > configuration file > environment > default."""
    states: dict[Provider, ProviderState] = {}
    for provider in PROVIDERS:
        names, info = env_names(provider), INFO[provider]
        file, row = configured.get(provider), stored.get(provider)

        base_url = Sourced(info.default_base_url, DEFAULT if info.default_base_url else NOT_SET)
        if environ.get(names["base_url"], "").strip():
            base_url = Sourced(environ[names["base_url"]].strip(), FROM_ENVIRONMENT.format(name=names["base_url"]))
        if file is not None and file.base_url is not None:
            base_url = Sourced(str(file.base_url), CONFIG_FILE)
        if row is not None and row.base_url:
            base_url = Sourced(row.base_url, ADMIN_AREA)

        api_key = Sourced(None, NOT_SET)
        if environ.get(names["api_key"], "").strip():
            api_key = Sourced(environ[names["api_key"]].strip(), FROM_ENVIRONMENT.format(name=names["api_key"]))
        if file is not None and file.api_key_env and environ.get(file.api_key_env, "").strip():
            api_key = Sourced(environ[file.api_key_env].strip(), VIA_VARIABLE.format(name=file.api_key_env))
        key_problem = ""
        if row is not None and row.api_key_encrypted:
            try:
                api_key = Sourced(box.decrypt(row.api_key_encrypted), ADMIN_AREA)
            except KeyUnreadable as unreadable:
                key_problem = KEY_UNREADABLE  # translated where shown: this state is cached for every user
                logger.warning("provider %s: %s", provider, unreadable)

        enabled = Sourced(True, DEFAULT)
        if (from_env := _flag(environ.get(names["enabled"], ""))) is not None:
            enabled = Sourced(from_env, FROM_ENVIRONMENT.format(name=names["enabled"]))
        if file is not None and file.enabled is not None:
            enabled = Sourced(file.enabled, CONFIG_FILE)
        if row is not None and row.enabled is not None:
            enabled = Sourced(row.enabled, ADMIN_AREA)

        states[provider] = ProviderState(provider, base_url, enabled, api_key, key_problem)
    return states


def stored_settings(engine: sqlalchemy.Engine) -> dict[str, ProviderSetting]:
    with session(engine) as db:
        return {row.provider: row for row in db.exec(select(ProviderSetting)).all()}


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _clean_url(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    try:
        url = pydantic.TypeAdapter(pydantic.HttpUrl).validate_python(text)
    except pydantic.ValidationError:
        raise ProviderRefused(_("Endpoint: {text} is not an http:// or https:// address.", text=repr(text))) from None
    return str(url).rstrip("/")


def save(
    engine: sqlalchemy.Engine,
    provider: str,
    *,
    box: KeyBox,
    actor_id: str,
    address: str | None = None,
    base_url: Any = UNCHANGED,
    api_key: Any = UNCHANGED,
    enabled: Any = UNCHANGED,
) -> None:
    """Store what the administrator set: an endpoint ("" removes the Admin area's value), an API key
    (None removes it), the enabled flag (None: as the file or environment say). Each changed value is
    audited, a key only as ********."""
    if provider not in PROVIDERS:
        raise ProviderRefused(_("There is no provider called {provider}.", provider=repr(provider)))
    new_url = UNCHANGED if base_url is UNCHANGED else _clean_url(str(base_url))
    if api_key is not UNCHANGED and api_key is not None:
        api_key = str(api_key).strip()
        if not api_key or len(api_key) > MAX_KEY_LENGTH or any(ch.isspace() for ch in api_key):
            raise ProviderRefused(
                _("API key: paste the key exactly, without spaces (at most {max} characters).", max=MAX_KEY_LENGTH)
            )
    with storage_errors(), session(engine) as db:
        row = db.get(ProviderSetting, provider) or ProviderSetting(provider=provider)
        changes: list[tuple[str, Any, Any]] = []
        if new_url is not UNCHANGED and new_url != row.base_url:
            changes.append(("endpoint", row.base_url, new_url))
            row.base_url = new_url
        if api_key is not UNCHANGED:
            had_key = bool(row.api_key_encrypted)
            row.api_key_encrypted = box.encrypt(api_key) if api_key else None
            if had_key or api_key:
                changes.append(("API key", audit.MASKED if had_key else None, audit.MASKED if api_key else None))
        if enabled is not UNCHANGED and enabled != row.enabled:
            changes.append(("enabled", row.enabled, enabled))
            row.enabled = None if enabled is None else bool(enabled)
        if not changes:
            return
        row.updated_at = utc_now()
        db.add(row)
        for field, old, new in changes:
            db.add(
                audit.change(
                    action=audit.PROVIDER_CHANGED,
                    actor_id=actor_id,
                    target=provider,
                    detail=field,
                    old=old,
                    new=new,
                    address=address,
                )
            )
        config_version.bump(db)
        db.commit()


# What a provider needs besides its endpoint to be asked anything, when no profile of it exists yet.
_STAND_IN = {"gateway": {"route": "qwen"}, "bfl": {"served_name": "flux-dev"}}


def probe_profile(state: ProviderState, profiles: Iterable[ModelProfile] = ()) -> ModelProfile | None:
    """A profile standing for the provider itself, to test its endpoint and key: one of its profiles
    (for the model to ask about) pointed at the provider's endpoint, or a stand-in. None without an
    endpoint."""
    if not state.base_url.value:
        return None
    own = next((profile for profile in profiles if profile.provider == state.provider), None)
    if own is not None:
        profile = own.model_copy(update={"base_url": state.base_url.value, "api_key_env": None})
    else:
        profile = ModelProfile(
            label=state.label,
            base_url=state.base_url.value,
            provider=state.provider,
            **_STAND_IN.get(state.provider, {}),
        )
    return profile.with_api_key(state.api_key.value)


def reencrypt_keys(engine: sqlalchemy.Engine, box: KeyBox) -> tuple[int, list[str]]:
    """Encrypt every stored key with the current secret (after a rotation); how many were rewritten,
    and the providers whose key no configured secret can read (to be entered again)."""
    rewritten, unreadable = 0, []
    with storage_errors(), session(engine) as db:
        for row in db.exec(select(ProviderSetting)).all():
            if not row.api_key_encrypted:
                continue
            try:
                row.api_key_encrypted = box.rotate(row.api_key_encrypted)
            except KeyUnreadable:
                unreadable.append(row.provider)
                continue
            db.add(row)
            rewritten += 1
        db.commit()
    return rewritten, unreadable
