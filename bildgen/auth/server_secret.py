"""The server's one secret, from which every purpose derives its own key (API keys at rest, signed
image URLs). BILDGEN_SECRET_KEY, or else a key file created in the data folder on first start,
readable by the owner only. Losing it makes stored API keys unreadable (they must be entered again)
and signed URLs invalid; nothing else."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_ENV = "BILDGEN_SECRET_KEY"
KEY_FILE = "secret.key"
MIN_LENGTH = 32


class SecretKeyError(ValueError):
    """The configured secret cannot be used; the message says what to do (never the secret)."""


def server_secret(data_dir: Path, environ: Mapping[str, str] = os.environ) -> bytes:
    configured = environ.get(SECRET_ENV, "").strip()
    if configured:
        if len(configured) < MIN_LENGTH:
            raise SecretKeyError(
                f"{SECRET_ENV} must be at least {MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)."
            )
        return configured.encode()
    return _key_file(data_dir / KEY_FILE)


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        # O_EXCL: of several processes starting at once, one creates the file and the others read it.
        # Written to a temporary name and linked into place, so nobody ever reads half a key.
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret) < MIN_LENGTH:
        raise SecretKeyError(f"{path} holds no usable key: remove it to have a new one made.")
    return secret.encode()


def derived_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose: knowing it reveals neither the secret nor the other purposes' keys."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=f"bildgen:{purpose}".encode()).derive(secret)


def fernet_key(secret: bytes, purpose: str) -> bytes:
    return base64.urlsafe_b64encode(derived_key(secret, purpose))
