"""What someone without an account sees through an expiring view-only link (bildgen/boards/links.py):
a plain page of the link's images, one image large with its recipe, and the image files.

Every request, the page and each image alike, checks the link again: the administrator's switch, the
token, expiry, revocation, and that the image is one the link shows. A link that opens nothing gets a
page that says why, never a stack trace. The page is server-rendered HTML with nothing to click that
changes anything; it sends no referrer, so the token does not travel on.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from bildgen import i18n, routes
from bildgen.auth.sessions import cookie_value
from bildgen.boards import links
from bildgen.clients import client_address
from bildgen.http.images import ID_PATTERN
from bildgen.i18n import N_
from bildgen.services import get_services
from bildgen.store.db import STORAGE_ERRORS
from bildgen.store.image_library import saved_image

logger = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,86}")
_HEADERS = {
    # Revoking or expiring must take effect at the next look: nothing is kept by the browser or a proxy.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
_PAGE_HEADERS = {
    **_HEADERS,
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}

CLOSED = {
    links.Closed.SWITCHED_OFF: (
        403,
        N_("View-only links are switched off"),
        N_("The administrator of this bildgen has switched off links for people without an account."),
    ),
    links.Closed.UNKNOWN: (
        404,
        N_("This link does not exist"),
        N_("Check that you copied the whole link. What it showed may also have been deleted."),
    ),
    links.Closed.EXPIRED: (
        410,
        N_("This link has expired"),
        N_("Ask the person who sent it to you for a new one."),
    ),
    links.Closed.REVOKED: (
        410,
        N_("This link was revoked"),
        N_("The person who made it has stopped sharing through it."),
    ),
}
UNAVAILABLE = (
    503,
    N_("bildgen cannot answer right now"),
    N_("Its database cannot be reached. Please try again in a moment."),
)


OPEN_IMAGE, OLDER, BACK = N_("Open image {number}"), N_("Older images"), N_("Back to all images of “{name}”")
DOWNLOAD, RECIPE = N_("Download"), N_("Recipe")


def _language(request: Request) -> str:
    chosen = i18n.supported(request.query_params.get("lang"))
    page_language = cookie_value(request.headers.get("cookie"), i18n.BROWSER_LANGUAGE_COOKIE)
    return chosen or i18n.browser_preference(page_language, request.headers.get("accept-language"))


class _Page:
    """Translated, escaped text for one answer."""

    def __init__(self, language: str) -> None:
        self.language = language

    def text(self, message: str, **values: object) -> str:
        translated = i18n.translate(message, self.language)
        return html.escape(translated.format(**values) if values else translated)

    def document(self, title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(
            f'<!doctype html><html lang="{self.language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{title} · bildgen</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>",
            status_code=status,
            headers=_PAGE_HEADERS,
        )

    def closed(self, why: tuple[int, str, str]) -> HTMLResponse:
        status, title, explanation = why
        heading = self.text(title)
        return self.document(heading, f'<h1>{heading}</h1><p role="alert">{self.text(explanation)}</p>', status)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#1c1c1c}"
    "main{max-width:1100px;margin:0 auto;padding:16px}"
    "ul.grid{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px}"
    "ul.grid img{width:100%;aspect-ratio:1;object-fit:cover;border-radius:6px;display:block}"
    "img.large{max-width:100%;max-height:75vh;border-radius:6px}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{font-weight:600}"
    "dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}nav a{margin-right:12px}"
    "@media (prefers-color-scheme:dark){body{background:#111;color:#eee}a{color:#9cf}}"
)


async def _open(request: Request):  # -> (engine, OpenLink) | Response
    token = request.path_params["token"]
    services = await asyncio.to_thread(get_services)
    if not TOKEN_PATTERN.fullmatch(token):
        return links.Closed.UNKNOWN
    try:
        opened = await asyncio.to_thread(links.resolve, services.engine, token)
    except STORAGE_ERRORS as error:
        logger.error("A view-only link could not be checked: %s", getattr(error, "orig", None) or error)
        return None
    return opened if isinstance(opened, str) else (services, opened)


async def _record_opened(services, opened: links.OpenLink, request: Request) -> None:
    try:
        await asyncio.to_thread(links.record_opened, services.engine, opened, client_address(request))
    except STORAGE_ERRORS as error:
        logger.error("Could not record an opened view-only link: %s", getattr(error, "orig", None) or error)


def _language_links(page: _Page, request: Request) -> str:
    other = "de" if page.language == "en" else "en"
    query = urlencode({**request.query_params, "lang": other})
    return f'<nav><a href="?{html.escape(query)}" lang="{other}">{html.escape(i18n.LANGUAGES[other])}</a></nav>'


async def view_link_page(request: Request) -> Response:
    page = _Page(_language(request))
    found = await _open(request)
    if found is None:
        return page.closed(UNAVAILABLE)
    if isinstance(found, str):
        return page.closed(CLOSED[found])
    services, opened = found
    token = request.path_params["token"]
    try:
        # A link to one image opens its large view; a board's, its grid (?image=: one of them large).
        image_id = opened.image_id or request.query_params.get("image", "")
        if image_id:
            valid = ID_PATTERN.fullmatch(image_id)
            shown = await asyncio.to_thread(links.image, services.engine, opened, image_id) if valid else None
            if shown is None:
                return page.closed(CLOSED[links.Closed.UNKNOWN])
            body = _large_view(page, token, opened, *shown)
        else:
            before = request.query_params.get("before", "")
            before = before if ID_PATTERN.fullmatch(before) else ""
            body = _grid(
                page, token, opened, await asyncio.to_thread(links.images, services.engine, opened, before=before)
            )
    except STORAGE_ERRORS as error:
        logger.error("A view-only link's page could not be read: %s", getattr(error, "orig", None) or error)
        return page.closed(UNAVAILABLE)
    await _record_opened(services, opened, request)
    title = page.text(N_("Shared by {name}"), name=opened.owner_name)
    until = page.text(N_("View only, until {date}"), date=opened.expires_at.strftime("%Y-%m-%d %H:%M UTC"))
    header = f"{_language_links(page, request)}<p>{title} · {until}</p>"
    return page.document(title, header + body)


def _thumbnail_url(token: str, image_id: str) -> str:
    return html.escape(routes.VIEW_LINK_THUMBNAIL.format(token=token, image_id=image_id))


def _image_url(token: str, image_id: str) -> str:
    return html.escape(routes.VIEW_LINK_IMAGE.format(token=token, image_id=image_id))


def _grid(page: _Page, token: str, opened: links.OpenLink, shown) -> str:
    heading = html.escape(opened.board_name)
    if not shown:
        empty = page.text(N_("There are no images here yet."))
        return f"<h1>{heading}</h1><p>{empty}</p>"
    items = "".join(
        f'<li><a href="?{urlencode({"image": image.id})}">'
        f'<img src="{_thumbnail_url(token, image.id)}" alt="{page.text(OPEN_IMAGE, number=number)}"'
        f' width="160" height="160" loading="lazy"></a></li>'
        for number, image in enumerate(shown, start=1)
    )
    more = (
        f'<p><a href="?{urlencode({"before": shown[-1].id})}">{page.text(OLDER)}</a></p>'
        if len(shown) == links.PAGE_SIZE
        else ""
    )
    return f'<h1>{heading}</h1><ul class="grid">{items}</ul>{more}'


def _large_view(page: _Page, token: str, opened: links.OpenLink, image, generation) -> str:
    saved = saved_image(image, generation)
    back = f'<p><a href="?">{page.text(BACK, name=opened.board_name)}</a></p>' if opened.board_id else ""
    rows = [
        (N_("Prompt"), generation.prompt),
        (N_("Negative prompt"), generation.negative_prompt or ""),
        (N_("Model"), generation.model_name),
        (N_("Size"), f"{image.width} × {image.height}"),
        (N_("Seed"), str(image.seed)),
        (N_("Steps"), str(generation.steps)),
        (N_("Guidance"), f"{generation.guidance:g}"),
        (N_("Made"), image.created_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    recipe = "".join(f"<dt>{page.text(name)}</dt><dd>{html.escape(value)}</dd>" for name, value in rows if value)
    return (
        f"{back}<h1>{html.escape(generation.prompt[:120])}</h1>"
        f'<p><img class="large" src="{_image_url(token, image.id)}" alt="{html.escape(generation.prompt[:300])}"'
        f' width="{image.width}" height="{image.height}"></p>'
        f'<p><a href="{_image_url(token, image.id)}" download="{html.escape(saved.filename)}">'
        f"{page.text(DOWNLOAD)}</a></p>"
        f"<h2>{page.text(RECIPE)}</h2><dl>{recipe}</dl>"
    )


def _refused_file(status: int) -> Response:
    return PlainTextResponse("Not available", status_code=status, headers=_HEADERS)


async def _shown_image(request: Request):  # -> (services, Image, Generation) | Response
    image_id = request.path_params["image_id"]
    found = await _open(request)
    if found is None:
        return _refused_file(503)
    if isinstance(found, str):
        return _refused_file(CLOSED[found][0])
    services, opened = found
    if not ID_PATTERN.fullmatch(image_id):
        return _refused_file(404)
    try:
        shown = await asyncio.to_thread(links.image, services.engine, opened, image_id)
    except STORAGE_ERRORS:
        return _refused_file(503)
    return (services, opened, *shown) if shown else _refused_file(404)


def _file(path, media_type: str) -> Response:
    if not path.is_file():
        return _refused_file(404)
    return FileResponse(path, media_type=media_type, headers=_HEADERS)


async def view_link_image(request: Request) -> Response:
    shown = await _shown_image(request)
    if isinstance(shown, Response):
        return shown
    services, opened, image, _generation = shown
    await _record_opened(services, opened, request)
    return _file(services.files.path_for(image.sha256), "image/png")


async def view_link_thumbnail(request: Request) -> Response:
    shown = await _shown_image(request)
    if isinstance(shown, Response):
        return shown
    services, _opened, image, _generation = shown
    path = services.thumbnails.path_for(image.sha256)
    if not path.is_file() and services.files.path_for(image.sha256).is_file():
        await asyncio.to_thread(services.images.make_thumbnail, image.sha256)
    return _file(path, "image/webp")
