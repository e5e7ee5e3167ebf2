"""Who is signed in, resolved from the HttpOnly session cookie on every event that needs it.

The cookie reaches the backend with the websocket's opening request; nothing in the browser can
read it. Each check asks the database again, so signing out anywhere takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

import reflex as rx

from bildgen import i18n, routes
from bildgen.auth import accounts, audit, sessions
from bildgen.clients import address_behind_proxies
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public
from bildgen.store.models import User

logger = logging.getLogger(__name__)


async def user_for_token(token: str | None) -> User | None:
    """The user a session token belongs to, looked up off the event loop. Background tasks take the
    token inside `async with self` and look it up here, outside the state's lock."""
    services = await asyncio.to_thread(get_services)
    return await asyncio.to_thread(sessions.user_for, services.engine, token)


class SessionState(rx.State):
    username: str = ""
    is_admin: bool = False
    # The interface language: the user's choice, else what the browser prefers (i18n.negotiate).
    lang: str = i18n.DEFAULT_LANGUAGE
    # Chosen in this tab with the switch (before signing in, too); beats the browser's preference.
    _chosen_language: str = ""

    def _session_token(self) -> str | None:
        return sessions.token_from_cookie_header(self.router.headers.cookie)

    async def _user(self) -> User | None:
        """The signed-in user, asked of the database off the event loop (every event, so that a
        sign-out anywhere takes effect at once). Also sets the language this event answers in."""
        user = await user_for_token(self._session_token())
        self.username = user.username if user else ""
        self.is_admin = bool(user and user.is_admin)
        self._use_language(user)
        return user

    def _use_language(self, user: User | None) -> None:
        chosen = i18n.supported(user.language) if user else None
        self.lang = chosen or self._chosen_language or self._browser_language()
        i18n.current_language.set(self.lang)

    def _browser_language(self) -> str:
        headers = self.router.headers
        page_language = sessions.cookie_value(headers.cookie, i18n.BROWSER_LANGUAGE_COOKIE)
        return i18n.browser_preference(page_language, headers.accept_language)

    def _in_tab_language(self) -> None:
        """For events that do not ask who is signed in, and background tasks (call it inside
        `async with self`): messages built from here on speak this tab's language."""
        i18n.current_language.set(self.lang)

    @rx.event
    @checks_inside
    async def choose_language(self, language: str):
        """The switch in the header: at once in this tab, and remembered for the signed-in user."""
        chosen = i18n.supported(language)
        if chosen is None:
            return
        self.lang = self._chosen_language = chosen
        i18n.current_language.set(chosen)
        user = await user_for_token(self._session_token())
        if user is not None:
            await asyncio.to_thread(accounts.set_language, get_services().engine, user.id, chosen)

    async def _record_refused(self, user_id: str, kind: str, object_id: str) -> None:
        """A foreign id sent in an event: into the audit log if it is someone else's (not if missing)."""
        try:
            await asyncio.to_thread(
                audit.record_refused_access,
                get_services().engine,
                user_id=user_id,
                kind=kind,
                object_id=object_id,
                address=self._client_address(),
            )
        except Exception:  # the user's answer does not depend on the log
            logger.exception("recording a refused access failed")

    def _client_address(self) -> str:
        """The browser's address for the audit log, as the sign-in routes take it."""
        return address_behind_proxies(
            self.router.session.client_ip or "unknown",
            [self.router.headers.raw_headers.get("x-forwarded-for", "")],
            get_services().settings.trusted_proxy_hops,
        )

    def _to_sign_in(self) -> rx.event.EventSpec:
        here = self.router.url.path or routes.STUDIO
        return rx.redirect(f"{routes.SIGN_IN_PAGE}?{urlencode({'next': here})}", replace=True)


class SignInPageState(rx.State):
    """What the sign-in and sign-up pages say after a refused attempt; codes only, never URL text."""

    message: str = ""
    notice: str = ""
    next_path: str = routes.STUDIO
    signup_open: bool = True
    # Nobody has an account yet: the one made now administers bildgen (unless BILDGEN_ADMIN names another).
    first_account: bool = False
    # Single sign-on: the provider's name on the button ("" when there is none), where the button
    # leads, and whether local passwords are off.
    sso_label: str = ""
    sso_href: str = ""
    passwords_off: bool = False

    @rx.event
    @public
    async def load(self):
        query = self.router.url.query_parameters
        session = await self.get_state(SessionState)
        session._use_language(None)  # nobody is signed in here: the tab's choice or the browser's
        self.message = accounts.message(query.get("error", ""))
        self.notice = accounts.message(query.get("notice", ""))
        self.next_path = query.get("next", routes.STUDIO)
        services = await asyncio.to_thread(get_services)
        sso = services.settings.sso
        self.sso_label = sso.label if sso else ""
        self.sso_href = f"{routes.SSO_START_ROUTE}?{urlencode({'next': self.next_path})}"
        self.passwords_off = bool(sso and sso.only)
        self.signup_open = services.settings.signup_open and not self.passwords_off
        self.first_account = not services.settings.admin_username and await asyncio.to_thread(
            accounts.no_account_yet, services.engine
        )
