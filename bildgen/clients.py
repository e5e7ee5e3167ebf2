"""Who sent a request: the client's address, behind the reverse proxies the operator trusts.

Shared by every front that records or throttles by address (the sign-in routes, the `/v1` API, the
states' websocket events), so that none of them imports another front for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

from bildgen.services import get_services


def address_behind_proxies(peer: str, forwarded_for: Iterable[str], hops: int) -> str:
    """The client's address: the peer's, or with N trusted proxies the Nth X-Forwarded-For entry from the right.

    Each proxy appends the address it was reached from, so the entries a client wrote itself are
    further left and never chosen. Without proxies the header is anyone's to forge, so it is ignored.
    `forwarded_for` holds every X-Forwarded-For header's value. For Reflex events: the websocket's
    `router.session.client_ip` and `router.headers.raw_headers.get("x-forwarded-for")`.
    """
    if hops == 0:
        return peer
    entries = [entry.strip() for header in forwarded_for for entry in header.split(",")]
    if len(entries) < hops:
        return peer  # it did not come through all the proxies
    try:
        return str(ipaddress.ip_address(entries[-hops]))
    except ValueError:
        return peer


def client_address(request: Request) -> str:
    """The address of the browser behind a request, for throttling and the audit log."""
    return address_behind_proxies(
        request.client.host if request.client else "unknown",
        request.headers.getlist("x-forwarded-for"),
        get_services().settings.trusted_proxy_hops,
    )
