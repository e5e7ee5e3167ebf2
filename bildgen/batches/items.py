"""A batch's items as the user gives them: pasted lines, a CSV file, or JSON in the flow document's
`images` shape. Everything is kept as typed text ("" = not given) until bildgen.batches.plan checks
it against the chosen models, exactly as the studio form's fields are.

Input is untrusted: its size, the number of items and each prompt's length are capped, and every
row that cannot be read is named in a message instead of failing the whole file.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bildgen import i18n
from bildgen.i18n import N_, _

MAX_ITEMS = 1000
MAX_PROMPT_CHARS = 2000
MAX_FIELD_CHARS = 2000
MAX_INPUT_BYTES = 2 * 1024 * 1024
FIELDS = ("negative_prompt", "width", "height", "steps", "guidance", "seed", "count", "model")

# The flow document's names (negativePrompt, guidanceScale, batchSize, baseModel), snake_case and a few
# common spellings, compared without case, spaces, dashes or underscores.
_ALIASES = {
    "prompt": "prompt",
    "negativeprompt": "negative_prompt",
    "negative": "negative_prompt",
    "width": "width",
    "height": "height",
    "steps": "steps",
    "numinferencesteps": "steps",
    "guidance": "guidance",
    "guidancescale": "guidance",
    "cfgscale": "guidance",
    "truecfgscale": "guidance",
    "seed": "seed",
    "count": "count",
    "batchsize": "count",
    "images": "count",
    "n": "count",
    "model": "model",
    "basemodel": "model",
    "size": "size",
}
# Fields of the flow document that bildgen has no use for: mentioned once, never an error.
_IGNORED = {"trainingid", "scale", "precision", "inferencepackid", "name", "id", "type", "description"}
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]\s+|\d{1,4}[.)]\s+)")


@dataclasses.dataclass(frozen=True)
class ItemFields:
    """The settings an item or the batch may set, as typed; "" leaves it to the level above."""

    negative_prompt: str = ""
    width: str = ""
    height: str = ""
    steps: str = ""
    guidance: str = ""
    seed: str = ""
    count: str = ""
    model: str = ""

    def merged_over(self, defaults: ItemFields) -> ItemFields:
        """Item beats batch: each field this item leaves empty comes from the defaults."""
        return ItemFields(**{name: getattr(self, name) or getattr(defaults, name) for name in FIELDS})

    def given(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}

    def encode(self) -> str:
        return json.dumps(self.given(), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str | None) -> ItemFields:
        raw = json.loads(text or "{}")
        return cls(**{name: str(raw[name]) for name in FIELDS if isinstance(raw.get(name), str)})


# The batch-level values have the same shape: an item's empty field takes the batch's.
BatchDefaults = ItemFields


@dataclasses.dataclass(frozen=True)
class BatchItem:
    prompt: str
    fields: ItemFields = ItemFields()


@dataclasses.dataclass(frozen=True)
class Parsed:
    """What could be read; `problems` name the rows or parts that could not (nothing else is lost)."""

    items: list[BatchItem]
    defaults: ItemFields = ItemFields()
    problems: list[str] = dataclasses.field(default_factory=list)
    name: str = ""


NEEDS_IMAGES = N_('The JSON needs an "images" list (or is itself a list of images).')


class InputRefused(ValueError):
    """The input as a whole cannot be read (too large, not text, not the expected shape)."""


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def _text(value: Any) -> str | None:
    """A field's value as text; None for a value that cannot be one (a list, an object, true/false)."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, list | dict):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _fields(raw: Mapping[str, Any], where: str, problems: list[str], unknown: set[str]) -> tuple[str, ItemFields]:
    """The prompt and fields of one object or CSV row; problems are added per field, the rest kept."""
    values: dict[str, str] = {}
    prompt = ""
    for name, value in raw.items():
        key = _key(str(name))
        field = _ALIASES.get(key)
        if field is None:
            if key and key not in _IGNORED:
                unknown.add(str(name))
            continue
        text = _text(value)
        if text is None:
            problems.append(_("{where}: {name} must be a number or text.", where=where, name=name))
            continue
        if len(text) > (MAX_PROMPT_CHARS if field == "prompt" else MAX_FIELD_CHARS):
            problems.append(
                _(
                    "{where}: {name} is longer than {max} characters; cut to that length.",
                    where=where,
                    name=name,
                    max=i18n.format_number(MAX_FIELD_CHARS),
                )
            )
            text = text[:MAX_FIELD_CHARS]
        if field == "prompt":
            prompt = text
        elif field == "size":
            match = re.fullmatch(r"(\d+)\s*[x×]\s*(\d+)", text)
            if text and not match:
                problems.append(_("{where}: size {size} is not WIDTHxHEIGHT.", where=where, size=repr(text)))
            elif match:
                values.setdefault("width", match.group(1))
                values.setdefault("height", match.group(2))
        else:
            values[field] = text
    return prompt, ItemFields(**values)


def _capped(items: list[BatchItem], problems: list[str]) -> list[BatchItem]:
    if len(items) > MAX_ITEMS:
        problems.append(
            _(
                "Only the first {max} of {count} prompts were taken: a batch holds at most that.",
                max=i18n.format_number(MAX_ITEMS),
                count=i18n.format_number(len(items)),
            )
        )
        return items[:MAX_ITEMS]
    return items


def _decoded(data: bytes | str) -> str:
    if isinstance(data, str):
        if len(data.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
            raise InputRefused(_("The text is larger than {size} MB.", size=MAX_INPUT_BYTES // (1024 * 1024)))
        return data
    if len(data) > MAX_INPUT_BYTES:
        raise InputRefused(_("The file is larger than {size} MB.", size=MAX_INPUT_BYTES // (1024 * 1024)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputRefused(_("The file is not UTF-8 text.")) from None


def without_list_marker(line: str) -> str:
    """'1. a fox', '- a fox', '• a fox' → 'a fox' (lists pasted from documents or chat answers)."""
    return _LIST_MARKER.sub("", line, count=1).strip()


def parse_lines(text: str) -> Parsed:
    """One prompt per non-empty line, list markers removed."""
    problems: list[str] = []
    items = []
    for number, line in enumerate(_decoded(text).splitlines(), 1):
        prompt = without_list_marker(line)
        if not prompt:
            continue
        if len(prompt) > MAX_PROMPT_CHARS:
            problems.append(
                _(
                    "Line {number}: the prompt is longer than {max} characters; cut to that length.",
                    number=number,
                    max=i18n.format_number(MAX_PROMPT_CHARS),
                )
            )
            prompt = prompt[:MAX_PROMPT_CHARS]
        items.append(BatchItem(prompt))
    return Parsed(_capped(items, problems), problems=problems)


def _unknown_note(unknown: set[str]) -> list[str]:
    if not unknown:
        return []
    names = ", ".join(sorted(unknown)[:8])
    return [_("Not used (bildgen does not know these fields): {names}.", names=names)]


def parse_csv(data: bytes | str) -> Parsed:
    """A header row naming the columns (prompt, negative_prompt, width, height, steps, guidance, seed,
    count, model; the flow document's names work too), then one item per row."""
    text = _decoded(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    problems: list[str] = []
    unknown: set[str] = set()
    items: list[BatchItem] = []
    try:
        header = next(reader, None)
        if header is None or "prompt" not in {_ALIASES.get(_key(name)) for name in header}:
            raise InputRefused(
                _(
                    "The CSV needs a header row with a 'prompt' column (and optionally negative_prompt, width, "
                    "height, steps, guidance, seed, count, model)."
                )
            )
        for row in reader:
            if len(items) > MAX_ITEMS:
                break  # one more than allowed, so that _capped says so
            if not any(cell.strip() for cell in row):
                continue
            where = _("Row {number}", number=reader.line_num)
            if len(row) > len(header):
                problems.append(
                    _("{where}: more cells than the header has columns; the extra ones were left out.", where=where)
                )
            prompt, fields = _fields(dict(zip(header, row, strict=False)), where, problems, unknown)
            if not prompt:
                problems.append(_("{where}: no prompt; row left out.", where=where))
                continue
            items.append(BatchItem(prompt, fields))
    except csv.Error as error:
        problems.append(
            _(
                "Row {number}: cannot be read as CSV ({error}); the rest of the file was left out.",
                number=reader.line_num,
                error=error,
            )
        )
    return Parsed(_capped(items, problems), problems=problems + _unknown_note(unknown))


def parse_json(data: bytes | str) -> Parsed:
    """The flow document's shape: {"images": [{"prompt": …, "negativePrompt": …, …}], "baseModel": …,
    and other fields that apply to every image}; or just the list; strings stand for bare prompts."""
    try:
        document = json.loads(_decoded(data))
    except RecursionError:
        raise InputRefused(_("The JSON is nested too deeply.")) from None
    except ValueError as error:
        raise InputRefused(_("The file is not valid JSON ({error}).", error=error)) from None
    problems: list[str] = []
    unknown: set[str] = set()
    defaults, name = ItemFields(), ""
    if isinstance(document, dict):
        images = document.get("images")
        if not isinstance(images, list):
            raise InputRefused(_(NEEDS_IMAGES))
        globals_ = {key: value for key, value in document.items() if key != "images"}
        if isinstance(globals_.get("name"), str):
            name = globals_["name"].strip()[:200]
        _prompt, defaults = _fields(globals_, _("Batch settings"), problems, unknown)
    elif isinstance(document, list):
        images = document
    else:
        raise InputRefused(_(NEEDS_IMAGES))
    items: list[BatchItem] = []
    for number, entry in enumerate(images[:MAX_ITEMS], 1):
        where = _("Image {number}", number=number)
        if isinstance(entry, str):
            prompt, fields = entry.strip(), ItemFields()
            if len(prompt) > MAX_PROMPT_CHARS:
                problems.append(
                    _(
                        "{where}: the prompt is longer than {max} characters; cut to that length.",
                        where=where,
                        max=i18n.format_number(MAX_PROMPT_CHARS),
                    )
                )
                prompt = prompt[:MAX_PROMPT_CHARS]
        elif isinstance(entry, dict):
            prompt, fields = _fields(entry, where, problems, unknown)
        else:
            problems.append(
                _(
                    "{where}: not an object with a prompt (flow mappings such as @Map are not run here); left out.",
                    where=where,
                )
            )
            continue
        if not prompt:
            problems.append(_("{where}: no prompt; left out.", where=where))
            continue
        items.append(BatchItem(prompt, fields))
    if len(images) > MAX_ITEMS:
        problems.append(
            _(
                "Only the first {max} of {count} images were taken: a batch holds at most that.",
                max=i18n.format_number(MAX_ITEMS),
                count=i18n.format_number(len(images)),
            )
        )
    return Parsed(items, defaults, problems + _unknown_note(unknown), name)


def parse_upload(filename: str, data: bytes) -> Parsed:
    """A file by its name: .json as JSON, anything else as CSV (or lines, without a header)."""
    if filename.lower().endswith(".json"):
        return parse_json(data)
    if filename.lower().endswith((".txt", ".text")):
        return parse_lines(_decoded(data))
    return parse_csv(data)


# ---- back to the flow document's shape -----------------------------------------------------------

_EXPORT_NAMES = {
    "negative_prompt": "negativePrompt",
    "width": "width",
    "height": "height",
    "steps": "steps",
    "guidance": "guidanceScale",
    "seed": "seed",
    "count": "batchSize",
    "model": "baseModel",
}


def _exported_value(value: str) -> Any:
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        return number if not isinstance(number, float) or math.isfinite(number) else value
    return value


def _exported(fields: ItemFields) -> dict[str, Any]:
    return {
        _EXPORT_NAMES[name]: value if name in ("negative_prompt", "model") else _exported_value(value)
        for name, value in fields.given().items()
    }


def to_document(items: Iterable[BatchItem], defaults: ItemFields = ItemFields(), *, name: str = "") -> dict[str, Any]:
    """The flow document's JSON shape, which parse_json reads back to the same items and defaults."""
    document: dict[str, Any] = {"name": name} if name else {}
    document.update(_exported(defaults))
    document["images"] = [{"prompt": item.prompt, **_exported(item.fields)} for item in items]
    return document
