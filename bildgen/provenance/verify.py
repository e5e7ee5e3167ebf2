"""Checking an image's Content Credentials with the c2pa library, for the lightbox.

The verdict is plain data (no bytes): whether there are credentials, whether they hold (the signature
and the hash of every byte they cover), who signed and what made the image. A file changed after
signing fails; a file whose credentials were removed has none (its XMP or recipe may still say it
came from bildgen, which is what "stripped" means here).
"""

from __future__ import annotations

import dataclasses
import enum
import io
import json
from pathlib import Path
from typing import Any

import c2pa

from bildgen.i18n import _
from bildgen.images.decoding import sniff_format
from bildgen.provenance.credentials import TEST_LABEL
from bildgen.provenance.signing import GENERATION_ASSERTION
from bildgen.provenance.xmp import DIGITAL_SOURCE_TYPES


class State(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NONE = "none"  # no credentials, and nothing says there were any
    STRIPPED = "stripped"  # no credentials, though the file says it was generated or signed


@dataclasses.dataclass(frozen=True)
class Verdict:
    state: State
    signer: str | None = None
    made_with: str | None = None
    test_certificate: bool = False

    def to_json(self) -> str:
        """At most ~500 characters (the reference's column takes 600)."""
        fields = dataclasses.asdict(self)
        for name in ("signer", "made_with"):
            fields[name] = fields[name][:200] if fields[name] else fields[name]
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        try:
            raw = json.loads(text)
            return cls(
                State(raw["state"]),
                raw.get("signer"),
                raw.get("made_with"),
                bool(raw.get("test_certificate")),
            )
        except (ValueError, KeyError, TypeError):
            return cls(State.NONE)


def verify(data: bytes, mime_type: str = "image/png") -> Verdict:
    """Blocking (CPU): call it in the image pool or a thread."""
    try:
        reader = c2pa.Reader.try_create(mime_type, io.BytesIO(data))
    except c2pa.C2paError:
        return Verdict(State.INVALID)
    if reader is None:
        return Verdict(State.STRIPPED if _marked_without_credentials(data) else State.NONE)
    with reader:
        state = reader.get_validation_state()
        manifest = reader.get_active_manifest() or {}
    signer = (manifest.get("signature_info") or {}).get("issuer")
    return Verdict(
        # "Trusted" means valid and signed by a certificate on a configured trust list.
        State.VALID if state in ("Valid", "Trusted") else State.INVALID,
        signer=signer,
        made_with=_made_with(manifest),
        test_certificate=bool(signer and TEST_LABEL in signer),
    )


def _made_with(manifest: dict[str, Any]) -> str | None:
    generators = manifest.get("claim_generator_info") or []
    generator = (
        " ".join(str(part) for part in (generators[0].get("name"), generators[0].get("version")) if part)
        if generators
        else manifest.get("claim_generator")
    )
    model = None
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == GENERATION_ASSERTION:
            model = (assertion.get("data") or {}).get("model")
    if generator and model:
        return f"{generator} ({model})"
    return generator or model


def _marked_without_credentials(data: bytes) -> bool:
    # bildgen's recipe chunk or an IPTC digital source type: made by a generator that may have signed.
    head = data[:200_000]
    return DIGITAL_SOURCE_TYPES.encode() in head or b"tEXtbildgen\0" in head or b"iTXtbildgen\0" in head


def verify_upload(data: bytes) -> Verdict:
    """An uploaded file's credentials (PNG, JPEG or WebP), before cleaning drops them. Blocking."""
    image_format = sniff_format(data)
    if image_format is None:
        return Verdict(State.NONE)
    return verify(data, f"image/{image_format.lower()}")


def upload_credentials(data: bytes) -> str | None:
    """What to keep of an upload's credentials with its reference (JSON), None when it has none. Blocking."""
    verdict = verify_upload(data)
    return None if verdict.state is State.NONE else verdict.to_json()


def verify_file(path: Path) -> Verdict:
    """The verdict on a stored file; a file that is gone or unreadable has no credentials to show."""
    try:
        data = path.read_bytes()
    except OSError:
        return Verdict(State.NONE)
    return verify(data)


def describe(verdict: Verdict) -> str:
    """The verdict in the user's words, for the lightbox."""
    if verdict.state is State.VALID:
        signer = verdict.signer or _("an unnamed signer")
        if verdict.made_with:
            return _("valid, signed by {signer}, made with {made_with}", signer=signer, made_with=verdict.made_with)
        return _("valid, signed by {signer}", signer=signer)
    if verdict.state is State.INVALID:
        return _("invalid: the file was changed after it was signed, or the signature does not hold")
    if verdict.state is State.STRIPPED:
        return _("missing: removed from this file, or never added")
    return _("none")
