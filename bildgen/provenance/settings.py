"""The administrator's provenance settings, stored like the other Admin settings (AdminSetting rows,
one audit entry per change):

- the organisation's name (XMP credit line and Content Credentials), empty = none;
- what the credentials say about the person: nothing, or the username;
- whether the credentials include the prompts (the recipe chunks in the PNG always do);
- whether people may download an image without metadata (each such download is audited);
- the organisation's signing certificate and key (the key encrypted at rest); none = the test
  certificate made on first start.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy
from sqlmodel import select

from bildgen.admin import config_version
from bildgen.admin.keys import KeyBox
from bildgen.auth import audit
from bildgen.i18n import _
from bildgen.provenance.credentials import CredentialsRefused, SigningIdentity, identity_from_pem
from bildgen.provenance.signing import check_identity
from bildgen.store.db import session, storage_errors
from bildgen.store.models import AdminSetting, utc_now

PREFIX = "provenance_"
CERTIFICATE_KEY = PREFIX + "certificate"
SIGNING_KEY_KEY = PREFIX + "signing_key"  # Fernet token (bildgen/admin/keys.py)
MAX_ORGANISATION = 120
Person = Literal["nothing", "username"]


class ProvenanceRefused(ValueError):
    """A value that cannot be stored; the message says why."""


@dataclasses.dataclass(frozen=True)
class ProvenanceSettings:
    organisation: str = ""
    person: Person = "nothing"
    include_prompts: bool = False
    allow_plain_download: bool = False


FIELDS = tuple(field.name for field in dataclasses.fields(ProvenanceSettings))


def _stored(engine: sqlalchemy.Engine) -> dict[str, str]:
    with session(engine) as db:
        rows = db.exec(select(AdminSetting).where(AdminSetting.key.startswith(PREFIX))).all()  # type: ignore[attr-defined]
        return {row.key: row.value for row in rows}


def read(engine: sqlalchemy.Engine) -> ProvenanceSettings:
    stored = _stored(engine)
    values: dict[str, Any] = {}
    for name in FIELDS:
        if PREFIX + name in stored:
            try:
                values[name] = json.loads(stored[PREFIX + name])
            except ValueError:
                continue
    return dataclasses.replace(ProvenanceSettings(), **values)


def organisation_identity(engine: sqlalchemy.Engine, keys: KeyBox) -> SigningIdentity | None:
    """The organisation's certificate and key, or None when none is set (the test certificate signs)."""
    stored = _stored(engine)
    if CERTIFICATE_KEY not in stored or SIGNING_KEY_KEY not in stored:
        return None
    return identity_from_pem(json.loads(stored[CERTIFICATE_KEY]), keys.decrypt(json.loads(stored[SIGNING_KEY_KEY])))


def _validated(changes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in FIELDS:
            raise ProvenanceRefused(_("There is no setting called {name}.", name=repr(name)))
        if name == "organisation":
            text = " ".join(str(value).split())
            if len(text) > MAX_ORGANISATION:
                raise ProvenanceRefused(
                    _("The organisation's name may have at most {max} characters.", max=MAX_ORGANISATION)
                )
            clean[name] = text
        elif name == "person":
            if value not in ("nothing", "username"):
                raise ProvenanceRefused(_("The credentials name the person by username or not at all."))
            clean[name] = value
        else:
            clean[name] = bool(value)
    return clean


def update(
    engine: sqlalchemy.Engine, changes: Mapping[str, Any], *, actor_id: str, address: str | None = None
) -> ProvenanceSettings:
    """Store the changed settings with one audit entry per changed value; returns the settings now."""
    clean = _validated(changes)
    with storage_errors(), session(engine) as db:
        rows = {row.key: row for row in db.exec(select(AdminSetting).where(AdminSetting.key.startswith(PREFIX))).all()}  # type: ignore[attr-defined]
        before = read(engine)
        changed = False
        for name, value in clean.items():
            old = getattr(before, name)
            if old == value:
                continue
            changed = True
            row = rows.get(PREFIX + name) or AdminSetting(key=PREFIX + name, value="")
            row.value, row.updated_at = json.dumps(value), utc_now()
            db.add(row)
            db.add(
                audit.change(
                    action=audit.SETTINGS_CHANGED,
                    actor_id=actor_id,
                    target=PREFIX + name,
                    old=old,
                    new=value,
                    address=address,
                )
            )
        if changed:
            config_version.bump(db)
        db.commit()
    return dataclasses.replace(before, **clean)


def set_signing_credentials(
    engine: sqlalchemy.Engine,
    keys: KeyBox,
    certificate_chain: str,
    private_key: str,
    *,
    actor_id: str,
    address: str | None = None,
) -> SigningIdentity:
    """Store the organisation's certificate and (encrypted) key after checking that they sign."""
    try:
        identity = identity_from_pem(certificate_chain, private_key)
    except CredentialsRefused as error:
        raise ProvenanceRefused(str(error)) from None
    problem = check_identity(identity)
    if problem is not None:
        # Typically a self-signed certificate, or one without the key usage C2PA asks for.
        raise ProvenanceRefused(_("The C2PA library refuses to sign with this certificate: {problem}", problem=problem))
    values = {
        CERTIFICATE_KEY: identity.certificate_chain.decode(),
        SIGNING_KEY_KEY: keys.encrypt(identity.private_key.decode()),
    }
    with storage_errors(), session(engine) as db:
        for key, value in values.items():
            row = db.get(AdminSetting, key) or AdminSetting(key=key, value="")
            row.value, row.updated_at = json.dumps(value), utc_now()
            db.add(row)
        db.add(
            audit.change(
                action=audit.SETTINGS_CHANGED,
                actor_id=actor_id,
                target=CERTIFICATE_KEY,
                new=identity.signer_name,
                address=address,
            )
        )
        config_version.bump(db)
        db.commit()
    return identity


def reencrypt_signing_key(engine: sqlalchemy.Engine, keys: KeyBox) -> bool:
    """The organisation's signing key encrypted with the current secret (after a rotation); False
    when there is none. Raises KeyUnreadable when no configured secret reads it."""
    with session(engine) as db:
        row = db.get(AdminSetting, SIGNING_KEY_KEY)
        if row is None:
            return False
        row.value, row.updated_at = json.dumps(keys.rotate(json.loads(row.value))), utc_now()
        db.add(row)
        db.commit()
    return True
