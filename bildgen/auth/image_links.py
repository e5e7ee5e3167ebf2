"""Signed, expiring links to one image, for clients that have no session cookie (an API answer with
`response_format=url` shown by a chat front end).

The signature is an HMAC over the image id, its owner and the expiry, with a key derived from the
server secret for this purpose only. The owner is not in the link: it is looked up when the link is
used, so a link stops working when the image is deleted, and can never show someone else's image.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from bildgen.auth.server_secret import derived_key

PURPOSE = "image-links"
LIFETIME_S = 24 * 3600
EXPIRES, SIGNATURE = "expires", "signature"


def _signature(secret: bytes, image_id: str, owner_id: str, expires: int) -> str:
    message = f"{image_id}:{owner_id}:{expires}".encode()
    digest = hmac.new(derived_key(secret, PURPOSE), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_query(secret: bytes, image_id: str, owner_id: str, *, now: float | None = None) -> dict[str, str]:
    """The query parameters that let anyone holding them fetch this image until they expire."""
    expires = int((time.time() if now is None else now) + LIFETIME_S)
    return {EXPIRES: str(expires), SIGNATURE: _signature(secret, image_id, owner_id, expires)}


def is_valid(
    secret: bytes, image_id: str, owner_id: str, expires: str, signature: str, *, now: float | None = None
) -> bool:
    if not expires.isdigit() or len(expires) > 12 or int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_signature(secret, image_id, owner_id, int(expires)), signature)
