"""The page request's language reaches the websocket as a cookie, whatever the handshake's header says."""

from http.cookies import SimpleCookie

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bildgen import i18n
from bildgen.http.language import BrowserLanguageCookie

PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def client() -> TestClient:
    async def page(request):
        return HTMLResponse("<html></html>")

    async def data(request):
        return JSONResponse({})

    return TestClient(BrowserLanguageCookie(Starlette(routes=[Route("/sign-in", page), Route("/v1/models", data)])))


def remembered(answer) -> str | None:
    cookies = SimpleCookie(answer.headers.get("set-cookie", ""))
    morsel = cookies.get(i18n.BROWSER_LANGUAGE_COOKIE)
    return morsel.value if morsel else None


def test_a_german_browsers_page_request_remembers_german_for_its_websocket():
    answer = client().get("/sign-in", headers={"accept": PAGE, "accept-language": "de-DE,de;q=0.9,en;q=0.8"})
    assert answer.status_code == 200
    assert remembered(answer) == "de"
    assert "HttpOnly" in answer.headers["set-cookie"]


def test_a_changed_preference_is_remembered_anew_and_an_unchanged_one_is_not_sent_again():
    with client() as browser:
        browser.cookies.set(i18n.BROWSER_LANGUAGE_COOKIE, "de")
        assert "set-cookie" not in browser.get("/sign-in", headers={"accept": PAGE, "accept-language": "de-AT"}).headers
        assert remembered(browser.get("/sign-in", headers={"accept": PAGE, "accept-language": "en-GB"})) == "en"


def test_scripts_images_and_the_api_get_no_cookie():
    answer = client().get("/v1/models", headers={"accept": "application/json", "accept-language": "de"})
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
