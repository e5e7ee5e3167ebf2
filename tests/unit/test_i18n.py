"""German and English: every string of the interface translated, and each user served in theirs."""

import ast
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


def plural_messages_in_the_code() -> set[tuple[str, str]]:
    found = extract_from_dir(
        ROOT / "bildgen", method_map=[("**.py", "python")], keywords={"tn": (1, 2), "ngettext": (1, 2)}
    )
    return {tuple(message) for _, _, message, _, _ in found}


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


def test_every_plural_message_has_both_german_forms_with_the_same_placeholders():
    messages = plural_messages_in_the_code()
    assert ("{count} image added to the board.", "{count} images added to the board.") in messages
    german = i18n.catalog("de")
    # components.i18n.tn picks the singular for exactly 1 in every language: true while all use n != 1.
    assert german.plural_expr == "(n != 1)"
    for singular, plural in messages:
        entry = german.get(singular)
        assert entry is not None and not entry.fuzzy and all(entry.string), singular
        for form in entry.string:
            assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(plural)), form


@pytest.mark.parametrize(
    ("count", "language", "message"),
    [
        (1, "en", "1 image added to the board."),
        (3, "en", "3 images added to the board."),
        (0, "en", "0 images added to the board."),
        (1, "de", "1 Bild zum Board hinzugefügt."),
        (3, "de", "3 Bilder zum Board hinzugefügt."),
    ],
)
def test_a_message_about_a_number_of_images_takes_the_form_for_that_number(count, language, message):
    token = i18n.current_language.set(language)
    try:
        said = i18n.ngettext("{count} image added to the board.", "{count} images added to the board.", count)
    finally:
        i18n.current_language.reset(token)
    assert said == message


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


@pytest.mark.parametrize(
    ("page_language", "accept_language", "language"),
    [
        # What the page requests preferred wins over a handshake header that differs.
        ("de", "en-US,en;q=0.9", "de"),
        ("en", "de-DE", "en"),
        # No cookie (an API client, a page served elsewhere): the header decides.
        (None, "de-DE,de;q=0.9", "de"),
        ("", "de-AT", "de"),
        ("klingon", "en", "en"),
    ],
)
def test_the_language_the_pages_preferred_beats_the_handshake_header(page_language, accept_language, language):
    assert i18n.browser_preference(page_language, accept_language) == language


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


# --- No visible English left bare in the components and pages ------------------------------------

# Reflex components whose positional arguments are text a reader sees (or hears, for labels).
VISIBLE_TEXT_CALLS = {
    "rx.text", "rx.text.strong", "rx.text.em", "rx.heading", "rx.button", "rx.link", "rx.badge",
    "rx.callout", "rx.callout.text", "rx.table.column_header_cell", "rx.table.row_header_cell",
    "rx.table.cell", "rx.menu.item", "rx.select.item", "rx.segmented_control.item", "rx.tabs.trigger",
    "rx.dialog.title", "rx.dialog.description", "rx.alert_dialog.title", "rx.alert_dialog.description",
    "rx.el.label", "rx.form.label", "rx.el.option", "rx.el.span", "rx.el.p", "rx.el.button", "rx.el.a",
    "rx.el.legend", "rx.el.figcaption", "rx.el.summary", "rx.checkbox", "rx.radio",
}  # fmt: skip
# Keyword arguments that are visible or accessible text, on any call.
VISIBLE_TEXT_KEYWORDS = {"placeholder", "aria_label", "title", "content", "alt", "header"}
# Parameters of bildgen's own component helpers that end up as visible text.
TEXT_PARAMETERS = {"label", "title", "hint", "tooltip", "description", "text", "heading", "empty_text"}
# Shown as they are in every language: the brand, keys, units and symbols.
SAME_IN_EVERY_LANGUAGE = {"bildgen", "Ctrl", "Enter", "Esc", "Z", "PNG", "JSON", "CSV", "px", "ID"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _literals(node: ast.expr, bound: dict[str, list[ast.Constant]]) -> list[ast.Constant]:
    """The string literals an expression shows: itself, f-string parts, both sides of a + or a
    conditional, the branches of rx.cond / rx.match, and names bound by a comprehension over literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.JoinedStr):
        return [part for part in node.values if isinstance(part, ast.Constant)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literals(node.left, bound) + _literals(node.right, bound)
    if isinstance(node, ast.IfExp):
        return _literals(node.body, bound) + _literals(node.orelse, bound)
    if isinstance(node, ast.Name):
        return bound.get(node.id, [])
    if isinstance(node, ast.Call) and _dotted(node.func) == "rx.cond":
        return [found for branch in node.args[1:] for found in _literals(branch, bound)]
    if isinstance(node, ast.Call) and _dotted(node.func) == "rx.match":
        shown = [case.elts[-1] if isinstance(case, ast.Tuple) else case for case in node.args[1:]]
        return [found for branch in shown for found in _literals(branch, bound)]
    return []


def _comprehension_bindings(tree: ast.AST) -> dict[int, dict[str, list[ast.Constant]]]:
    """For each comprehension over literal strings (or tuples of them): its names and their literals."""
    scopes: dict[int, dict[str, list[ast.Constant]]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            continue
        bound: dict[str, list[ast.Constant]] = {}
        for generator in node.generators:
            if not isinstance(generator.iter, ast.Tuple | ast.List):
                continue
            targets = generator.target.elts if isinstance(generator.target, ast.Tuple) else [generator.target]
            for position, target in enumerate(targets):
                if not isinstance(target, ast.Name):
                    continue
                for item in generator.iter.elts:
                    value = item.elts[position] if isinstance(item, ast.Tuple) and len(targets) > 1 else item
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        bound.setdefault(target.id, []).append(value)
        for inner in ast.walk(node):
            scopes[id(inner)] = bound
    return scopes


def _helper_parameters(trees: list[ast.AST]) -> dict[str, list[str]]:
    """The positional parameters of every function defined in the components and pages, by name."""
    return {
        node.name: [argument.arg for argument in node.args.args]
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }


def _shown_as_it_is(text: str) -> bool:
    stripped = text.strip()
    if not re.search(r"[^\W\d_]", stripped) or stripped in SAME_IN_EVERY_LANGUAGE:
        return True
    # Examples of what to type that are code in every language: addresses, JSON, sizes.
    return "://" in stripped or stripped.startswith("{") or re.fullmatch(r"[\d\sx,]+", stripped) is not None


def bare_visible_strings() -> list[str]:
    files = sorted((ROOT / "bildgen" / "components").glob("*.py")) + sorted((ROOT / "bildgen" / "pages").glob("*.py"))
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in files}
    helpers = _helper_parameters(list(trees.values()))
    found: list[str] = []
    for path, tree in trees.items():
        scopes = _comprehension_bindings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            bound = scopes.get(id(node), {})
            name = _dotted(node.func)
            shown: list[ast.expr] = [
                keyword.value for keyword in node.keywords if keyword.arg in VISIBLE_TEXT_KEYWORDS | TEXT_PARAMETERS
            ]
            if name in VISIBLE_TEXT_CALLS:
                shown += node.args
            elif name in helpers:
                shown += [
                    arg
                    for arg, parameter in zip(node.args, helpers[name], strict=False)
                    if parameter in TEXT_PARAMETERS
                ]
            for literal in (found for expression in shown for found in _literals(expression, bound)):
                if not _shown_as_it_is(literal.value):
                    found.append(f"{path.relative_to(ROOT)}:{literal.lineno}: {literal.value!r}")
    return sorted(set(found))


def test_no_visible_text_in_the_components_and_pages_is_left_untranslated():
    """Every string a reader sees or a screen reader says goes through t(); only the brand, keys and
    symbols may stand bare."""
    assert bare_visible_strings() == []


def test_the_check_for_bare_text_finds_what_it_should(tmp_path, monkeypatch):
    # The detector itself: a bare label, an f-string, a cond branch, a keyword and a comprehension are found.
    source = """
import reflex as rx
def view(): return rx.vstack(
    rx.button("Save"), rx.text(f"{n} images"), rx.badge(rx.cond(x, "On", "Off")), rx.input(placeholder="Name"),
    *[rx.table.column_header_cell(title) for title in ("Time", "Event")],
    rx.button(t("Fine")), rx.text("·"), rx.text("bildgen"), rx.code("steps"),
)
"""
    tree = ast.parse(source)
    scopes = _comprehension_bindings(tree)
    flagged = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            shown = [kw.value for kw in node.keywords if kw.arg in VISIBLE_TEXT_KEYWORDS]
            if _dotted(node.func) in VISIBLE_TEXT_CALLS:
                shown += node.args
            for literal in (f for e in shown for f in _literals(e, scopes.get(id(node), {}))):
                if not _shown_as_it_is(literal.value):
                    flagged.add(literal.value.strip())
    assert flagged == {"Save", "images", "On", "Off", "Name", "Time", "Event"}


def test_a_stored_error_is_shown_in_the_readers_language_with_the_services_own_words():
    from bildgen.inference.errors import ErrorKind, InferenceError, in_language

    stored = InferenceError(ErrorKind.BUSY, server_said="queue full (42 waiting)").english_message
    token = i18n.current_language.set("de")
    try:
        shown = in_language(stored)
        not_ours = in_language("CUDA out of memory")
    finally:
        i18n.current_language.reset(token)
    assert shown == (
        "Der Inferenzserver ist mit anderen Anfragen beschäftigt. Versuchen Sie es gleich noch einmal."
        " Der Server meldete: queue full (42 waiting)"
    )
    assert not_ours == "CUDA out of memory"
    assert in_language(stored) == stored  # English readers get it as it was stored


def test_no_marked_string_hides_inside_an_f_string():
    """Babel does not read inside f-strings: a t("…") or _("…") there never reaches the catalog."""
    hidden = []
    for path in sorted((ROOT / "bildgen").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and _dotted(inner.func) in {"t", "_", "N_"}
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}: {inner.args[0].value!r}")
    assert hidden == []
