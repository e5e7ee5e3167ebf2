"""Creating accounts and checking sign-ins."""

from __future__ import annotations

import re

import sqlalchemy
from sqlmodel import func, select

from bildgen.auth import passwords, throttle
from bildgen.store.db import session
from bildgen.store.models import User

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")

# What the sign-in and sign-up pages may say, by code: URLs carry codes, never free text.
MESSAGES = {
    # One message for an unknown name and a wrong password: it must not tell which accounts exist.
    "wrong": "Wrong username or password.",
    "wait": "Too many failed sign-ins. Wait a little, then try again.",
    "username": "A username has 3 to 40 characters: letters, digits, dots, dashes or underscores.",
    "password-short": f"The password must have at least {passwords.MIN_LENGTH} characters.",
    "password-long": f"The password must have at most {passwords.MAX_LENGTH} characters.",
    "taken": "That username is taken.",
    "closed": "Creating accounts is switched off here. Ask the administrator for an account.",
    "origin": "The form was sent from another site and was refused.",
    "signed-out": "You are signed out.",
}


class AccountError(ValueError):
    """Why an account cannot be created; `code` is a key of MESSAGES."""

    def __init__(self, code: str) -> None:
        super().__init__(MESSAGES[code])
        self.code = code


class SignInRefused(ValueError):
    def __init__(self, code: str, wait_s: int = 0) -> None:
        super().__init__(MESSAGES[code])
        self.code = code
        self.wait_s = wait_s


def normalise(username: str) -> str:
    return username.strip().lower()


def create_account(
    engine: sqlalchemy.Engine, username: str, password: str, *, signup_open: bool, admin_username: str | None
) -> User:
    name = normalise(username)
    if not USERNAME.fullmatch(name):
        raise AccountError("username")
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError("password-short")
    if len(password) > passwords.MAX_LENGTH:
        raise AccountError("password-long")
    with session(engine) as db:
        first = db.exec(select(func.count()).select_from(User)).one() == 0
        if not first and not signup_open:
            raise AccountError("closed")
        if db.exec(select(User).where(User.username == name)).first() is not None:
            raise AccountError("taken")
        admin = name == normalise(admin_username) if admin_username else first
        user = User(username=name, password_hash=passwords.hash_password(password), is_admin=admin)
        db.add(user)
        try:
            db.commit()
        except sqlalchemy.exc.IntegrityError:
            raise AccountError("taken") from None
        return user


def authenticate(engine: sqlalchemy.Engine, username: str, password: str, *, address: str) -> User:
    name = normalise(username)
    keys = throttle.Keys.of(name, address)
    wait = throttle.seconds_to_wait(engine, keys)
    if wait:
        raise SignInRefused("wait", wait_s=wait)
    with session(engine) as db:
        user = db.exec(select(User).where(User.username == name)).first()
    if len(password) > passwords.MAX_LENGTH or not passwords.verify(user.password_hash if user else None, password):
        throttle.record_failure(engine, keys)
        raise SignInRefused("wrong")
    throttle.record_success(engine, keys)
    if passwords.needs_rehash(user.password_hash):
        with session(engine) as db:
            stored = db.get(User, user.id)
            stored.password_hash = passwords.hash_password(password)
            db.add(stored)
            db.commit()
    return user
