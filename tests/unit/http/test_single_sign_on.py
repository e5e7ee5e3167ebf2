"""Single sign-on through a real OpenID provider on 127.0.0.1 (tests/oidc_provider.py): the browser's
part is played by posting the provider's own sign-in form; bildgen's part is its real routes."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.auth import audit, sessions
from bildgen.http import create_api
from bildgen.store.db import session
from bildgen.store.models import ExternalIdentity, User
from tests.oidc_provider import OpenIdProvider, Person
from tests.unit.conftest import make_user


@pytest.fixture
def provider():
    provider = OpenIdProvider().start()
    provider.people["mira"] = Person(email="Mira@example.org", groups=("design",))
    provider.people["otto"] = Person(email="otto@example.org", groups=("design", "bildgen-admins"))
    yield provider
    provider.stop()


@pytest.fixture
def services(fresh_services, provider, monkeypatch):
    for name, value in provider.environment().items():
        monkeypatch.setenv(name, value)
    return fresh_services.get_services()


def start(client: TestClient, next_path: str = "/gallery") -> httpx.Response:
    return client.get(routes.SSO_START_ROUTE, params={"next": next_path}, follow_redirects=False)


def at_provider(location: str, username: str, decision: str = "allow") -> str:
    """What the person does on the provider's page; answers where the provider sends the browser."""
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    answer = httpx.post(location.split("?")[0], data={**query, "username": username, "decision": decision})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def back_at_bildgen(client: TestClient, callback: str) -> httpx.Response:
    parts = urlsplit(callback)
    assert parts.path == routes.SSO_CALLBACK_ROUTE
    return client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def sign_in(client: TestClient, username: str, next_path: str = "/gallery") -> httpx.Response:
    return back_at_bildgen(client, at_provider(start(client, next_path).headers["location"], username))


def signed_in_user(services, response: httpx.Response) -> User | None:
    token = response.cookies.get(sessions.COOKIE_NAME)
    return sessions.user_for(services.engine, token) if token else None


def users(services) -> list[User]:
    with session(services.engine) as db:
        return list(db.exec(select(User)).all())


def test_a_person_of_the_organisation_signs_in_and_lands_where_they_were_going(services, provider):
    response = sign_in(TestClient(create_api()), "mira")
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == "/gallery"
    user = signed_in_user(services, response)
    assert user.username == "mira" and user.email == "mira@example.org"
    assert "httponly" in response.headers["set-cookie"].lower()
    # The next time, the same account: linked by the provider's subject.
    again = sign_in(TestClient(create_api()), "mira")
    assert signed_in_user(services, again).id == user.id
    assert len(users(services)) == 1
    entries = audit.page(services.engine, action=audit.SIGN_IN).entries
    assert [entry.detail for entry in entries] == ["single sign-on", "single sign-on"]


def test_the_start_asks_for_pkce_state_and_nonce_and_the_flow_cookie_is_httponly(services, provider):
    response = start(TestClient(create_api()))
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and "openid" in query["scope"][0].split()
    cookie = response.headers["set-cookie"].lower()
    assert f"path={routes.SSO_CALLBACK_ROUTE}" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert provider.environment()["BILDGEN_OIDC_CLIENT_SECRET"].lower() not in cookie


def test_the_administrator_group_claim_makes_and_unmakes_administrators(services, provider, monkeypatch):
    monkeypatch.setenv("BILDGEN_OIDC_ADMIN_GROUP", "bildgen-admins")
    services = _rebuilt(services)
    make_user(services.engine, "first-local")  # the first account is someone else's
    otto = signed_in_user(services, sign_in(TestClient(create_api()), "otto"))
    mira = signed_in_user(services, sign_in(TestClient(create_api()), "mira"))
    assert otto.is_admin and not mira.is_admin
    provider.people["otto"].groups = ("design",)
    assert not signed_in_user(services, sign_in(TestClient(create_api()), "otto")).is_admin


def _rebuilt(services):
    from bildgen import services as module

    module._build.cache_clear()
    return module.get_services()


def test_a_verified_email_links_to_the_account_that_has_it_an_unverified_one_does_not(services, provider):
    local = make_user(services.engine, "mira.local")
    with session(services.engine) as db:
        stored = db.get(User, local.id)
        stored.email = "mira@example.org"
        db.add(stored)
        db.commit()
    assert signed_in_user(services, sign_in(TestClient(create_api()), "mira")).id == local.id

    provider.people["eve"] = Person(email="mira@example.org", email_verified=False)
    eve = signed_in_user(services, sign_in(TestClient(create_api()), "eve"))
    assert eve.id != local.id and eve.email is None


def test_a_local_account_of_the_same_name_is_never_taken_over(services, provider):
    local = make_user(services.engine, "mira")
    user = signed_in_user(services, sign_in(TestClient(create_api()), "mira"))
    assert user.id != local.id and user.username == "mira-2"
    # Nor does a password open the account made by single sign-on.
    answer = TestClient(create_api()).post(
        routes.SIGN_IN_ROUTE,
        data={"username": "mira-2", "password": "!no-password"},
        headers={"origin": "http://127.0.0.1:3000"},
        follow_redirects=False,
    )
    assert "error=wrong" in answer.headers["location"]


@pytest.mark.parametrize("fault", ["bad-signature", "wrong-audience", "expired"])
def test_an_id_token_bildgen_cannot_trust_signs_nobody_in(services, provider, fault):
    provider.fault = fault
    response = sign_in(TestClient(create_api()), "mira")
    assert "error=sso-refused" in response.headers["location"]
    assert sessions.COOKIE_NAME not in response.cookies
    assert users(services) == []


def test_a_callback_used_twice_or_from_another_browser_is_refused(services, provider):
    client = TestClient(create_api())
    callback = at_provider(start(client).headers["location"], "mira")
    assert signed_in_user(services, back_at_bildgen(client, callback)) is not None
    replayed = back_at_bildgen(client, callback)
    assert "error=sso-expired" in replayed.headers["location"] and sessions.COOKIE_NAME not in replayed.cookies

    # A victim's browser handed an attacker's callback (login CSRF): its flow cookie has another state.
    attacker = TestClient(create_api())
    attackers_callback = at_provider(start(attacker).headers["location"], "mira")
    victim = TestClient(create_api())
    start(victim)
    refused = back_at_bildgen(victim, attackers_callback)
    assert "error=sso-expired" in refused.headers["location"] and sessions.COOKIE_NAME not in refused.cookies


def test_cancelling_at_the_provider_comes_back_with_a_message(services, provider):
    client = TestClient(create_api())
    callback = at_provider(start(client).headers["location"], "mira", decision="deny")
    assert "error=sso-denied" in back_at_bildgen(client, callback).headers["location"]


def test_a_provider_that_is_down_gets_a_message_not_a_crash(services, provider):
    provider.stop()
    response = start(TestClient(create_api()))
    assert response.status_code == 303 and "error=sso-unavailable" in response.headers["location"]


def test_a_disabled_account_stays_out(services, provider):
    user = signed_in_user(services, sign_in(TestClient(create_api()), "mira"))
    with session(services.engine) as db:
        db.get(User, user.id).disabled = True
        db.commit()
    assert "error=disabled" in sign_in(TestClient(create_api()), "mira").headers["location"]


def test_with_single_sign_on_only_passwords_sign_nobody_in_or_up(services, provider, monkeypatch):
    monkeypatch.setenv("BILDGEN_OIDC_ONLY", "1")
    _rebuilt(services)
    client = TestClient(create_api())
    for route in (routes.SIGN_UP_ROUTE, routes.SIGN_IN_ROUTE):
        answer = client.post(
            route,
            data={"username": "anna", "password": "correct horse"},
            headers={"origin": "http://127.0.0.1:3000"},
            follow_redirects=False,
        )
        assert "error=sso-only" in answer.headers["location"] and "set-cookie" not in answer.headers
    assert signed_in_user(services, sign_in(client, "mira")) is not None


def test_without_a_provider_the_routes_are_not_there(fresh_services):
    fresh_services.get_services()
    assert TestClient(create_api()).get(routes.SSO_START_ROUTE, follow_redirects=False).status_code == 404


def test_the_identity_is_kept_by_issuer_and_subject(services, provider):
    user = signed_in_user(services, sign_in(TestClient(create_api()), "mira"))
    with session(services.engine) as db:
        link = db.exec(select(ExternalIdentity)).one()
    assert (link.issuer, link.subject, link.user_id) == (provider.issuer, provider.people["mira"].subject, user.id)


ORIGIN = "http://127.0.0.1:3000"


def sign_out(client: TestClient) -> httpx.Response:
    return client.post(routes.SIGN_OUT_ROUTE, headers={"origin": ORIGIN}, follow_redirects=False)


def test_signing_out_ends_the_session_here_and_at_the_provider_with_the_id_token_as_hint(services, provider):
    client = TestClient(create_api())
    signed_in = sign_in(client, "mira")
    user = signed_in_user(services, signed_in)
    token = signed_in.cookies.get(sessions.COOKIE_NAME)
    # The ID token is kept on the server only, sealed: not in the cookie, not readable in the row.
    sealed = sessions.sealed_id_token(services.engine, token)
    assert sealed and "eyJ" not in sealed and "eyJ" not in signed_in.headers["set-cookie"]

    answer = sign_out(client)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"{provider.issuer}/logout?")
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    assert query["post_logout_redirect_uri"] == f"{ORIGIN}/sign-in?notice=signed-out"
    assert sessions.user_for(services.engine, token) is None  # bildgen's own session is over first
    assert 'bildgen_session=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    # The provider accepts the hint as one it issued for this user, and sends the browser back.
    back = httpx.get(location, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == query["post_logout_redirect_uri"]
    assert provider.signed_out == [provider.people["mira"].subject]
    assert [entry.actor for entry in audit.page(services.engine, action=audit.SIGN_OUT).entries] == [user.username]


def test_without_an_end_session_endpoint_sign_out_stays_local(services, provider):
    provider.end_session = False
    client = TestClient(create_api())
    token = sign_in(client, "mira").cookies.get(sessions.COOKIE_NAME)
    answer = sign_out(client)
    assert answer.headers["location"].endswith("/sign-in?notice=signed-out")
    assert sessions.user_for(services.engine, token) is None and provider.signed_out == []


def test_a_local_sign_in_signs_out_locally_and_a_provider_down_at_sign_out_does_not_keep_anyone_in(services, provider):
    client = TestClient(create_api())
    token = sign_in(client, "mira").cookies.get(sessions.COOKIE_NAME)
    provider.stop()
    # The discovery document was read at sign-in; the provider being down now cannot stop a local sign-out.
    answer = sign_out(client)
    assert answer.status_code == 303 and sessions.user_for(services.engine, token) is None
    anna = make_user(services.engine, "anna")
    local = TestClient(create_api())
    local.cookies.set(sessions.COOKIE_NAME, sessions.start(services.engine, anna.id))
    assert sign_out(local).headers["location"].endswith("/sign-in?notice=signed-out")
