"""German and English: gettext catalogs (Babel), the language a user gets, and their dates and numbers.

The source strings are English and are their own message ids. Components mark them with
`components.i18n.t` (both translations go into the built page, so switching needs no reload);
server-side messages (a state's notice, a refusal) with `_`, which translates into the language of
the user whose event is being handled (`current_language`, set by `SessionState`). Catalogs live in
`locales/<lang>/LC_MESSAGES/messages.po`; `scripts/i18n` extracts new strings into them.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
# The language negotiated from the browser's page requests (bildgen.http.language sets it): what the
# browser prefers, whatever Accept-Language its websocket handshake sends.
BROWSER_LANGUAGE_COOKIE = "bildgen_browser_language"
LOCALES_DIR = Path(__file__).with_name("locales")

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("current_language", default=DEFAULT_LANGUAGE)


def supported(language: object) -> str | None:
    return language if isinstance(language, str) and language in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The supported language a browser prefers most (its Accept-Language header), else English."""
    preferred: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            preferred.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(preferred):
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def browser_preference(page_language: str | None, accept_language: str | None) -> str:
    """The language for someone who has chosen none: what the browser's page requests preferred
    (the cookie), else this request's Accept-Language header, else English."""
    return supported(page_language) or negotiate(accept_language)


@functools.cache
def catalog(language: str) -> Catalog | None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return None
    with path.open("rb") as file:
        return read_po(file, locale=language)


def translate(message: str, language: str) -> str:
    """The message in that language; the English source where no translation exists (never empty)."""
    messages = catalog(language) if language != DEFAULT_LANGUAGE else None
    entry = messages.get(message) if messages is not None else None
    if entry is None or entry.fuzzy or not entry.string:
        return message
    return entry.string if isinstance(entry.string, str) else entry.string[0]


@functools.cache
def _plural_translations(language: str) -> gettext.NullTranslations:
    """The catalog compiled for gettext, which picks a plural form by the catalog's Plural-Forms rule
    (fuzzy and untranslated entries fall back to the English source)."""
    messages = catalog(language) if language != DEFAULT_LANGUAGE else None
    if messages is None:
        return gettext.NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translate_plural(singular: str, plural: str, count: int, language: str) -> str:
    """The form of the message for `count` in that language ("1 image", "2 images"; "1 Bild", "2 Bilder")."""
    return _plural_translations(language).ngettext(singular, plural, count)


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """`_` for a message about a number of things: its singular or plural form (in the current user's
    language), with {count} and the other placeholders filled in."""
    text = translate_plural(singular, plural, count, current_language.get())
    return text.format(count=count, **values)


def N_(message: str) -> str:
    """Marks a constant for the catalogs without translating it yet (it is translated where shown)."""
    return message


def _(message: str, **values: object) -> str:
    """A server-side message in the current user's language, with {placeholders} filled in."""
    text = translate(message, current_language.get())
    return text.format(**values) if values else text


def format_datetime(moment: datetime, language: str, *, format: str = "medium") -> str:
    return dates.format_datetime(moment, format=format, locale=Locale.parse(language))


def format_utc(moment: datetime, language: str | None = None, *, seconds: bool = False) -> str:
    """A time bildgen stored (UTC) for reading, said to be UTC: "Nov 21, 2026, 2:05 PM UTC",
    "21.11.2026, 14:05 UTC". In the current user's language unless one is given."""
    locale = Locale.parse(language or current_language.get())
    moment = moment if moment.tzinfo is None else moment.astimezone(UTC)  # naive ones are UTC already
    if seconds:
        return f"{dates.format_datetime(moment, 'medium', locale=locale)} UTC"
    day, time = dates.format_date(moment, "medium", locale=locale), dates.format_time(moment, "short", locale=locale)
    return dates.get_datetime_format("medium", locale=locale).replace("{1}", day).replace("{0}", time) + " UTC"


def format_ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago, in the current user's language: "3 minutes ago", "vor 3 Minuten"."""
    elapsed = (now or datetime.now(UTC)) - moment
    return dates.format_timedelta(-elapsed, add_direction=True, locale=Locale.parse(current_language.get()))


def format_number(number: float, language: str | None = None, *, decimals: int | None = None) -> str:
    """Grouped and with the language's decimal sign (the current user's language unless given);
    `decimals` fixes the places shown (money: 2)."""
    pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    return numbers.format_decimal(number, format=pattern, locale=Locale.parse(language or current_language.get()))
