"""The sign-in routes: cookie flags, origin pinning, safe redirects, server-side sign-out."""

import pytest
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.auth import sessions
from bildgen.http import create_api

ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
def services(fresh_services):
    return fresh_services.get_services()


def post(client: TestClient, route: str, origin: str | None = ORIGIN, **form):
    headers = {"origin": origin} if origin else {}
    return client.post(route, data=form, headers=headers, follow_redirects=False)


def signed_up(client: TestClient, name="anna", password="correct horse"):
    return post(client, routes.SIGN_UP_ROUTE, username=name, password=password)


def test_sign_up_signs_in_with_an_httponly_lax_cookie(services):
    response = signed_up(TestClient(create_api()))
    assert response.status_code == 303
    assert response.headers["location"] == ORIGIN + "/"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie


def test_over_https_the_cookie_is_secure(services):
    client = TestClient(create_api(), base_url="https://studio.example.org")
    assert "secure" in signed_up(client).headers["set-cookie"].lower()


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(services):
    client = TestClient(create_api())
    signed_up(client)
    for asked, landed in (
        ("/", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ):
        response = post(client, routes.SIGN_IN_ROUTE, username="anna", password="correct horse", next=asked)
        assert response.headers["location"] == ORIGIN + landed


def test_a_wrong_password_goes_back_with_the_generic_message_code_and_no_cookie(services):
    client = TestClient(create_api())
    signed_up(client)
    response = post(TestClient(create_api()), routes.SIGN_IN_ROUTE, username="anna", password="nope nope")
    assert response.headers["location"].startswith(ORIGIN + "/sign-in?error=wrong")
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_posts_from_another_origin_are_refused(services, origin):
    client = TestClient(create_api())
    signed_up(client)
    response = post(
        TestClient(create_api()), routes.SIGN_IN_ROUTE, origin=origin, username="anna", password="correct horse"
    )
    assert "set-cookie" not in response.headers
    assert "error=origin" in response.headers["location"]
    assert not response.headers["location"].startswith("https://evil")


def test_sign_out_ends_the_session_on_the_server_and_clears_the_cookie(services):
    client = TestClient(create_api())
    token = signed_up(client).cookies[sessions.COOKIE_NAME]
    assert sessions.user_for(services.engine, token) is not None
    response = post(client, routes.SIGN_OUT_ROUTE)
    assert response.headers["location"] == ORIGIN + "/sign-in?notice=signed-out"
    assert (
        f'{sessions.COOKIE_NAME}=""' in response.headers["set-cookie"]
        or "max-age=0" in response.headers["set-cookie"].lower()
    )
    assert sessions.user_for(services.engine, token) is None
