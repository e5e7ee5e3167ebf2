"""Creating accounts and checking sign-ins."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy
from sqlmodel import select

from bildgen.auth import audit, passwords, throttle
from bildgen.auth.single_sign_on import Identity
from bildgen.groups import core as groups
from bildgen.i18n import N_, _
from bildgen.store.db import session, storage_errors
from bildgen.store.models import ExternalIdentity, FirstAccount, User

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")

# What the sign-in and sign-up pages may say, by code: URLs carry codes, never free text.
MESSAGES = {
    # One message for an unknown name and a wrong password: it must not tell which accounts exist.
    "wrong": N_("Wrong username or password."),
    "wait": N_("Too many failed sign-ins. Wait a little, then try again."),
    "username": N_("A username has 3 to 40 characters: letters, digits, dots, dashes or underscores."),
    "password-short": N_("The password must have at least {min} characters."),
    "password-long": N_("The password must have at most {max} characters."),
    "taken": N_("That username is taken."),
    "closed": N_("Creating accounts is switched off here. Ask the administrator for an account."),
    "origin": N_("The form was sent from another site and was refused."),
    "signed-out": N_("You are signed out."),
    "disabled": N_("This account has been disabled. Ask an administrator if you need it again."),
    "new-password": N_("Choose a new password: an administrator reset yours."),
    "password-same": N_("The new password must differ from the temporary one."),
    "password-mismatch": N_("The two new passwords differ. Type the same one twice."),
    "password-changed": N_("Your password is changed."),
    "sso-only": N_("This organisation signs in through its own sign-in service: use the button below."),
    "sso-unavailable": N_(
        "The organisation's sign-in service is not answering. Try again in a few minutes; if it keeps happening,"
        " tell the administrator."
    ),
    "sso-refused": N_(
        "The organisation's sign-in service sent an answer bildgen cannot trust, so you were not signed in."
        " Try again; if it keeps happening, tell the administrator."
    ),
    "sso-expired": N_("That sign-in took too long or was already used. Start again."),
    "sso-denied": N_("The organisation's sign-in service did not sign you in."),
    "storage": N_(
        "bildgen cannot store anything right now (its database or disk is not answering)."
        " Try again in a few minutes; if it keeps happening, tell the administrator."
    ),
    "storage-sign-out": N_(
        "This browser is signed out, but bildgen cannot store anything right now, so the session could not be"
        " ended on the server as well. Tell the administrator if this keeps happening."
    ),
}


def message(code: str) -> str:
    """What the page says for a code, in the current user's language; "" for an unknown code."""
    template = MESSAGES.get(code)
    return _(template).format(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH) if template else ""


class AccountError(ValueError):
    """Why an account cannot be created; `code` is a key of MESSAGES."""

    def __init__(self, code: str) -> None:
        super().__init__(message(code))
        self.code = code


class SignInRefused(ValueError):
    def __init__(self, code: str, wait_s: int = 0) -> None:
        super().__init__(message(code))
        self.code = code
        self.wait_s = wait_s


def normalise(username: str) -> str:
    return username.strip().lower()


def create_account(
    engine: sqlalchemy.Engine,
    username: str,
    password: str,
    *,
    signup_open: bool,
    admin_username: str | None,
    address: str | None = None,
) -> User:
    name = normalise(username)
    if not USERNAME.fullmatch(name):
        raise AccountError("username")
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError("password-short")
    if len(password) > passwords.MAX_LENGTH:
        raise AccountError("password-long")
    first = no_account_yet(engine)
    # Refused before argon2 runs, so refused sign-ups cost no hashing; the transaction below checks again.
    if not first and not signup_open:
        raise AccountError("closed")
    if _find(engine, name) is not None:
        raise AccountError("taken")
    # Hashed before the transaction: argon2's fraction of a second must not hold SQLite's write lock.
    password_hash = passwords.hash_password(password)
    user = _insert(engine, name, password_hash, first=first, signup_open=signup_open, admin_username=admin_username)
    _record_created(engine, user, address)
    return user


def _insert(
    engine: sqlalchemy.Engine,
    name: str,
    password_hash: str,
    *,
    first: bool,
    signup_open: bool,
    admin_username: str | None,
    email: str | None = None,
) -> User:
    """The account's row; the first account ever made claims the administrator's place."""
    while True:
        if not first and not signup_open:
            raise AccountError("closed")
        admin = name == normalise(admin_username) if admin_username else first
        user = User(username=name, password_hash=password_hash, is_admin=admin, email=email)
        with session(engine) as db:
            try:
                db.add(user)
                db.flush()  # the user row first: the claim refers to it
                if first:
                    db.add(FirstAccount(user_id=user.id))
                db.commit()
            except sqlalchemy.exc.IntegrityError:
                db.rollback()
                if db.exec(select(User.id).where(User.username == name)).first() is not None:
                    raise AccountError("taken") from None
                if not first:
                    raise
                # Another sign-up claimed "first" at the same moment: this one is an ordinary account.
                first = False
                continue
        return user


def _record_created(engine: sqlalchemy.Engine, user: User, address: str | None) -> None:
    audit.record(
        engine,
        action=audit.ACCOUNT_CREATED,
        actor_id=user.id,
        target=user.username,
        detail=N_("administrator") if user.is_admin else None,
        address=address,
    )


def no_account_yet(engine: sqlalchemy.Engine) -> bool:
    with session(engine) as db:
        return db.get(FirstAccount, 1) is None


def _find(engine: sqlalchemy.Engine, name: str) -> User | None:
    with session(engine) as db:
        return db.exec(select(User).where(User.username == name)).first()


def authenticate(engine: sqlalchemy.Engine, username: str, password: str, *, address: str) -> User:
    name = normalise(username)
    keys = throttle.Keys.of(name, address)
    # The token is taken before the password is checked: simultaneous guesses cannot all get a check.
    wait = throttle.reserve(engine, keys)
    user = _find(engine, name)
    # An account's name is recorded; a name no account has may be a password typed in the wrong field.
    target = user.username if user else "unknown account"
    if wait:
        audit.record_repeated(engine, action=audit.SIGN_IN_THROTTLED, target=target, address=address)
        raise SignInRefused("wait", wait_s=wait)
    if len(password) > passwords.MAX_LENGTH or not passwords.verify(user.password_hash if user else None, password):
        audit.record(engine, action=audit.SIGN_IN_FAILED, target=target, address=address)
        raise SignInRefused("wrong")
    throttle.succeeded(engine, keys)
    if user.disabled:
        # Said only after the right password: guessers learn nothing about the account.
        audit.record_repeated(engine, action=audit.SIGN_IN_DISABLED, target=target, address=address)
        raise SignInRefused("disabled")
    if passwords.needs_rehash(user.password_hash):
        with session(engine) as db:
            stored = db.get(User, user.id)
            stored.password_hash = passwords.hash_password(password)
            db.add(stored)
            db.commit()
    audit.record(engine, action=audit.SIGN_IN, actor_id=user.id, target=user.username, address=address)
    return user


def set_language(engine: sqlalchemy.Engine, user_id: str, language: str) -> None:
    with storage_errors(), session(engine) as db:
        user = db.get(User, user_id)
        if user is not None:
            user.language = language
            db.commit()


def change_password(
    engine: sqlalchemy.Engine, user_id: str, current: str, new: str, repeated: str, *, address: str | None = None
) -> None:
    """The signed-in user's new password (after an administrator's reset, or at will). Raises
    AccountError; every other session of the account is the caller's to end."""
    with session(engine) as db:
        user = db.get(User, user_id)
    if user is None or len(current) > passwords.MAX_LENGTH or not passwords.verify(user.password_hash, current):
        raise AccountError("wrong")
    if new != repeated:
        raise AccountError("password-mismatch")
    if len(new) < passwords.MIN_LENGTH:
        raise AccountError("password-short")
    if len(new) > passwords.MAX_LENGTH:
        raise AccountError("password-long")
    if new == current:
        raise AccountError("password-same")
    password_hash = passwords.hash_password(new)
    with storage_errors(), session(engine) as db:
        stored = db.get(User, user_id)
        stored.password_hash, stored.must_change_password = password_hash, False
        db.add(stored)
        db.commit()
    audit.record(engine, action=audit.PASSWORD_CHANGED, actor_id=user_id, target=user.username, address=address)


def _username_for(engine: sqlalchemy.Engine, identity: Identity) -> str:
    """A free username from what the provider calls the person: preferred name, else e-mail's local part."""
    wanted = identity.preferred_username or (identity.email or "").split("@")[0]
    base = re.sub(r"[^a-z0-9._-]+", "-", normalise(wanted)).strip("._-")[:34]
    if len(base) < 3:
        base = "user-" + hashlib.sha256(identity.subject.encode()).hexdigest()[:8]
    with session(engine) as db:
        taken = set(db.exec(select(User.username).where(User.username.startswith(base))).all())
    candidates = [base] + [f"{base}-{number}" for number in range(2, 1000)]
    return next(name for name in candidates if name not in taken)


def sign_in_with_identity(
    engine: sqlalchemy.Engine,
    identity: Identity,
    *,
    admin_group: str | None,
    admin_username: str | None,
    address: str | None = None,
) -> User:
    """The account a person the provider vouched for signs in to: the one linked to them, else the one
    with their verified e-mail address (then linked), else a new one. Raises SignInRefused."""
    email = identity.email.strip().lower() if identity.email and identity.email_verified else None
    with session(engine) as db:
        link = db.get(ExternalIdentity, (identity.issuer, identity.subject))
        user = db.get(User, link.user_id) if link else None
        if user is None and email:
            user = db.exec(select(User).where(User.email == email)).first()
    if user is None:
        user = _insert(
            engine,
            _username_for(engine, identity),
            passwords.NO_PASSWORD,
            first=no_account_yet(engine),
            signup_open=True,  # the provider decides who may sign in
            admin_username=admin_username,
            email=email,
        )
        _record_created(engine, user, address)
    if user.disabled:
        audit.record_repeated(engine, action=audit.SIGN_IN_DISABLED, target=user.username, address=address)
        raise SignInRefused("disabled")
    with session(engine) as db:
        stored = db.get(User, user.id)
        if db.get(ExternalIdentity, (identity.issuer, identity.subject)) is None:
            db.add(ExternalIdentity(issuer=identity.issuer, subject=identity.subject, user_id=user.id))
        if email and stored.email is None and db.exec(select(User.id).where(User.email == email)).first() is None:
            stored.email = email
        if admin_group is not None:
            stored.is_admin = admin_group in identity.groups
        db.add(stored)
        db.commit()
        db.refresh(stored)
        user = stored
    # Group membership follows the provider's groups claim (bildgen/groups/core.py).
    groups.join_claimed(engine, user.id, identity.groups)
    audit.record(
        engine,
        action=audit.SIGN_IN,
        actor_id=user.id,
        target=user.username,
        detail=N_("single sign-on"),
        address=address,
    )
    return user
