import reflex as rx

from bildgen.components.i18n import t
from bildgen.i18n import LANGUAGES
from bildgen.state.session import SessionState


class DocumentLanguage(rx.Fragment):
    """Keeps <html lang> on the page's language (screen readers pronounce by it; the prerendered
    page says "en")."""

    def add_imports(self) -> dict:
        return {"react": "useEffect"}

    def add_hooks(self) -> list:
        language = SessionState.lang
        return [
            rx.Var(
                f"useEffect(() => {{ document.documentElement.lang = {language}; }}, [{language}])",
                _var_data=language._get_all_var_data(),
            )
        ]


def language_switch() -> rx.Component:
    """English / Deutsch, each named in its own language; remembered for the signed-in user."""
    return rx.fragment(
        DocumentLanguage.create(),
        rx.select.root(
            rx.select.trigger(aria_label=t("Language"), variant="ghost"),
            rx.select.content(*(rx.select.item(name, value=code) for code, name in LANGUAGES.items())),
            value=SessionState.lang,
            on_change=SessionState.choose_language,
            size="1",
        ),
    )
