"""Accounts as administrators manage them: disabling signs out at once and refuses sign-in; a reset
password must be replaced at the next sign-in; bildgen always keeps an active administrator."""

import threading

import pytest
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.admin import users
from bildgen.auth import accounts, audit, sessions
from bildgen.http import create_api
from bildgen.store.db import session
from bildgen.store.models import User
from tests.unit.conftest import make_user

PASSWORD = "correct horse battery"
ORIGIN = "http://127.0.0.1:3000"


def account(engine, name: str, *, admin: bool = False) -> User:
    user = accounts.create_account(engine, name, PASSWORD, signup_open=True, admin_username=None)
    if admin != user.is_admin:
        with session(engine) as db:
            row = db.get(User, user.id)
            row.is_admin = admin
            db.add(row)
            db.commit()
    return user


def test_a_disabled_account_is_signed_out_at_once_and_refused_at_sign_in(engine):
    root, anna = account(engine, "root", admin=True), account(engine, "anna")
    token = sessions.start(engine, anna.id)
    assert sessions.user_for(engine, token) is not None

    users.set_disabled(engine, anna.id, True, actor_id=root.id)

    assert sessions.user_for(engine, token) is None
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate(engine, "anna", PASSWORD, address="192.0.2.1")
    assert refused.value.code == "disabled"
    assert "disabled" in str(refused.value)
    # A wrong password gets the usual answer: a guesser learns nothing about the account.
    with pytest.raises(accounts.SignInRefused) as wrong:
        accounts.authenticate(engine, "anna", "not the password", address="192.0.2.1")
    assert wrong.value.code == "wrong"

    users.set_disabled(engine, anna.id, False, actor_id=root.id)
    assert accounts.authenticate(engine, "anna", PASSWORD, address="192.0.2.1").id == anna.id


def test_the_last_administrator_can_neither_revoke_nor_disable_themself(engine):
    root = account(engine, "root", admin=True)
    for change in (
        lambda: users.set_admin(engine, root.id, False, actor_id=root.id),
        lambda: users.set_disabled(engine, root.id, True, actor_id=root.id),
    ):
        with pytest.raises(users.UserChangeRefused, match="at least one active administrator"):
            change()
    assert users.active_admin_count(engine) == 1

    anna = account(engine, "anna")
    users.set_admin(engine, anna.id, True, actor_id=root.id)
    users.set_admin(engine, root.id, False, actor_id=root.id)
    assert [(info.username, info.is_admin) for info in users.list_users(engine)] == [("anna", True), ("root", False)]


def revoke(engine, target, actor, barrier, outcomes):
    barrier.wait()
    try:
        users.set_admin(engine, target.id, False, actor_id=actor.id)
        outcomes.append("revoked")
    except users.UserChangeRefused:
        outcomes.append("refused")


def test_two_administrators_revoking_each_other_at_once_leave_one(engine):
    for round_number in range(5):
        first, second = (make_user(engine, f"admin{round_number}{side}") for side in "ab")
        for user in (first, second):
            with session(engine) as db:
                row = db.get(User, user.id)
                row.is_admin = True
                db.add(row)
                db.commit()
        # Everyone else stops being an administrator: these two are the last ones.
        with session(engine) as db:
            for row in db.exec(
                User.__table__.select().where(User.is_admin, User.id.not_in([first.id, second.id]))
            ).all():
                stored = db.get(User, row.id)
                stored.is_admin = False
                db.add(stored)
            db.commit()
        barrier, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(target=revoke, args=(engine, first, second, barrier, outcomes)),
            threading.Thread(target=revoke, args=(engine, second, first, barrier, outcomes)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["refused", "revoked"]
        assert users.active_admin_count(engine) == 1


def test_a_reset_password_works_once_and_must_be_replaced_at_the_next_sign_in(fresh_services):
    engine = fresh_services.get_services().engine
    root, anna = account(engine, "root", admin=True), account(engine, "anna")
    old_session = sessions.start(engine, anna.id)
    temporary = users.reset_password(engine, anna.id, actor_id=root.id)
    assert sessions.user_for(engine, old_session) is None

    client = TestClient(create_api())
    signed_in = client.post(
        routes.SIGN_IN_ROUTE,
        data={"username": "anna", "password": temporary, "next": "/gallery"},
        headers={"origin": ORIGIN},
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == f"{ORIGIN}{routes.CHANGE_PASSWORD_PAGE}?notice=new-password"
    token = client.cookies[sessions.COOKIE_NAME]
    # That session opens nothing but the change of password.
    assert sessions.user_for(engine, token) is None

    def change(current, new, repeated):
        return client.post(
            routes.CHANGE_PASSWORD_ROUTE,
            data={"current_password": current, "new_password": new, "repeat_password": repeated},
            headers={"origin": ORIGIN},
            follow_redirects=False,
        ).headers["location"]

    assert change(temporary, temporary, temporary).endswith("error=password-same")
    assert change(temporary, "a new passphrase", "another one").endswith("error=password-mismatch")
    assert change("a wrong guess", "a new passphrase", "a new passphrase").endswith("error=wrong")
    assert change(temporary, "a new passphrase", "a new passphrase") == f"{ORIGIN}/"

    assert sessions.user_for(engine, token).id == anna.id
    assert accounts.authenticate(engine, "anna", "a new passphrase", address="192.0.2.1").id == anna.id
    entries = audit.page(engine, action=audit.USER_CHANGED).entries
    assert [(entry.detail, entry.old_value, entry.new_value) for entry in entries] == [
        ("password reset", '"********"', '"********"')
    ]
    assert temporary not in str([vars(entry) for entry in audit.page(engine).entries])


def test_ending_sessions_signs_an_account_out_everywhere(engine):
    root, anna = account(engine, "root", admin=True), account(engine, "anna")
    tokens = [sessions.start(engine, anna.id) for _ in range(3)]
    assert users.end_sessions(engine, anna.id, actor_id=root.id) == 3
    assert [sessions.user_for(engine, token) for token in tokens] == [None, None, None]


def test_search_finds_accounts_by_part_of_their_name(engine):
    for name in ("anna", "annabel", "bob", "jo_anne"):
        make_user(engine, name)
    assert [info.username for info in users.list_users(engine, "ann")] == ["anna", "annabel", "jo_anne"]
    assert [info.username for info in users.list_users(engine, "_")] == ["jo_anne"]
