import threading
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest
import sqlalchemy
from sqlmodel import select

from bildgen.auth import accounts, passwords
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.models import User


def create(engine, name="anna", password="correct horse", *, signup_open=True, admin=None):
    return accounts.create_account(engine, name, password, signup_open=signup_open, admin_username=admin)


def stored_hash(engine, name="anna") -> str:
    with session(engine) as db:
        return db.exec(select(User).where(User.username == name)).one().password_hash


def test_the_stored_hash_is_argon2id_at_or_above_owasps_minimum(engine):
    create(engine)
    parameters = argon2.extract_parameters(stored_hash(engine))
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2 and parameters.parallelism == 1
    assert "correct horse" not in stored_hash(engine)


def test_the_first_account_is_the_administrator_and_later_ones_are_not(engine):
    assert create(engine, "first").is_admin
    assert not create(engine, "second").is_admin


def test_an_account_named_by_the_configuration_is_the_administrator(engine):
    assert not create(engine, "first", admin="boss").is_admin
    assert create(engine, "Boss", admin="boss").is_admin


def test_closed_sign_up_still_lets_the_first_account_in_then_refuses(engine):
    assert create(engine, "first", signup_open=False).is_admin
    with pytest.raises(accounts.AccountError) as caught:
        create(engine, "second", signup_open=False)
    assert caught.value.code == "closed"


@pytest.mark.parametrize(
    ("name", "password", "code"),
    [
        ("ab", "long enough", "username"),
        ("has space", "long enough", "username"),
        ("anna", "short", "password-short"),
        ("anna", "x" * 1025, "password-long"),
    ],
)
def test_bad_names_and_passwords_are_refused_with_their_reason(engine, name, password, code):
    with pytest.raises(accounts.AccountError) as caught:
        create(engine, name, password)
    assert caught.value.code == code


def test_usernames_are_case_insensitive_and_unique(engine):
    create(engine, "Anna")
    with pytest.raises(accounts.AccountError) as caught:
        create(engine, "ANNA")
    assert caught.value.code == "taken"
    assert accounts.authenticate(engine, "aNNa", "correct horse", address="10.0.0.1").username == "anna"


def test_a_1024_character_password_works(engine):
    create(engine, password="p" * 1024)
    assert accounts.authenticate(engine, "anna", "p" * 1024, address="a").username == "anna"


def test_unknown_user_and_wrong_password_get_the_same_answer(engine):
    create(engine)
    answers = []
    for name, password in (("anna", "wrong password"), ("nobody", "wrong password")):
        with pytest.raises(accounts.SignInRefused) as caught:
            accounts.authenticate(engine, name, password, address="a")
        answers.append((caught.value.code, str(caught.value)))
    assert answers[0] == answers[1] == ("wrong", "Wrong username or password.")


def test_a_hash_with_old_parameters_is_replaced_on_sign_in(engine, monkeypatch):
    weak = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    create(engine)
    with session(engine) as db:
        user = db.exec(select(User)).one()
        user.password_hash = weak.hash("correct horse")
        db.add(user)
        db.commit()
    accounts.authenticate(engine, "anna", "correct horse", address="a")
    assert argon2.extract_parameters(stored_hash(engine)).memory_cost == passwords.MEMORY_COST_KIB


def test_simultaneous_first_sign_ups_make_exactly_one_administrator(engine):
    names = ["first", "second", "third", "fourth"]
    start = threading.Barrier(len(names))

    def sign_up(name):
        start.wait()
        return create(engine, name)

    with ThreadPoolExecutor(len(names)) as pool:
        created = list(pool.map(sign_up, names))
    assert sum(user.is_admin for user in created) == 1
    with session(engine) as db:
        assert len(db.exec(select(User).where(User.is_admin)).all()) == 1


def test_closed_sign_up_lets_only_one_of_simultaneous_first_sign_ups_in(engine):
    names = ["first", "second", "third"]
    start = threading.Barrier(len(names))

    def sign_up(name):
        start.wait()
        try:
            return create(engine, name, signup_open=False).username
        except accounts.AccountError as error:
            return error.code

    with ThreadPoolExecutor(len(names)) as pool:
        outcomes = list(pool.map(sign_up, names))
    assert sorted(outcomes).count("closed") == 2
    with session(engine) as db:
        assert len(db.exec(select(User)).all()) == 1


def test_a_database_upgraded_with_accounts_in_it_gets_no_second_administrator(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO user (id, username, password_hash, is_admin, created_at)"
                " VALUES ('u1', 'boss', 'x', 1, '2026-01-01 00:00:00')"
            )
        )
    migrate(engine)
    assert not create(engine, "newcomer").is_admin
    with pytest.raises(accounts.AccountError) as caught:
        create(engine, "another", signup_open=False)
    assert caught.value.code == "closed"
