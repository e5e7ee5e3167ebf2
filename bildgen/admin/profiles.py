"""Model profiles made and changed in the Admin area, stored as validated JSON (StoredProfile rows).

A profile from the configuration file can be changed too: only the keys the administrator changed
are stored, over the file's values, and "Back to the file's version" removes them again. Every
change is validated against ModelProfile and the whole catalog before it is stored (a message names
the bad key), audited with its old and new value, and bumps the configuration version. Profiles hold
no secrets: a key is the provider's, or a profile names the environment variable that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic
import sqlalchemy
from slugify import slugify
from sqlmodel import func, select

from bildgen.admin import config_version
from bildgen.admin.live import FROM_ADMIN, LiveConfig, file_config, problem_text, resolve_profile
from bildgen.auth import audit
from bildgen.i18n import N_, _
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.store.db import session, storage_errors
from bildgen.store.models import StoredProfile, utc_now

# What the profile form edits; every other ModelProfile key goes in the advanced JSON.
FORM_KEYS = (
    "label",
    "description",
    "provider",
    "served_name",
    "base_url",
    "family",
    "max_references",
    "sizes",
    "default_size",
    "default_quality",
    "cost_per_image",
    "enabled",
)
# Every other profile key, by its name and by the TOML's name where that differs ("capabilities").
ADVANCED_KEYS = tuple(
    key
    for name, field in ModelProfile.model_fields.items()
    if name not in (*FORM_KEYS, "id")
    for key in dict.fromkeys((name, field.alias or name))
)
MAX_ID = 60


class ProfileRefused(ValueError):
    """A profile that cannot be stored; the message names the key and the problem."""


def advanced_config(config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key in ADVANCED_KEYS}


def parse_advanced(text: str) -> dict[str, Any]:
    """The advanced JSON configuration typed in the form, checked for keys the form itself sets."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ProfileRefused(_("Advanced configuration: not valid JSON ({error}).", error=error)) from None
    if not isinstance(value, dict):
        raise ProfileRefused(
            _("Advanced configuration: write one JSON object, e.g. {example}.", example='{"steps": 30}')
        )
    for key in value:
        if key in FORM_KEYS or key == "id":
            raise ProfileRefused(_("Advanced configuration: {key}: set it in the form, not here.", key=key))
        if key not in ADVANCED_KEYS:
            known = ", ".join(ADVANCED_KEYS)
            raise ProfileRefused(
                _(
                    "Advanced configuration: {key}: bildgen knows no such setting (known: {known}).",
                    key=key,
                    known=known,
                )
            )
    return value


def _text(form: Mapping[str, Any], name: str) -> str | None:
    text = str(form.get(name) or "").strip()
    return text or None


def _number(form: Mapping[str, Any], name: str, kind: type, problem: str) -> int | float | None:
    text = _text(form, name)
    if text is None:
        return None
    try:
        return kind(text.replace(",", ".") if kind is float else text)
    except ValueError:
        raise ProfileRefused(f"{name}: {_(problem)}") from None


def config_from_form(form: Mapping[str, Any], *, enabled: bool = True) -> dict[str, Any]:
    """The profile form's fields (text, as typed) and its advanced JSON as one configuration."""
    sizes = [size for size in str(form.get("sizes") or "").replace(",", " ").split() if size]
    config: dict[str, Any] = {
        "label": _text(form, "label"),
        "description": _text(form, "description"),
        "provider": _text(form, "provider"),
        "served_name": _text(form, "served_name"),
        "base_url": _text(form, "base_url"),
        "family": _text(form, "family"),
        "max_references": _number(form, "max_references", int, N_("a whole number from 0 to 16")),
        "sizes": sizes or None,
        "default_size": _text(form, "default_size"),
        "default_quality": _text(form, "default_quality"),
        "cost_per_image": _number(form, "cost_per_image", float, N_("a number such as 0.04")),
        "enabled": enabled,
    }
    if config["label"] is None:
        raise ProfileRefused(_("label: give the profile a name users recognise, e.g. Fast draft."))
    advanced = parse_advanced(str(form.get("advanced") or ""))
    return {key: value for key, value in {**config, **advanced}.items() if value is not None}


def _checked(live: LiveConfig, profile_id: str, config: dict[str, Any]) -> ModelProfile:
    """The profile as it would be used, checked on its own and within the catalog."""
    clean = {key: value for key, value in config.items() if value is not None}
    try:
        profile = resolve_profile(profile_id, clean, live.providers)
    except ValueError as error:
        raise ProfileRefused(str(error)) from None
    models = {key: value for key, value in live.catalog.models.items() if key != profile_id}
    models[profile_id] = profile
    try:
        Catalog(default_model=live.catalog.default_model, models=models, providers=live.base.providers)
    except pydantic.ValidationError as error:
        raise ProfileRefused(problem_text(error)) from None
    return profile


def _new_id(live: LiveConfig, label: str) -> str:
    stem = slugify(label, max_length=MAX_ID - 4) or "profile"
    taken = {entry.id for entry in live.entries}
    candidate, number = stem, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


def create(
    engine: sqlalchemy.Engine, live: LiveConfig, config: dict[str, Any], *, actor_id: str, address: str | None = None
) -> str:
    """Store a new profile; its id (made from the label)."""
    profile_id = _new_id(live, str(config.get("label") or ""))
    clean = {key: value for key, value in config.items() if value is not None}
    _checked(live, profile_id, clean)
    with storage_errors(), session(engine) as db:
        last = db.exec(select(func.max(StoredProfile.position))).one()
        position = max(last if last is not None else 0, len(live.entries)) + 1
        db.add(StoredProfile(id=profile_id, config=json.dumps(clean), position=position))
        db.add(
            audit.change(
                action=audit.PROFILE_CHANGED,
                actor_id=actor_id,
                target=profile_id,
                detail=N_("created"),
                new=clean,
                address=address,
            )
        )
        config_version.bump(db)
        db.commit()
    return profile_id


def update(
    engine: sqlalchemy.Engine,
    live: LiveConfig,
    profile_id: str,
    config: dict[str, Any],
    *,
    actor_id: str,
    address: str | None = None,
    detail: str = "changed",
) -> None:
    """Store a profile's new configuration. For a file's profile only what differs from the file is stored."""
    entry = live.entry(profile_id)
    if entry is None:
        raise ProfileRefused(_("That profile does not exist (any more)."))
    clean = {key: value for key, value in config.items() if value is not None}
    _checked(live, profile_id, clean)
    file_profile = live.base.models.get(profile_id)
    if file_profile is not None:
        in_file = file_config(file_profile)
        stored = {key: value for key, value in clean.items() if in_file.get(key) != value}
        dropped = [key for key in in_file if key not in clean]
        if dropped:
            raise ProfileRefused(
                _(
                    "{keys}: set in the configuration file; change the value instead of removing it.",
                    keys=", ".join(dropped),
                )
            )
    else:
        stored = clean
    if clean == entry.config:
        return
    changed = sorted(key for key in {*clean, *entry.config} if clean.get(key) != entry.config.get(key))
    before = {key: entry.config.get(key, _default(key)) for key in changed}
    after = {key: clean.get(key, _default(key)) for key in changed}
    with storage_errors(), session(engine) as db:
        row = db.get(StoredProfile, profile_id) or StoredProfile(
            id=profile_id, config="{}", position=_position_of(live, profile_id)
        )
        row.config, row.updated_at = json.dumps(stored), utc_now()
        db.add(row)
        db.add(
            audit.change(
                action=audit.PROFILE_CHANGED,
                actor_id=actor_id,
                target=profile_id,
                detail=detail,
                old=before,
                new=after,
                address=address,
            )
        )
        config_version.bump(db)
        db.commit()


def set_enabled(
    engine: sqlalchemy.Engine,
    live: LiveConfig,
    profile_id: str,
    enabled: bool,
    *,
    actor_id: str,
    address: str | None = None,
) -> None:
    entry = live.entry(profile_id)
    if entry is None:
        raise ProfileRefused(_("That profile does not exist (any more)."))
    update(
        engine,
        live,
        profile_id,
        {**entry.config, "enabled": bool(enabled)},
        actor_id=actor_id,
        address=address,
        detail=N_("enabled") if enabled else N_("disabled"),
    )


def _default(key: str) -> Any:
    field = ModelProfile.model_fields.get(key)
    return None if field is None or field.is_required() else field.default


def _position_of(live: LiveConfig, profile_id: str) -> int:
    return next((index for index, entry in enumerate(live.entries) if entry.id == profile_id), len(live.entries))


def move(
    engine: sqlalchemy.Engine,
    live: LiveConfig,
    profile_id: str,
    steps: int,
    *,
    actor_id: str,
    address: str | None = None,
) -> None:
    """Move a profile up (-1) or down (+1) in the list users choose from."""
    order = [entry.id for entry in live.entries]
    if profile_id not in order:
        raise ProfileRefused(_("That profile does not exist (any more)."))
    old = order.index(profile_id)
    new = max(0, min(len(order) - 1, old + steps))
    if new == old:
        return
    order.insert(new, order.pop(old))
    with storage_errors(), session(engine) as db:
        rows = {row.id: row for row in db.exec(select(StoredProfile)).all()}
        for position, key in enumerate(order):
            row = rows.get(key) or StoredProfile(id=key, config="{}")
            row.position = position
            db.add(row)
        db.add(
            audit.change(
                action=audit.PROFILE_CHANGED,
                actor_id=actor_id,
                target=profile_id,
                detail=N_("moved"),
                old=old + 1,
                new=new + 1,
                address=address,
            )
        )
        config_version.bump(db)
        db.commit()


def remove(
    engine: sqlalchemy.Engine, live: LiveConfig, profile_id: str, *, actor_id: str, address: str | None = None
) -> None:
    """Delete a profile made in the Admin area, or take a file's profile back to the file's version."""
    entry = live.entry(profile_id)
    if entry is None:
        raise ProfileRefused(_("That profile does not exist (any more)."))
    if entry.origin == FROM_ADMIN:
        users = [other.id for other in live.entries if other.config.get("edit_with") == profile_id]
        if users:
            raise ProfileRefused(
                _(
                    "{profiles} hand their edits to this profile (edit_with): change them first.",
                    profiles=", ".join(users),
                )
            )
    with storage_errors(), session(engine) as db:
        row = db.get(StoredProfile, profile_id)
        if row is None:
            return
        if entry.origin == FROM_ADMIN:
            db.delete(row)
            detail, new = "deleted", None
        else:
            row.config = "{}"  # its place in the list stays
            db.add(row)
            detail, new = "back to the configuration file's version", file_config(live.base.models[profile_id])
        db.add(
            audit.change(
                action=audit.PROFILE_CHANGED,
                actor_id=actor_id,
                target=profile_id,
                detail=detail,
                old=entry.config,
                new=new,
                address=address,
            )
        )
        config_version.bump(db)
        db.commit()
