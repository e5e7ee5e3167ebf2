"""German and English: every string of the interface translated, and each user served in theirs."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bildgen import i18n
from bildgen.auth import accounts

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{\w+\}")


def strings_in_the_code() -> set[str]:
    found = extract_from_dir(
        ROOT / "bildgen",
        method_map=[("**.py", "python")],
        keywords={"t": None, "_": None, "N_": None},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_string_of_the_interface_has_a_german_translation_with_the_same_placeholders():
    strings = strings_in_the_code()
    assert "Sign in" in strings  # the extraction itself works
    german = i18n.catalog("de")
    untranslated = [
        message for message in strings if (entry := german.get(message)) is None or not entry.string or entry.fuzzy
    ]
    assert untranslated == [], "run scripts/i18n, then translate these in bildgen/i18n/locales/de"
    mismatched = [
        message
        for message in strings
        if set(PLACEHOLDER.findall(message)) != set(PLACEHOLDER.findall(i18n.translate(message, "de")))
    ]
    assert mismatched == []


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de"),
        ("de-AT", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "en"),
        ("fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7", "de"),
        ("en;q=0.1, de;q=0.5", "de"),
        ("", "en"),
        ("de;q=0, en", "en"),
        ("🙂;q=x, ,;", "en"),
    ],
)
def test_the_browsers_preferred_supported_language_is_chosen(header, language):
    assert i18n.negotiate(header) == language


def test_server_messages_speak_the_language_of_the_user_being_answered():
    token = i18n.current_language.set("de")
    try:
        assert accounts.message("wrong") == "Benutzername oder Passwort ist falsch."
        assert accounts.message("password-short") == "Das Passwort muss mindestens 8 Zeichen haben."
    finally:
        i18n.current_language.reset(token)
    assert accounts.message("wrong") == "Wrong username or password."
    assert accounts.message("no-such-code") == ""


def test_dates_and_numbers_follow_the_language():
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 21, 14, 5, tzinfo=UTC)
    assert i18n.format_number(1234.5, "de") == "1.234,5"
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert "21.11.2026" in i18n.format_datetime(moment, "de")
    assert "Nov 21, 2026" in i18n.format_datetime(moment, "en")
