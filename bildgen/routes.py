"""URL paths in one place.

bildgen's own HTTP routes live under /_upload/private/ because Reflex's rx.get_upload_url()
prefixes that with the backend's address in every run mode. The image files themselves are kept
in the data folder and served by these routes after an ownership check, never by the public
/_upload static mount.

The sign-in forms post to relative paths instead: their action would be rendered into the static
page before the browser's host is known, and a cookie set for "localhost" is not sent to
"127.0.0.1". Relative paths need frontend and backend on one port (`--env prod` or `--env preview`).
"""

STUDIO = "/"
GALLERY = "/gallery"
SIGN_IN_PAGE = "/sign-in"
SIGN_UP_PAGE = "/sign-up"
ADMIN = "/admin"
ADMIN_PROVIDERS = "/admin/providers"
ADMIN_PROFILES = "/admin/profiles"
ADMIN_USERS = "/admin/users"
ADMIN_USAGE = "/admin/usage"
ADMIN_AUDIT = "/admin/audit"
ADMIN_QUEUE = "/admin/queue"
ADMIN_TOKENS = "/admin/tokens"
ADMIN_GROUPS = "/admin/groups"
ACCOUNT = "/account"
CHANGE_PASSWORD_PAGE = "/change-password"
# One batch, and the comparison grid of its series; [batch] is the batch id (a Reflex dynamic route).
BATCHES = "/batches"
BATCH_PAGE = "/batches/[batch]"
BATCH_COMPARE_PAGE = "/batches/[batch]/compare"
PACKS = "/packs"
PUBLIC_PAGES = (SIGN_IN_PAGE, SIGN_UP_PAGE)

# bildgen's OpenAI-compatible API (bildgen/api/): clients take this as their base URL.
API_PREFIX = "/v1"
API_EDITS_ROUTE = API_PREFIX + "/images/edits"

# For proxies, orchestrators and Prometheus (bildgen/http/health.py, bildgen/http/metrics.py).
HEALTH_ROUTE = "/healthz"
READY_ROUTE = "/readyz"
METRICS_ROUTE = "/metrics"

PRIVATE = "/_upload/private"
IMAGE_ROUTE = PRIVATE + "/images/{image_id}.png"
REFERENCE_ROUTE = PRIVATE + "/references/{reference_id}.png"
THUMBNAIL_ROUTE = PRIVATE + "/thumbnails/{image_id}.webp"
# POST: the mask painted on a reference (a PNG body); GET: a stored mask.
MASK_UPLOAD_ROUTE = PRIVATE + "/references/{reference_id}/mask"
MASK_ROUTE = PRIVATE + "/masks/{mask_id}.png"
# The service's live preview of a variant still being made (AUTOMATIC1111).
PREVIEW_ROUTE = PRIVATE + "/previews/{job_id}/{variant}"
SIGN_IN_ROUTE = PRIVATE + "/auth/sign-in"
SIGN_UP_ROUTE = PRIVATE + "/auth/sign-up"
SIGN_OUT_ROUTE = PRIVATE + "/auth/sign-out"
PACK_EXPORT_ROUTE = PRIVATE + "/packs/{pack_id}.json"
# A selection, filtered gallery or board as one streamed ZIP (bildgen/http/zips.py): ?board=, ?ids=, …
ZIP_ROUTE = PRIVATE + "/downloads/images.zip"
# Usage per group and profile as CSV, for administrators (bildgen/http/usage_export.py): ?from=&to= (dates).
USAGE_CSV_ROUTE = PRIVATE + "/admin/usage-by-group.csv"
CHANGE_PASSWORD_ROUTE = PRIVATE + "/auth/change-password"
# Single sign-on: GET starts at the organisation's provider, which sends the browser back to the callback.
SSO_START_ROUTE = PRIVATE + "/auth/sso"
SSO_CALLBACK_ROUTE = PRIVATE + "/auth/sso/callback"
# Expiring view-only links for people without an account (bildgen/http/view_links.py): a page of the
# link's images (?image=<id>: one large, with its recipe), and the images themselves.
VIEW_LINK_PAGE = PRIVATE + "/links/{token}"
VIEW_LINK_IMAGE = PRIVATE + "/links/{token}/images/{image_id}.png"
VIEW_LINK_THUMBNAIL = PRIVATE + "/links/{token}/thumbnails/{image_id}.webp"


def route_id(route: str) -> str:
    """What a state's `router.route_id` says on a page: its route, the root page's as "/index"."""
    return "/" + (route.strip("/") or "index")


def upload_path(route: str) -> str:
    """A private route's path relative to the upload prefix, for rx.get_upload_url()."""
    return route.removeprefix("/_upload/")


def image_upload_path(image_id: str) -> str:
    return upload_path(IMAGE_ROUTE.format(image_id=image_id))


def reference_upload_path(reference_id: str) -> str:
    return upload_path(REFERENCE_ROUTE.format(reference_id=reference_id))


def thumbnail_upload_path(image_id: str) -> str:
    return upload_path(THUMBNAIL_ROUTE.format(image_id=image_id))


def mask_upload_path(mask_id: str) -> str:
    return upload_path(MASK_ROUTE.format(mask_id=mask_id))


def view_link_page(token: str) -> str:
    return VIEW_LINK_PAGE.format(token=token)


def batch_page(batch_id: str) -> str:
    return f"{BATCHES}/{batch_id}"


def batch_compare_page(batch_id: str) -> str:
    return f"{BATCHES}/{batch_id}/compare"


def gallery_of_batch(batch_id: str) -> str:
    return f"{GALLERY}?batch={batch_id}"


def pack_export_path(pack_id: str) -> str:
    return upload_path(PACK_EXPORT_ROUTE.format(pack_id=pack_id))


def preview_upload_path(job_id: str, variant: int, version: str) -> str:
    """A variant's live preview; `version` (JobView.variants[n].preview_version) changes with each one."""
    return upload_path(PREVIEW_ROUTE.format(job_id=job_id, variant=variant)) + f"?v={version}"
