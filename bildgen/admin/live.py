"""The configuration every part of bildgen uses now: the configuration file's profiles and providers
merged with what administrators set in the Admin area, and the general settings.

Each process keeps one `ConfigSource`. Reading it costs no I/O (pages and the job runner read it on
the event loop); it rechecks the configuration version row (bildgen/admin/config_version.py) in a
background thread at most every RECHECK_S seconds, so a change made in another worker process
reaches this one within a few seconds. The process that made a change, and the queue's admission
check, call `refresh()` and see it at once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
import sqlalchemy
from sqlmodel import select

from bildgen.admin import config_version, providers
from bildgen.admin import settings as admin_settings
from bildgen.admin.keys import KeyBox
from bildgen.i18n import N_
from bildgen.inference.profiles import Catalog, ModelProfile, Provider
from bildgen.store.db import session
from bildgen.store.models import AdminSetting, ProviderSetting, StoredProfile

logger = logging.getLogger(__name__)

RECHECK_S = 2.0
FROM_FILE = N_("configuration file")
CHANGED_FILE = N_("configuration file, changed in the Admin area")
FROM_ADMIN = N_("Admin area")
# Without a configuration file the built-in demo's profiles stand where the file's would.
FROM_DEMO = N_("built-in demo")
CHANGED_DEMO = N_("built-in demo, changed in the Admin area")
CHANGED = (CHANGED_FILE, CHANGED_DEMO)


@dataclasses.dataclass(frozen=True)
class ProfileEntry:
    """One profile as the Profiles page lists it, usable or not."""

    id: str
    # Where it is defined: FROM_FILE, CHANGED_FILE, FROM_DEMO, CHANGED_DEMO or FROM_ADMIN.
    origin: str
    # What the file and the Admin area set, before the provider's endpoint and key are filled in.
    config: dict[str, Any]
    # The profile as the catalog has it; None when it cannot be used (see `problem`).
    profile: ModelProfile | None
    problem: str = ""

    @property
    def from_file(self) -> bool:
        return self.origin != FROM_ADMIN


@dataclasses.dataclass(frozen=True)
class LiveConfig:
    version: int
    catalog: Catalog
    general: admin_settings.GeneralSettings
    providers: dict[Provider, providers.ProviderState]
    entries: list[ProfileEntry]
    # The file's own profiles (the demo renderer's without a file), as configured there.
    base: Catalog

    def entry(self, profile_id: str) -> ProfileEntry | None:
        return next((entry for entry in self.entries if entry.id == profile_id), None)


def problem_text(error: pydantic.ValidationError, prefix: str = "") -> str:
    """A validation error as a sentence naming each bad key."""
    parts = []
    for issue in error.errors():
        key = ".".join(str(part) for part in issue["loc"]) or "(profile)"
        message = issue["msg"].removeprefix("Value error, ")
        if issue["type"] == "extra_forbidden":
            message = "bildgen knows no such setting"
        parts.append(f"{prefix}{key}: {message}")
    return "; ".join(parts)


def file_config(profile: ModelProfile) -> dict[str, Any]:
    """What the configuration file sets for a profile (its keys only, not the defaults)."""
    config = profile.model_dump(mode="json", exclude_unset=True)
    config.pop("id", None)
    return config


def resolve_profile(
    profile_id: str, config: Mapping[str, Any], states: Mapping[Provider, providers.ProviderState]
) -> ModelProfile:
    """The profile with its provider's endpoint and key filled in; raises ValueError with a message."""
    values = dict(config)
    provider = values.get("provider", "openai-compatible")
    state = states.get(provider)
    if state is not None and not values.get("base_url"):
        if not state.base_url.value:
            raise ValueError(f"base_url: no endpoint; set one here or for {state.label} on the Providers page")
        values["base_url"] = state.base_url.value
    try:
        profile = ModelProfile.model_validate({**values, "id": profile_id})
    except pydantic.ValidationError as error:
        raise ValueError(problem_text(error)) from None
    if state is None:
        return profile
    if not profile.api_key_env:
        profile = profile.with_api_key(state.api_key.value)
    if not state.enabled.value and profile.enabled:
        # Not offered while its provider is off; its own enabled flag is kept for when it is back on.
        profile = profile.model_copy(update={"enabled": False})
    return profile


def build(
    base: Catalog,
    *,
    stored_profiles: Sequence[StoredProfile],
    stored_providers: Mapping[str, ProviderSetting],
    stored_settings: Mapping[str, str],
    box: KeyBox,
    environ: Mapping[str, str] = os.environ,
    version: int = 0,
    demo: bool = False,
) -> LiveConfig:
    """Merge the file's catalog (or, with `demo`, the built-in demo's) with the Admin area's rows (pure: no I/O)."""
    states = providers.effective(configured=base.providers, stored=stored_providers, box=box, environ=environ)
    rows = {row.id: row for row in stored_profiles}
    order: list[tuple[int, int, str]] = []
    configs: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, (profile_id, profile) in enumerate(base.models.items()):
        row = rows.get(profile_id)
        overlay = _decoded(row)
        origin = (CHANGED_DEMO if overlay else FROM_DEMO) if demo else (CHANGED_FILE if overlay else FROM_FILE)
        configs[profile_id] = (origin, {**file_config(profile), **overlay})
        order.append((row.position if row else index, index, profile_id))
    for index, row in enumerate(stored_profiles, start=len(base.models)):
        if row.id not in base.models:
            configs[row.id] = (FROM_ADMIN, _decoded(row))
            order.append((row.position, index, row.id))
    entries: list[ProfileEntry] = []
    for _, _, profile_id in sorted(order):
        origin, config = configs[profile_id]
        try:
            profile, problem = resolve_profile(profile_id, config, states), ""
        except ValueError as error:
            profile, problem = None, str(error)
        if profile is not None and not profile.enabled and not problem:
            state = states.get(profile.provider)
            if state is not None and not state.enabled.value:
                problem = f"{state.label} is switched off on the Providers page."
        entries.append(ProfileEntry(profile_id, origin, config, profile, problem))
    entries = _drop_unresolved_editors(entries)
    catalog = _catalog(base, entries)
    general = admin_settings.merged(admin_settings.defaults(environ), stored_settings)
    return LiveConfig(version, catalog, general, states, entries, base)


def _decoded(row: StoredProfile | None) -> dict[str, Any]:
    if row is None:
        return {}
    try:
        value = json.loads(row.config)
    except ValueError:
        logger.warning("stored profile %s is not valid JSON; ignored", row.id)
        return {}
    return value if isinstance(value, dict) else {}


def _drop_unresolved_editors(entries: list[ProfileEntry]) -> list[ProfileEntry]:
    usable = {entry.id for entry in entries if entry.profile is not None}
    fixed = []
    for entry in entries:
        editor = entry.profile.edit_with if entry.profile else None
        if editor and editor not in usable:
            entry = dataclasses.replace(entry, profile=None, problem=f"edit_with: {editor!r} is not a usable profile")
        fixed.append(entry)
    return fixed


def _catalog(base: Catalog, entries: list[ProfileEntry]) -> Catalog:
    models = {entry.id: entry.profile for entry in entries if entry.profile is not None}
    if not models:
        return base
    default = base.default_model if base.default_model in models else next(iter(models))
    try:
        return Catalog(
            default_model=default,
            models=models,
            providers=base.providers,
            default_upscaler=base.default_upscaler if base.default_upscaler in models else None,
            # Text models (prompt help) come from the file only.
            default_text_model=base.default_text_model,
            text_models=base.text_models,
        )
    except pydantic.ValidationError as error:
        logger.error("the merged catalog is not valid (%s); using the configuration file's", problem_text(error))
        return base


def read(
    engine: sqlalchemy.Engine,
    base: Catalog,
    box: KeyBox,
    environ: Mapping[str, str] = os.environ,
    *,
    demo: bool = False,
) -> LiveConfig:
    version = config_version.current(engine)
    with session(engine) as db:
        stored_profiles = list(db.exec(select(StoredProfile)).all())
        stored_providers = {row.provider: row for row in db.exec(select(ProviderSetting)).all()}
        stored_settings = {row.key: row.value for row in db.exec(select(AdminSetting)).all()}
    return build(
        base,
        stored_profiles=stored_profiles,
        stored_providers=stored_providers,
        stored_settings=stored_settings,
        box=box,
        environ=environ,
        version=version,
        demo=demo,
    )


class ConfigSource:
    """This process's cached LiveConfig (see the module's docstring)."""

    def __init__(
        self,
        engine: sqlalchemy.Engine,
        base: Catalog,
        box: KeyBox,
        *,
        environ: Mapping[str, str] = os.environ,
        recheck_s: float = RECHECK_S,
        demo: bool = False,
    ) -> None:
        self.engine, self.base, self.box, self.environ = engine, base, box, environ
        self.demo = demo  # the base is the built-in demo's catalog, not a configuration file
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._checking = False
        self._checked_at = 0.0
        self._live: LiveConfig | None = None
        _sources[engine] = self

    def __repr__(self) -> str:
        return f"ConfigSource(version={self._live.version if self._live else None})"

    def refresh(self) -> LiveConfig:
        """The configuration as the database has it now (blocking: call it off the event loop)."""
        with self._lock:
            version = config_version.current(self.engine)
            if self._live is None or self._live.version != version:
                self._live = read(self.engine, self.base, self.box, self.environ, demo=self.demo)
            self._checked_at = time.monotonic()
            return self._live

    def current(self) -> LiveConfig:
        """The cached configuration, without I/O; a background thread rechecks it when it is due."""
        live = self._live
        if live is None:
            return self.refresh()  # only before the first refresh, which start-up does off the loop
        if time.monotonic() - self._checked_at >= self.recheck_s and not self._checking:
            self._checking = True
            threading.Thread(target=self._recheck, name="bildgen-config-recheck", daemon=True).start()
        return live

    @property
    def catalog(self) -> Catalog:
        return self.current().catalog

    def _recheck(self) -> None:
        try:
            self.refresh()
        except Exception as error:  # a database that is down: keep the last configuration, try later
            logger.warning("rechecking the configuration failed: %s", type(error).__name__)
            self._checked_at = time.monotonic()
        finally:
            self._checking = False


_sources: weakref.WeakKeyDictionary[sqlalchemy.Engine, ConfigSource] = weakref.WeakKeyDictionary()


def source_for(engine: sqlalchemy.Engine) -> ConfigSource | None:
    """The process's ConfigSource of this database (None in tests that run the queue without one)."""
    return _sources.get(engine)
