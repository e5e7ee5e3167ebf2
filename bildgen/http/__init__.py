"""bildgen's own HTTP routes, mounted beside Reflex's through api_transformer."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from bildgen import routes
from bildgen.api.app import create_api_app
from bildgen.http.auth import change_password, sign_in, sign_out, sign_up
from bildgen.http.health import healthz, readyz
from bildgen.http.images import serve_image, serve_preview, serve_reference, serve_thumbnail
from bildgen.http.language import BrowserLanguageCookie
from bildgen.http.limits import UploadSizeLimit
from bildgen.http.masks import serve_mask, upload_mask
from bildgen.http.metrics import metrics
from bildgen.http.packs import export_pack
from bildgen.http.single_sign_on import sso_callback, sso_start
from bildgen.http.usage_export import export_usage
from bildgen.http.view_links import view_link_image, view_link_page, view_link_thumbnail
from bildgen.http.zips import download_zip


def create_api() -> Starlette:
    return Starlette(
        middleware=[Middleware(UploadSizeLimit), Middleware(BrowserLanguageCookie)],
        routes=[
            Route(routes.IMAGE_ROUTE, serve_image, methods=["GET", "HEAD"]),
            Route(routes.REFERENCE_ROUTE, serve_reference, methods=["GET", "HEAD"]),
            Route(routes.THUMBNAIL_ROUTE, serve_thumbnail, methods=["GET", "HEAD"]),
            Route(routes.MASK_ROUTE, serve_mask, methods=["GET", "HEAD"]),
            Route(routes.MASK_UPLOAD_ROUTE, upload_mask, methods=["POST"]),
            Route(routes.PREVIEW_ROUTE, serve_preview, methods=["GET", "HEAD"]),
            Route(routes.SIGN_IN_ROUTE, sign_in, methods=["POST"]),
            Route(routes.SIGN_UP_ROUTE, sign_up, methods=["POST"]),
            Route(routes.SIGN_OUT_ROUTE, sign_out, methods=["POST"]),
            Route(routes.CHANGE_PASSWORD_ROUTE, change_password, methods=["POST"]),
            Route(routes.SSO_START_ROUTE, sso_start, methods=["GET"]),
            Route(routes.SSO_CALLBACK_ROUTE, sso_callback, methods=["GET"]),
            Route(routes.PACK_EXPORT_ROUTE, export_pack, methods=["GET"]),
            Route(routes.ZIP_ROUTE, download_zip, methods=["GET"]),
            Route(routes.VIEW_LINK_PAGE, view_link_page, methods=["GET"]),
            Route(routes.VIEW_LINK_IMAGE, view_link_image, methods=["GET", "HEAD"]),
            Route(routes.VIEW_LINK_THUMBNAIL, view_link_thumbnail, methods=["GET", "HEAD"]),
            Route(routes.USAGE_CSV_ROUTE, export_usage, methods=["GET"]),
            Route(routes.HEALTH_ROUTE, healthz, methods=["GET", "HEAD"]),
            Route(routes.READY_ROUTE, readyz, methods=["GET", "HEAD"]),
            Route(routes.METRICS_ROUTE, metrics, methods=["GET"]),
            Mount(routes.API_PREFIX, app=create_api_app()),
        ],
    )
