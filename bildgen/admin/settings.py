"""The Admin area's general settings: the master switch for image generation and its message, whether
quotas apply to administrators, the currency of estimated costs, and whether view-only links for
people without an account may be made.

A value set in the Admin area is stored in the database and wins over the environment
(`BILDGEN_IMAGE_ENABLED`, like the other `BILDGEN_*` variables read at start), which wins over the
built-in default.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy
from sqlmodel import select

from bildgen.admin import config_version
from bildgen.auth import audit
from bildgen.i18n import _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import AdminSetting, utc_now

ENABLED_ENV = "BILDGEN_IMAGE_ENABLED"
DEFAULT_PAUSED_MESSAGE = "Image generation is switched off for now. Please try again later."  # an editable setting
MAX_MESSAGE = 300
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingsRefused(ValueError):
    """A value the form sent that cannot be stored; the message says why."""


@dataclasses.dataclass(frozen=True)
class GeneralSettings:
    generation_enabled: bool = True
    # What users see instead of Generate while generation is off.
    paused_message: str = DEFAULT_PAUSED_MESSAGE
    # Quotas apply to everyone unless this is set.
    admins_exempt: bool = False
    # Shown with estimated costs ("USD", "EUR", "credits"…).
    currency: str = "USD"
    # Owners may make expiring view-only links for people without an account (bildgen/boards/links.py).
    view_links_enabled: bool = False


FIELDS = tuple(field.name for field in dataclasses.fields(GeneralSettings))


def flag(environ: Mapping[str, str], name: str) -> bool | None:
    """A yes/no environment variable; None when unset or not understood."""
    raw = environ.get(name, "").strip().lower()
    return True if raw in _TRUE else False if raw in _FALSE else None


def defaults(environ: Mapping[str, str] = os.environ) -> GeneralSettings:
    enabled = flag(environ, ENABLED_ENV)
    return GeneralSettings(generation_enabled=True if enabled is None else enabled)


def read(engine: sqlalchemy.Engine, environ: Mapping[str, str] = os.environ) -> GeneralSettings:
    with session(engine) as db:
        stored = {row.key: row.value for row in db.exec(select(AdminSetting)).all()}
    return merged(defaults(environ), stored)


def merged(base: GeneralSettings, stored: Mapping[str, str]) -> GeneralSettings:
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name in stored:
            try:
                values[name] = json.loads(stored[name])
            except ValueError:
                continue  # a row nobody could have written through bildgen: the default stands
    return dataclasses.replace(base, **values)


def _validated(changes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in FIELDS:
            raise SettingsRefused(_("There is no setting called {name}.", name=repr(name)))
        if name in ("generation_enabled", "admins_exempt", "view_links_enabled"):
            clean[name] = bool(value)
        elif name == "paused_message":
            text = " ".join(str(value).split())
            if len(text) > MAX_MESSAGE:
                raise SettingsRefused(_("The message may have at most {max} characters.", max=MAX_MESSAGE))
            clean[name] = text or DEFAULT_PAUSED_MESSAGE
        elif name == "currency":
            text = str(value).strip()
            if not 1 <= len(text) <= 12:
                raise SettingsRefused(_("The currency is 1 to 12 characters, e.g. USD, EUR or credits."))
            clean[name] = text
    return clean


def update(
    engine: sqlalchemy.Engine,
    changes: Mapping[str, Any],
    *,
    actor_id: str,
    address: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> GeneralSettings:
    """Store the changed settings with one audit entry per changed value; returns the settings now."""
    clean = _validated(changes)
    with storage_errors(), session(engine) as db:
        stored = {row.key: row for row in db.exec(select(AdminSetting)).all()}
        before = merged(defaults(environ), {key: row.value for key, row in stored.items()})
        changed = False
        for name, value in clean.items():
            old = getattr(before, name)
            if old == value:
                continue
            changed = True
            row = stored.get(name) or AdminSetting(key=name, value="")
            row.value, row.updated_at = json.dumps(value), utc_now()
            db.add(row)
            db.add(
                audit.change(
                    action=audit.SETTINGS_CHANGED, actor_id=actor_id, target=name, old=old, new=value, address=address
                )
            )
        if changed:
            config_version.bump(db)
        db.commit()
    return dataclasses.replace(before, **clean)
