"""The batches page: a new batch's table (pasted lines, uploaded CSV/JSON, typed rows) with its
defaults, and the user's recent batches. A thin state over bildgen.batches.

The whole table lives in a backend-only var; the browser gets one page of rows at a time, so a
1,000-row table never travels in one frame. Rows are checked against their models on every edit
and again before anything is made; a row that does not pass is highlighted with the reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import textwrap

import reflex as rx

from bildgen import i18n, routes
from bildgen.batches import runs
from bildgen.batches.items import (
    FIELDS,
    MAX_FIELD_CHARS,
    MAX_INPUT_BYTES,
    MAX_ITEMS,
    BatchItem,
    InputRefused,
    ItemFields,
    Parsed,
    parse_lines,
    parse_upload,
)
from bildgen.batches.plan import Plan, find_profile, plan
from bildgen.batches.queueing import queue_batch
from bildgen.i18n import _
from bildgen.inference.errors import InferenceError
from bildgen.prompts import writing
from bildgen.prompts.writing import PromptHelpRefused
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.session import SessionState, user_for_token
from bildgen.state.studio import ModelChoice
from bildgen.store.db import StorageUnavailable
from bildgen.store.models import User

logger = logging.getLogger(__name__)

ROWS_PER_PAGE = 25
MAX_INPUT_MB = MAX_INPUT_BYTES // (1024 * 1024)
EDITABLE = ("prompt", *FIELDS)
# The model cell's value for "whatever the batch uses" (a select cannot hold "").
BATCH_MODEL = "__batch__"
RECENT = 30


@dataclasses.dataclass
class EditorRow:
    position: int
    number: int
    # Changes whenever the row's values are replaced from the server, so its inputs show them.
    key: str
    prompt: str
    negative_prompt: str
    width: str
    height: str
    steps: str
    guidance: str
    seed: str
    count: str
    model: str  # BATCH_MODEL or a profile id
    problem: str


@dataclasses.dataclass
class BatchCard:
    id: str
    name: str
    created: str
    progress: str
    active: bool
    model: str = ""  # the model every image ran on ("" when the rows name their own)


def model_label(summary: runs.BatchSummary) -> str:
    """The label of the model a batch ran on where all its rows ran on one ("" otherwise)."""
    models = get_services().catalog.models
    return models[summary.defaults.model].label if summary.defaults.model in models else ""


def _card(summary: runs.BatchSummary) -> BatchCard:
    return BatchCard(
        id=summary.id,
        name=summary.name,
        created=i18n.format_utc(summary.created_at),
        progress=summary.progress.describe(),
        active=summary.progress.active and not summary.progress.cancelled,
        model=model_label(summary),
    )


def _item(values: dict[str, str]) -> BatchItem:
    return BatchItem(values.get("prompt", ""), ItemFields(**{name: values.get(name, "") for name in FIELDS}))


def _values(item: BatchItem) -> dict[str, str]:
    return {"prompt": item.prompt, **item.fields.given()}


class BatchEditorState(SessionState):
    # The whole table (backend only); `rows` is the page of it the browser shows.
    _items: list[dict[str, str]] = []
    _problems: dict[int, str] = {}
    _revision: int = 0
    rows: list[EditorRow] = []
    item_count: int = 0
    page: int = 0
    name: str = ""
    # Changes when the server sets the defaults (an uploaded file's), so their inputs show them.
    defaults_key: str = "0"
    models: list[ModelChoice] = []
    # The batch's defaults, as typed ("" = the model's own).
    default_model: str = ""
    default_negative_prompt: str = ""
    default_width: str = ""
    default_height: str = ""
    default_steps: str = ""
    default_guidance: str = ""
    default_seed: str = ""
    default_count: str = ""
    notes: list[str] = []  # what reading pasted or uploaded input left out, and why
    message: str = ""  # why the batch cannot run yet
    bad_rows: int = 0
    submitting: bool = False
    batches: list[BatchCard] = []
    # Prompts from a theme (bildgen.prompts.writing): the text model's label, "" when none is configured.
    writer_label: str = ""
    writing: bool = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.item_count // ROWS_PER_PAGE))

    @rx.var
    def first_row_shown(self) -> int:
        return self.page * ROWS_PER_PAGE + 1

    @rx.var
    def last_row_shown(self) -> int:
        return min(self.page * ROWS_PER_PAGE + ROWS_PER_PAGE, self.item_count)

    # ---- the page ----------------------------------------------------------------------------

    @rx.event
    @signed_in
    async def open_batches(self, user: User):
        services = await asyncio.to_thread(get_services)
        # The profiles an administrator offers now (bildgen/admin/live.py).
        self.models = [
            ModelChoice(id=key, label=profile.label)
            for key, profile in services.catalog.models.items()
            if profile.enabled
        ]
        if not services.catalog.offers(self.default_model):
            self.default_model = services.catalog.default_id
        writer = services.catalog.text_model
        self.writer_label = writer.label if writer else ""
        await self._load_recent(user.id)
        self._show_page()

    async def _load_recent(self, owner_id: str) -> None:
        engine = get_services().engine
        summaries = await asyncio.to_thread(runs.recent, engine, owner_id=owner_id, limit=RECENT)
        self.batches = [_card(summary) for summary in summaries]

    # ---- filling the table -------------------------------------------------------------------

    @rx.event
    @public
    def add_lines(self, form_data: dict) -> None:
        text = form_data.get("lines", "") if isinstance(form_data, dict) else ""
        try:
            parsed = parse_lines(str(text))
        except InputRefused as refused:
            self.notes = [str(refused)]
            return
        self._take(parsed)

    @rx.event
    @signed_in
    async def upload_items(self, user: User, files: list[rx.UploadFile]):
        if not files:
            self.notes = [_("Choose one CSV, JSON or text file of at most {size} MB.", size=MAX_INPUT_MB)]
            return
        upload = files[0]
        # One byte past the limit tells that it is too large without reading all of it.
        data = await upload.read(MAX_INPUT_BYTES + 1)
        try:
            parsed = await asyncio.to_thread(parse_upload, upload.name or "", data)
        except InputRefused as refused:
            self.notes = [f"{upload.name}: {refused}"]  # InputRefused speaks the user's language
            return
        self._take(parsed)
        for field in FIELDS:
            value = getattr(parsed.defaults, field)
            if value and field != "model":
                setattr(self, f"default_{field}", value)
        if parsed.defaults.model:
            self.set_default_model(parsed.defaults.model)
        if parsed.name and not self.name:
            self.name = parsed.name
        self.defaults_key = str(int(self.defaults_key) + 1)

    @rx.event(background=True)
    @checks_inside
    async def write_prompts(self, form_data: dict):
        """Ask the text model for N prompts about a theme; they land in the table to edit before running."""
        form_data = form_data if isinstance(form_data, dict) else {}
        theme = str(form_data.get("theme", ""))[:2000]
        count_text = str(form_data.get("theme_count", "")).strip()
        async with self:
            if self.writing:
                return
            token = self._session_token()
            self._in_tab_language()
            self.writing, self.notes = True, []
        try:
            user = await user_for_token(token)
            if user is None:
                async with self:
                    yield self._to_sign_in()
                return
            writer = (await asyncio.to_thread(get_services)).catalog.text_model
            problem, prompts = "", []
            try:
                if writer is None:
                    raise PromptHelpRefused(_("No text model is configured here; ask your administrator."))
                count = int(count_text) if count_text.isdigit() else 0
                prompts = await writing.prompts_about(writer, theme, count)
                if not prompts:
                    problem = _("{model} wrote nothing usable; try again or reword the theme.", model=writer.label)
            except PromptHelpRefused as refused:
                problem = str(refused)
            except InferenceError as error:
                problem = writing.text_model_problem(writer, error)
            async with self:
                if problem:
                    self.notes = [problem]
                    return
                self._take(Parsed([BatchItem(prompt) for prompt in prompts]))
                values = {"count": len(prompts), "model": writer.label, "theme": " ".join(theme.split())}
                added = (
                    _("Added {count} prompts written by {model} about “{theme}”. Edit them before running.", **values)
                    if len(prompts) >= count
                    else _(
                        "Added {count} prompts (asked for {asked}) written by {model} about “{theme}”. Edit them"
                        " before running.",
                        asked=count,
                        **values,
                    )
                )
                self.notes = [added, *self.notes[1:]]
        finally:
            async with self:
                self.writing = False

    @rx.event
    @public
    def uploads_rejected(self, rejected: list[dict]) -> None:
        self.notes = [
            _(
                "Choose one CSV, JSON or text file of at most {size} MB (with a prompt column or an images list).",
                size=MAX_INPUT_MB,
            )
        ]

    def _take(self, parsed: Parsed) -> None:
        """Append what was read to the table; its notes say what was left out."""
        room = MAX_ITEMS - len(self._items)
        items = [_values(item) for item in parsed.items]
        notes = list(parsed.problems)
        if len(items) > room:
            notes.append(
                _(
                    "The table holds at most {max} prompts: {count} were not added.",
                    max=i18n.format_number(MAX_ITEMS),
                    count=i18n.format_number(len(items) - room),
                )
            )
            items = items[:room]
        first_new = len(self._items)
        self._items = [*self._items, *items]
        self.notes = [_("Added {count} prompts.", count=i18n.format_number(len(items))), *notes]
        self.message = ""
        self.page = first_new // ROWS_PER_PAGE if items else self.page
        self._revision += 1
        self._show_page()

    @rx.event
    @public
    def add_row(self) -> None:
        if len(self._items) >= MAX_ITEMS:
            self.notes = [_("The table holds at most {max} prompts.", max=i18n.format_number(MAX_ITEMS))]
            return
        self._items = [*self._items, {"prompt": ""}]
        self.page = (len(self._items) - 1) // ROWS_PER_PAGE
        self._revision += 1
        self._show_page()

    @rx.event
    @public
    def set_cell(self, position: int, field: str, value: str) -> None:
        if not isinstance(position, int) or not 0 <= position < len(self._items) or field not in EDITABLE:
            return
        text = str(value).strip()[:MAX_FIELD_CHARS]
        if field == "model" and text == BATCH_MODEL:
            text = ""
        values = dict(self._items[position])
        if values.get(field, "") == text:
            return
        values[field] = text
        items = list(self._items)
        items[position] = values
        self._items = items
        # The row is checked again at once; the others keep what the last check said.
        self._problems = self._checked_row(position) | {
            row: problem for row, problem in self._problems.items() if row != position
        }
        self._show_page(replace=False)

    @rx.event
    @public
    def remove_row(self, position: int) -> None:
        if not isinstance(position, int) or not 0 <= position < len(self._items):
            return
        self._items = [values for index, values in enumerate(self._items) if index != position]
        self._problems = {
            (row if row < position else row - 1): problem for row, problem in self._problems.items() if row != position
        }
        self.page = min(self.page, max(0, (len(self._items) - 1) // ROWS_PER_PAGE))
        self._revision += 1
        self._show_page()

    @rx.event
    @public
    def clear_table(self) -> None:
        self._items, self._problems, self.page, self.notes, self.message = [], {}, 0, [], ""
        self._revision += 1
        self._show_page()

    @rx.event
    @public
    def show_rows(self, page: int) -> None:
        if isinstance(page, int):
            self.page = max(0, min(page, self.page_count - 1))
            self._revision += 1
            self._show_page()

    # ---- defaults ----------------------------------------------------------------------------

    @rx.event
    @public
    def set_default(self, field: str, value: str) -> None:
        if field in FIELDS and field != "model":
            setattr(self, f"default_{field}", str(value).strip()[:MAX_FIELD_CHARS])
            self._recheck()

    @rx.event
    @public
    def set_default_model(self, value: str) -> None:
        profile = find_profile(get_services().catalog, str(value))
        if profile is not None:
            self.default_model = profile.id
            self._recheck()

    def _defaults(self) -> ItemFields:
        return ItemFields(**{field: getattr(self, f"default_{field}") for field in FIELDS})

    def _batch_items(self) -> list[BatchItem]:
        return [_item(values) for values in self._items]

    # ---- checking ----------------------------------------------------------------------------

    def _checked_row(self, position: int) -> dict[int, str]:
        checked = plan([_item(self._items[position])], self._defaults(), get_services().catalog)
        messages = checked.row_problems.get(0)
        return {position: " ".join(messages)} if messages else {}

    def _recheck(self) -> Plan | None:
        """Check every row again (after a change of defaults, or before running)."""
        if not self._items:
            self._problems, self.bad_rows = {}, 0
            self._show_page(replace=False)
            return None
        checked = plan(self._batch_items(), self._defaults(), get_services().catalog)
        self._problems = {row: " ".join(messages) for row, messages in checked.row_problems.items()}
        self.message = " ".join(checked.problems)
        self._show_page(replace=False)
        return checked

    def _show_page(self, *, replace: bool = True) -> None:
        """The rows of the current page; `replace` also renews the inputs' contents."""
        if replace:
            self._revision += 1
        self.item_count = len(self._items)
        self.bad_rows = len(self._problems)
        self.page = max(0, min(self.page, self.page_count - 1))
        start = self.page * ROWS_PER_PAGE
        self.rows = [
            EditorRow(
                position=position,
                number=position + 1,
                key=f"{position}-{self._revision}",
                prompt=values.get("prompt", ""),
                model=values.get("model", "") or BATCH_MODEL,
                problem=self._problems.get(position, ""),
                **{field: values.get(field, "") for field in FIELDS if field != "model"},
            )
            for position, values in enumerate(self._items[start : start + ROWS_PER_PAGE], start)
        ]

    # ---- running -----------------------------------------------------------------------------

    def _take_form(self, form_data: dict) -> None:
        """The defaults and name as typed (the inputs' own values, not a possibly late event's)."""
        form_data = form_data if isinstance(form_data, dict) else {}
        for field in FIELDS:
            value = form_data.get(f"default_{field}")
            if field != "model" and value is not None:
                setattr(self, f"default_{field}", str(value).strip()[:MAX_FIELD_CHARS])
        if form_data.get("name") is not None:
            self.name = str(form_data["name"]).strip()[:200]

    @rx.event(background=True)
    @checks_inside
    async def run_batch(self, form_data: dict):
        async with self:
            if self.submitting:
                return
            self._take_form(form_data)
            token = self._session_token()
            self._in_tab_language()
            checked = self._recheck()
            if checked is None:
                self.message = _("Add some prompts first.")
                return
            if not checked.ok:
                first_bad = min(checked.row_problems, default=0)
                self.page = first_bad // ROWS_PER_PAGE
                self._show_page()
                rows = len(checked.row_problems)
                self.message = (
                    " ".join(checked.problems)
                    + (
                        " " + _("1 row needs attention (highlighted).")
                        if rows == 1
                        else " " + _("{count} rows need attention (highlighted).", count=rows)
                        if rows
                        else ""
                    )
                ).strip()
                return
            items, defaults = self._batch_items(), self._defaults()
            name = self.name or _default_name(items)
            self.submitting, self.message = True, ""
        try:
            user = await user_for_token(token)
            if user is None:
                async with self:
                    yield self._to_sign_in()
                return
            services = await asyncio.to_thread(get_services)
            try:
                batch_id = await asyncio.to_thread(
                    runs.create,
                    services.engine,
                    owner_id=user.id,
                    name=name,
                    items=items,
                    defaults=defaults,
                    catalog=services.catalog,
                )
            except runs.BatchInvalid as invalid:  # the models changed since the check above
                async with self:
                    self.message = invalid.plan.summary()
                return
            except StorageUnavailable as unavailable:
                async with self:
                    self.message = unavailable.user_message
                return
            async with self:
                self._items, self._problems, self.page, self.notes, self.name = [], {}, 0, [], ""
                self.defaults_key = str(int(self.defaults_key) + 1)
                self._show_page()
                yield rx.redirect(routes.batch_page(batch_id))
            # The jobs are queued by this task, which goes on if the tab closes.
            await queue_batch(batch_id, user.id)
        finally:
            async with self:
                self.submitting = False


def _default_name(items: list[BatchItem]) -> str:
    first = textwrap.shorten(items[0].prompt, width=60, placeholder="…") if items else ""
    return _("{count} prompts: {first}", count=len(items), first=first) if len(items) != 1 else first
