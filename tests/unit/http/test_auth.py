"""The sign-in routes: cookie flags, origin pinning, safe redirects, server-side sign-out."""

import contextlib

import pytest
import sqlalchemy
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.auth import accounts, audit, sessions
from bildgen.http import create_api
from bildgen.settings import SettingsError, load_settings
from tests.unit.auth.conftest import needs_pg, pg_database
from tests.unit.conftest import TEST_DB

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


def test_sign_out_from_another_origin_is_refused_and_keeps_the_session(services):
    client = TestClient(create_api())
    token = signed_up(client).cookies[sessions.COOKIE_NAME]
    response = post(client, routes.SIGN_OUT_ROUTE, origin="https://evil.example")
    assert "set-cookie" not in response.headers
    assert "error=origin" in response.headers["location"]
    assert sessions.user_for(services.engine, token) is not None


def last_event(services) -> audit.Entry:
    return audit.page(services.engine).entries[0]


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "recorded"),
    [
        (0, "203.0.113.9", "testclient"),  # no proxy configured: the header is anyone's to forge
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the client's own entry is not trusted
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "10.0.0.2", "testclient"),  # fewer entries than proxies: not through them, so the peer
        (1, "not an address", "testclient"),
    ],
)
def test_the_client_address_comes_from_forwarded_for_only_through_trusted_proxies(
    fresh_services, monkeypatch, hops, forwarded_for, recorded
):
    monkeypatch.setenv("BILDGEN_TRUSTED_PROXY_HOPS", str(hops))
    services = fresh_services.get_services()
    client = TestClient(create_api())
    client.post(
        routes.SIGN_IN_ROUTE,
        data={"username": "anna", "password": "wrong guess"},
        headers={"origin": ORIGIN, "x-forwarded-for": forwarded_for},
        follow_redirects=False,
    )
    assert (last_event(services).action, last_event(services).address) == (audit.SIGN_IN_FAILED, recorded)


def test_a_negative_or_non_numeric_number_of_proxy_hops_stops_start_up(monkeypatch):
    for bad in ("-1", "two"):
        monkeypatch.setenv("BILDGEN_TRUSTED_PROXY_HOPS", bad)
        with pytest.raises(SettingsError, match="BILDGEN_TRUSTED_PROXY_HOPS"):
            load_settings()


def test_sign_in_and_sign_out_are_in_the_audit_log_with_the_user(services):
    client = TestClient(create_api())
    signed_up(client)
    post(client, routes.SIGN_OUT_ROUTE)
    post(client, routes.SIGN_IN_ROUTE, username="anna", password="correct horse")
    actions = [(entry.action, entry.actor) for entry in audit.page(services.engine).entries]
    assert actions == [(audit.SIGN_IN, "anna"), (audit.SIGN_OUT, "anna"), (audit.ACCOUNT_CREATED, "anna")]


@contextlib.contextmanager
def data_folder_gone(services):
    """The data folder disappears (an unmounted volume, say), then comes back."""
    data = services.settings.data_dir
    data.rename(data.with_name("away"))
    # Pooled connections would keep the moved file open; an unmounted disk breaks them too.
    services.engine.dispose()
    try:
        yield
    finally:
        data.with_name("away").rename(data)
        services.engine.dispose()


@pytest.mark.skipif(TEST_DB != "sqlite", reason="the SQLite file in the data folder; PostgreSQL: the read-only test")
def test_a_database_that_is_gone_answers_sign_in_and_sign_up_with_a_clear_message(services):
    client = TestClient(create_api(), raise_server_exceptions=False)
    signed_up(client, "anna")
    with data_folder_gone(services):
        answers = [
            post(client, routes.SIGN_IN_ROUTE, username="anna", password="correct horse"),
            post(client, routes.SIGN_UP_ROUTE, username="bob", password="bobs password"),
        ]
    for response in answers:
        assert response.status_code == 303
        assert "set-cookie" not in response.headers
        assert "error=storage" in response.headers["location"]
    assert answers[0].headers["location"].startswith(ORIGIN + routes.SIGN_IN_PAGE)
    assert "cannot store anything right now" in accounts.MESSAGES["storage"]
    # Nothing was half done: with the folder back, bob can be created and anna signs in.
    assert signed_up(client, "bob", "bobs password").status_code == 303
    assert (
        "error" not in post(client, routes.SIGN_IN_ROUTE, username="anna", password="correct horse").headers["location"]
    )


@needs_pg
def test_a_read_only_postgresql_database_answers_sign_in_and_sign_up_with_a_clear_message(fresh_services, monkeypatch):
    with pg_database() as url:
        monkeypatch.setenv("REFLEX_DB_URL", url)
        services = fresh_services.get_services()
        client = TestClient(create_api(), raise_server_exceptions=False)
        signed_up(client, "anna")
        database = sqlalchemy.make_url(url).database
        with services.engine.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
            connection.commit()
        services.engine.dispose()  # the setting applies to new connections
        answers = [
            post(client, routes.SIGN_IN_ROUTE, username="anna", password="correct horse"),
            post(client, routes.SIGN_UP_ROUTE, username="bob", password="bobs password"),
        ]
        services.engine.dispose()
    for response in answers:
        assert response.status_code == 303
        assert "set-cookie" not in response.headers
        assert "error=storage" in response.headers["location"]
