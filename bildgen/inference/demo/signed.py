"""The openai flavor signs its pictures with C2PA Content Credentials, as OpenAI's GPT-Image does, so
that bildgen's keeping of a service's credentials (as the parent of its own) can be tested."""

from __future__ import annotations

import functools
import io

import c2pa

from bildgen.provenance.credentials import TEST_LABEL, SigningIdentity, make_test_identity
from bildgen.provenance.xmp import TRAINED_ALGORITHMIC_MEDIA

SERVICE_NAME = "demo image service"


@functools.cache
def _identity() -> SigningIdentity:
    return make_test_identity(f"{SERVICE_NAME} ({TEST_LABEL})")


def sign_as_service(picture: bytes) -> bytes:
    """The PNG with the demo service's own credentials. Blocking (CPU): call it in a thread."""
    identity = _identity()
    agent = {"name": SERVICE_NAME, "version": "1"}
    manifest = {
        "claim_generator_info": [agent],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": agent,
                        }
                    ]
                },
            }
        ],
    }
    context = c2pa.Context(c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}}))
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.algorithm, identity.certificate_chain, identity.private_key, None)
    )
    with context, signer, c2pa.Builder(manifest, context) as builder:
        signed = io.BytesIO()
        builder.sign(signer, "image/png", io.BytesIO(picture), signed)
    return signed.getvalue()
