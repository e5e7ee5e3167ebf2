"""`python -m bildgen.admin.rotate_keys`: after changing the server secret, encrypt every stored API key
with the new one. Run it with the new BILDGEN_SECRET_KEY (or key file) and the previous secret(s) in
BILDGEN_OLD_SECRET_KEYS; afterwards the old secrets can be removed."""

from __future__ import annotations

import sys

from bildgen.admin.keys import KeyUnreadable, key_box
from bildgen.admin.providers import reencrypt_keys
from bildgen.auth.server_secret import server_secret
from bildgen.provenance import settings as provenance_settings
from bildgen.settings import load_settings
from bildgen.store.db import make_engine, migrate


def main() -> int:
    settings = load_settings()
    engine = make_engine(settings.db_url)
    migrate(engine)
    keys = key_box(server_secret(settings.data_dir))
    rewritten, unreadable = reencrypt_keys(engine, keys)
    print(f"Re-encrypted {rewritten} API key(s) with the current secret.")
    try:
        if provenance_settings.reencrypt_signing_key(engine, keys):
            print("Re-encrypted the Content Credentials signing key.")
    except KeyUnreadable:
        print("The signing key cannot be read: paste the certificate and key again in the Admin area.", file=sys.stderr)
        return 1
    if unreadable:
        print(
            "These providers' keys cannot be read with the current or old secrets; enter them again in the Admin "
            f"area: {', '.join(unreadable)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
