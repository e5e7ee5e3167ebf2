"""`t`: a string of the interface in the reader's language.

Both languages are compiled into the page and chosen by `SessionState.lang`, so switching language
is instant and accessible names follow it. Placeholders take state vars:
`t("{count} images", count=StudioState.count)`.
"""

from __future__ import annotations

import re

import reflex as rx

from bildgen.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
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
