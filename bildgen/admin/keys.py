"""API keys at rest: encrypted with Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from the
server secret (bildgen/auth/server_secret.py), so a copy of the database alone reveals no key.

Rotation: put the previous secret(s) in BILDGEN_OLD_SECRET_KEYS (comma-separated), set the new
BILDGEN_SECRET_KEY (or replace the key file) and restart; keys written with an old secret are still
read, every key saved afterwards is written with the new one, and `python -m bildgen.admin.rotate_keys`
re-encrypts all stored keys at once. Then the old secrets can be removed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bildgen.auth.server_secret import fernet_key

PURPOSE = "provider-api-keys"
OLD_SECRETS_ENV = "BILDGEN_OLD_SECRET_KEYS"


class KeyUnreadable(ValueError):
    """A stored key that none of the configured secrets can decrypt (the secret changed)."""


class KeyBox:
    def __init__(self, secret: bytes, old_secrets: Sequence[bytes] = ()) -> None:
        # The first key encrypts; every key decrypts.
        self._fernet = MultiFernet([Fernet(fernet_key(key, PURPOSE)) for key in (secret, *old_secrets)])

    def __repr__(self) -> str:
        return "KeyBox(…)"

    def encrypt(self, api_key: str) -> str:
        return self._fernet.encrypt(api_key.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise KeyUnreadable("A stored API key cannot be decrypted with the current secret.") from None

    def rotate(self, token: str) -> str:
        """The same key, encrypted with the current secret."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            raise KeyUnreadable("A stored API key cannot be decrypted with the current secret.") from None


def key_box(secret: bytes, environ: Mapping[str, str] = os.environ) -> KeyBox:
    old = [part.strip().encode() for part in environ.get(OLD_SECRETS_ENV, "").split(",") if part.strip()]
    return KeyBox(secret, old)
