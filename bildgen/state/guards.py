"""Who may call an event handler, declared on the handler instead of written into it.

Every public method of a state is an event the browser can send with any arguments, so each says who
may send it: `@signed_in` (anyone signed in), `@administrator` (an administrator, asked of the
database now) or `@public` (anyone, also signed out: it reads the catalog or changes only the tab's own
form, nothing stored and nobody's data). The guard runs before the handler and passes
the user in as `user` when the handler takes that parameter; the browser never sees (or sends) it:
the handler's signature, as Reflex reads it, leaves `user` out.

    @rx.event
    @signed_in
    async def delete(self, user: User, image_id: str): ...

Background handlers (`@rx.event(background=True)`) and the few that act for the user only on some
paths check inside (outside the tab's lock), and declare that with `@checks_inside`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from bildgen.store.models import User

# The attribute a declaration leaves on the handler: "signed-in", "administrator", "public", "inside".
GUARD = "_bildgen_guard"


def guard_of(handler: Callable[..., Any]) -> str | None:
    return getattr(handler, GUARD, None)


def _guarded(handler: Callable[..., Any], who: str, check: Callable[[Any], Any]) -> Callable[..., Any]:
    """The handler behind `check`: that answers the user, or what the handler returns instead."""
    signature = inspect.signature(handler)
    takes_user = "user" in signature.parameters

    def call(self: Any, user: User, args: tuple, kwargs: dict) -> Any:
        return handler(self, *args, **({"user": user, **kwargs} if takes_user else kwargs))

    if inspect.isasyncgenfunction(handler):

        @functools.wraps(handler)
        async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            user = await check(self)
            if not isinstance(user, User):
                yield user
                return
            async for update in call(self, user, args, kwargs):
                yield update

    else:

        @functools.wraps(handler)
        async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            user = await check(self)
            if not isinstance(user, User):
                return user
            return await call(self, user, args, kwargs)

    # What Reflex (and the browser) see: the handler's own parameters and annotations, without `user`.
    guarded.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[parameter for parameter in signature.parameters.values() if parameter.name != "user"]
    )
    guarded.__annotations__ = {key: value for key, value in handler.__annotations__.items() if key != "user"}
    setattr(guarded, GUARD, who)
    return guarded


async def _signed_in_user(state: Any) -> Any:
    user = await state._user()
    return user if user is not None else state._to_sign_in()


def signed_in(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Only for a signed-in user (asked of the database now); others are sent to sign in."""
    return _guarded(handler, "signed-in", _signed_in_user)


def administrator(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Only for an administrator: the state's `_administrator()` says why not (and sends a signed-out
    visitor to sign in), and the handler does not run."""
    return _guarded(handler, "administrator", lambda state: state._administrator())


def _declared(who: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def declare(handler: Callable[..., Any]) -> Callable[..., Any]:
        setattr(handler, GUARD, who)
        return handler

    return declare


# Anyone may call it, also signed out (signing in, switching the language, the tab's own form).
public = _declared("public")
# It asks who is calling itself, where it acts for them (background handlers: outside the tab's lock).
checks_inside = _declared("inside")
