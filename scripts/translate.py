"""Fill translations into a catalog from a JSON object {"English": "Übersetzung", …}.

    .venv/bin/python scripts/translate.py de translations.json

Strings not in the catalog are reported (run scripts/i18n first); existing translations are replaced.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES_DIR = Path(__file__).resolve().parents[1] / "bildgen" / "i18n" / "locales"

language, source = sys.argv[1], sys.argv[2]
path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
with path.open("rb") as file:
    catalog = read_po(file, locale=language)
unknown = []
for english, translated in json.loads(open(source, encoding="utf-8").read()).items():
    message = catalog.get(english)
    if message is None:
        unknown.append(english)
        continue
    message.string = translated
    message.flags.discard("fuzzy")
with path.open("wb") as file:
    write_po(file, catalog, width=0, omit_header=False, sort_output=True)
missing = [message.id for message in catalog if message.id and not message.string]
print(f"{len(missing)} untranslated; not in the catalog: {unknown}")
