"""`t`: a string of the interface in the reader's language.

Both languages are compiled into the page and chosen by `SessionState.lang`, so switching language
is instant and accessible names follow it. Placeholders take state vars:
`t("{count} images", count=StudioState.count)`.
"""

from __future__ import annotations

import re

import reflex as rx

from bildgen.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate, translate_plural
from bildgen.state.session import SessionState

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _filled(template: str, values: dict[str, object]) -> rx.Var | str:
    if not values:
        return template
    pieces: list[rx.Var | str] = []
    for index, piece in enumerate(_PLACEHOLDER.split(template)):
        if index % 2:
            value = values[piece]
            pieces.append(value.to(str) if isinstance(value, rx.Var) else str(value))
        elif piece:
            pieces.append(piece)
    result: rx.Var = rx.Var.create("")
    for piece in pieces:
        result = result + piece
    return result


def t(message: str, **values: object) -> rx.Var | str:
    text: rx.Var | str = _filled(message, values)
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            translated = translate(message, language)
            if translated != message:
                text = rx.cond(SessionState.lang == language, _filled(translated, values), text)
    return text


def tn(singular: str, plural: str, count: rx.Var, **values: object) -> rx.Var:
    """`t` for a message about `count` things: "1 image selected", "2 images selected". Both supported
    languages use the singular for exactly one (Plural-Forms: n != 1; tests/unit/test_i18n.py checks)."""
    values = {"count": count, **values}

    def in_language(language: str) -> rx.Var:
        one, other = (_filled(translate_plural(singular, plural, n, language), values) for n in (1, 2))
        return rx.cond(count == 1, one, other)

    text = in_language(DEFAULT_LANGUAGE)
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            text = rx.cond(SessionState.lang == language, in_language(language), text)
    return text
