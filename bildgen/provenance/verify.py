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
from typing import Any

import c2pa

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
