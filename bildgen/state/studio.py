"""The studio form and the cards of the current run. Holds ids and URLs, never image bytes."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time

import reflex as rx

from bildgen import routes
from bildgen.inference.client import InferenceClient
from bildgen.inference.errors import InferenceError
from bildgen.jobs import Recipe, RunningGeneration, SavedImage, VariantOutcome, saved_image
from bildgen.params import (
    DEFAULT_MODE,
    DEFAULT_QUALITY,
    MAX_VARIANTS,
    FormChoices,
    Resolved,
    random_seed,
    resolve,
    variant_seeds,
)
from bildgen.services import get_services
from bildgen.state.session import SessionState
from bildgen.store import gallery, library, metadata
from bildgen.store.metadata import StoredRecipe
from bildgen.store.models import GenerationStatus, ReferenceImage, User, utc_now
from bildgen.store.references import MAX_BYTES, ReferenceRejected, clean_reference

PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"
# Tabs whose Cancel was pressed, readable by a running generation without taking the state's lock.
_cancel_requests: set[str] = set()
TICK_S = 0.25
FOLLOW_AT_MOST_S = 3600.0
OVERRIDE_FIELDS = ("width", "height", "steps", "guidance", "seed")


@dataclasses.dataclass
class VariantCard:
    number: int
    status: str = PENDING
    elapsed_s: int = 0
    seed: int = 0
    image_id: str = ""
    image_path: str = ""
    filename: str = ""
    width: int = 0
    height: int = 0
    error: str = ""


@dataclasses.dataclass
class ModelChoice:
    id: str
    label: str


@dataclasses.dataclass
class ReferenceCard:
    id: str
    image_path: str
    name: str


class StudioState(SessionState):
    # Whose form and results these are: a new sign-in in the same tab starts afresh.
    _owner_id: str = ""

    prompt: str = ""
    negative_prompt: str = ""
    running: bool = False
    cancel_requested: bool = False
    variants: list[VariantCard] = []
    run_error: str = ""

    models: list[ModelChoice] = []
    model_id: str = ""
    model_label: str = ""
    demo_in_use: bool = False
    server_problem: str = ""
    takes_negative_prompt: bool = True
    max_references: int = 0

    references: list[ReferenceCard] = []
    reference_message: str = ""
    # A dropped file whose recipe was restored instead of adding it as a reference.
    restored_file: ReferenceCard | None = None
    restored_message: str = ""
    # Changes with every accepted Generate: a repeated delivery of the same submission is ignored.
    submission: str = ""

    # Presets, and the manual overrides as typed ("" = the preset's value).
    mode_preset: str = DEFAULT_MODE
    quality_preset: str = DEFAULT_QUALITY
    image_count: str = ""
    width: str = ""
    height: str = ""
    steps: str = ""
    guidance: str = ""
    seed: str = ""
    seed_locked: bool = False

    # What resolving presets and overrides gave: shown, never trusted at submit time.
    effective_summary: str = ""
    count_shown: str = "1"
    preset_width: str = ""
    preset_height: str = ""
    preset_steps: str = ""
    preset_guidance: str = ""
    guidance_field: str = ""
    mode_modified: bool = False
    quality_modified: bool = False
    problems: dict[str, str] = {}

    @rx.var
    def prompt_missing(self) -> bool:
        return not self.prompt.strip()

    @rx.var
    def mode_label(self) -> str:
        count = len(self.references)
        if count == 0:
            return "Text to image"
        return f"Edit with {count} reference" + ("" if count == 1 else "s")

    @rx.var
    def has_problems(self) -> bool:
        return bool(self.problems)

    # ---- resolving the form ------------------------------------------------------------------

    def _serving_profile(self):
        return get_services().catalog.serving(self.model_id, with_references=bool(self.references))

    def _choices(self) -> FormChoices:
        return FormChoices(
            mode=self.mode_preset,
            quality=self.quality_preset,
            width=self.width,
            height=self.height,
            count=self.image_count,
            steps=self.steps,
            guidance=self.guidance,
            seed=self.seed,
            negative_prompt=self.negative_prompt if self.takes_negative_prompt else "",
        )

    def _refresh(self) -> Resolved:
        resolved = resolve(self._serving_profile().traits(), self._choices())
        self.effective_summary = resolved.summary()
        self.count_shown = str(resolved.count)
        self.preset_width, self.preset_height = (str(side) for side in resolved.preset_size)
        self.preset_steps = str(resolved.preset_steps)
        self.preset_guidance = f"{resolved.preset_guidance:g}"
        self.guidance_field = resolved.parameters.guidance_field
        self.mode_modified = resolved.mode_modified
        self.quality_modified = resolved.quality_modified
        self.problems = resolved.problems
        return resolved

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value

    @rx.event
    def set_negative_prompt(self, value: str) -> None:
        self.negative_prompt = value
        self._refresh()

    @rx.event
    def set_override(self, field: str, value: str) -> None:
        if field in OVERRIDE_FIELDS:
            setattr(self, field, value.strip())
            self._refresh()

    @rx.event
    def set_image_count(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        if value.isdigit() and 1 <= int(value) <= MAX_VARIANTS:
            self.image_count = value
            self._refresh()

    @rx.event
    def choose_mode_preset(self, preset: str) -> None:
        # Picking a preset means "these values": it replaces the overrides it governs.
        self.mode_preset, self.width, self.height, self.image_count = preset, "", "", ""
        self._refresh()

    @rx.event
    def choose_quality_preset(self, preset: str) -> None:
        self.quality_preset, self.steps, self.guidance = preset, "", ""
        self._refresh()

    @rx.event
    def roll_seed(self) -> None:
        self.seed = str(random_seed())
        self._refresh()

    @rx.event
    def toggle_seed_lock(self) -> None:
        self.seed_locked = not self.seed_locked

    @rx.event
    def reuse_seed(self, seed: int) -> None:
        self.seed, self.seed_locked = str(seed), True
        self._refresh()

    # ---- the model ---------------------------------------------------------------------------

    def _show_profile(self, profile_id: str) -> None:
        catalog = get_services().catalog
        profile = catalog.get(profile_id)
        self.model_id = profile.id
        self.model_label = profile.label
        self.takes_negative_prompt = profile.traits().takes_negative_prompt
        self.max_references = catalog.max_references(profile.id)
        self.reference_message = ""
        self._refresh()

    def _ensure_ready(self, user: User) -> None:
        """This tab's form belongs to this user, with the models loaded; another user starts afresh."""
        if self._owner_id != user.id:
            self.reset()
            self._current_user()
            self._owner_id = user.id
        if not self.models:
            catalog = get_services().catalog
            self.models = [ModelChoice(id=key, label=p.label) for key, p in catalog.models.items()]
            self._show_profile(catalog.default_model)

    @rx.event
    def open_studio(self):
        """on_load: only for a signed-in user, and never showing another user's leftovers."""
        user = self._current_user()
        if user is None:
            return self._to_sign_in()
        self._ensure_ready(user)
        events = [StudioState.check_server]
        if not self.variants and not self.running and self._show_latest(user.id):
            events.append(StudioState.follow_latest)
        return events

    def _show_latest(self, owner_id: str) -> bool:
        """A new tab or device shows the user's last run, finished or not; True while it runs."""
        found = gallery.latest_generation(get_services().engine, owner_id)
        if found is None:
            return False
        generation, images = found
        by_variant = {image.variant: image for image in images}
        running = generation.status == GenerationStatus.RUNNING
        elapsed = int((utc_now() - generation.created_at).total_seconds()) if running else 0
        cards = []
        for variant in range(generation.variant_count):
            image = by_variant.get(variant)
            if image is not None:
                cards.append(_shown(variant + 1, saved_image(image, generation)))
            elif running:
                cards.append(VariantCard(number=variant + 1, elapsed_s=elapsed))
            else:
                cards.append(VariantCard(number=variant + 1, status=FAILED, error=generation.error or "No image."))
        self.variants = cards
        return running

    @rx.event(background=True)
    async def follow_latest(self):
        """Keep a run started elsewhere (another tab or device) up to date until it ends."""
        deadline = time.monotonic() + FOLLOW_AT_MOST_S
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            async with self:
                user = self._current_user()
                if user is None or self.running or not self._show_latest(user.id):
                    return

    def apply_recipe(self, user: User, recipe: StoredRecipe, references: list[ReferenceCard]) -> None:
        """Put a stored recipe back into the form: every parameter, the seed kept, its references."""
        self._ensure_ready(user)
        catalog = get_services().catalog
        if recipe.model_profile in catalog.models and recipe.model_profile != self.model_id:
            self._show_profile(recipe.model_profile)
        self.prompt = recipe.prompt
        self.negative_prompt = (recipe.negative_prompt or "").strip()
        self.references = references[: max(self.max_references, 0)]
        self.width = str(recipe.width or "")
        self.height = str(recipe.height or "")
        self.steps = str(recipe.steps or "")
        self.guidance = "" if recipe.guidance is None else f"{recipe.guidance:g}"
        self.seed = "" if recipe.seed is None else str(recipe.seed)
        self.seed_locked = recipe.seed is not None
        self.image_count = "1"
        self._refresh()

    @rx.event(background=True)
    async def check_server(self):
        """Name the model in use, and say so when it is the demo renderer."""
        services = await asyncio.to_thread(get_services)
        async with self:
            profile = services.catalog.get(self.model_id)
        problem, is_demo = "", services.demo_server is not None
        try:
            async with InferenceClient(profile.endpoint()) as client:
                is_demo = (await client.served_model()).is_demo or is_demo
        except InferenceError as error:
            problem = error.user_message
        async with self:
            if self.model_id == profile.id:
                self.demo_in_use = is_demo
                self.server_problem = problem

    @rx.event
    def choose_model(self, profile_id: str):
        if profile_id not in get_services().catalog.models:
            return
        self._show_profile(profile_id)
        return StudioState.check_server

    # ---- references --------------------------------------------------------------------------

    def _store_reference(
        self, owner_id: str, clean_png: bytes, name: str, source_image_id: str | None = None
    ) -> ReferenceCard:
        services = get_services()
        reference = library.add_reference(
            services.engine,
            services.references,
            owner_id=owner_id,
            png=clean_png,
            name=name,
            source_image_id=source_image_id,
        )
        return reference_card(reference)

    def _attach(self, card: ReferenceCard) -> None:
        self.references = [*self.references, card]
        self._refresh()

    @rx.event
    def attach_restored_file(self):
        """The file whose recipe was restored, used as a reference after all."""
        if self.restored_file is None:
            return
        if len(self.references) >= self.max_references:
            self.reference_message = self._reference_limit_text()
            return
        self._attach(self.restored_file)
        self.restored_file = None
        self.reference_message = ""

    @rx.event
    async def add_references(self, files: list[rx.UploadFile]):
        user = self._current_user()
        if user is None:
            return self._to_sign_in()
        if not files:
            return  # everything was turned away in the browser; references_rejected explains why
        problems: list[str] = []
        for upload in files:
            name = upload.name or "the file"
            if len(self.references) >= self.max_references:
                problems.append(self._reference_limit_text())
                break
            # Read one byte past the limit: enough to know it is too large, never the whole file.
            data = await upload.read(MAX_BYTES + 1)
            try:
                clean = await asyncio.to_thread(clean_reference, data, name=name)
            except ReferenceRejected as rejected:
                problems.append(str(rejected))
                continue
            card = self._store_reference(user.id, clean, name)
            recipe = metadata.read(data) if len(data) <= MAX_BYTES else None
            if recipe is not None and recipe.prompt:
                # A picture that carries its recipe (ours or AUTOMATIC1111's): restore it, like
                # the best tools do; the picture itself stays one click away.
                self.apply_recipe(user, recipe, self.references)
                self.restored_file = card
                self.restored_message = f"Restored the recipe of {name}."
                continue
            self._attach(card)
        self.reference_message = " ".join(problems)

    @rx.event
    def references_rejected(self, rejected: list[dict]) -> None:
        """Files the browser's picker filter turned away, explained like the server's own checks."""
        problems = []
        for item in rejected:
            name = str(item.get("name") or "A file").lstrip("./")
            codes = set(item.get("codes") or [])
            if "file-too-large" in codes:
                problems.append(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
            elif "too-many-files" in codes:
                problems.append(self._reference_limit_text())
            else:
                problems.append(f"{name} is not a PNG, JPEG or WebP image.")
        self.reference_message = " ".join(dict.fromkeys(problems))

    @rx.event
    async def use_as_reference(self, image_id: str):
        user = self._current_user()
        if user is None:
            return self._to_sign_in()
        await self.use_image_as_reference(user, image_id)

    async def use_image_as_reference(self, user: User, image_id: str) -> None:
        """One of the user's own results as a reference image (its lineage is kept)."""
        if len(self.references) >= self.max_references:
            self.reference_message = self._reference_limit_text()
            return
        services = get_services()
        found = await asyncio.to_thread(library.find_image, services.engine, image_id, user.id)
        if found is None:
            self.reference_message = "That image does not exist (any more)."
            return
        image, _ = found
        png = await asyncio.to_thread(lambda: clean_reference(services.files.path_for(image.sha256).read_bytes()))
        self._attach(
            self._store_reference(user.id, png, f"generated image, seed {image.seed}", source_image_id=image.id)
        )
        self.reference_message = ""

    def _reference_limit_text(self) -> str:
        if self.max_references == 0:
            return f"{self.model_label} does not take reference images."
        plural = "" if self.max_references == 1 else "s"
        return f"{self.model_label} takes at most {self.max_references} reference image{plural}."

    @rx.event
    def remove_reference(self, index: int) -> None:
        self.references = [card for position, card in enumerate(self.references) if position != index]
        self.reference_message = ""
        self._refresh()

    @rx.event
    def dismiss_restored(self) -> None:
        self.restored_file, self.restored_message = None, ""

    # ---- generating --------------------------------------------------------------------------

    @rx.event
    def cancel(self) -> None:
        if self.running:
            self.cancel_requested = True
            _cancel_requests.add(self.router.session.client_token)

    @rx.event(background=True)
    async def generate(self, form_data: dict):
        async with self:
            user = self._current_user()
            if user is None:
                return self._to_sign_in()
            # The form's own values: the state's copies may lag behind by the input debounce.
            self.prompt = str(form_data.get("prompt", self.prompt))
            if self.takes_negative_prompt and "negative_prompt" in form_data:
                self.negative_prompt = str(form_data["negative_prompt"])
            for field in OVERRIDE_FIELDS:
                # null: the field is not on the page (Advanced settings closed); keep its value.
                if form_data.get(field) is not None:
                    setattr(self, field, str(form_data[field]).strip())
            resolved = self._refresh()
            if self.running or not self.prompt.strip() or form_data.get("submission") != self.submission:
                return
            if resolved.problems:
                self.run_error = "Check the advanced settings: " + " ".join(resolved.problems.values())
                return
            if len(self.references) > self.max_references:
                self.run_error = self._reference_limit_text() + " Remove some to generate."
                return
            prompt = self.prompt.strip()
            reference_ids = [card.id for card in self.references]
            profile = self._serving_profile()
            seeds = variant_seeds(resolved.count, resolved.seed)
            if not self.seed_locked:
                self.seed = ""
                self._refresh()
            self.running, self.cancel_requested, self.run_error = True, False, ""
            tab = self.router.session.client_token
            _cancel_requests.discard(tab)
            self.submission = secrets.token_hex(8)
            self.restored_file, self.restored_message = None, ""
            self.variants = [VariantCard(number=index + 1, seed=seed) for index, seed in enumerate(seeds)]

        services = await asyncio.to_thread(get_services)
        try:
            references = await asyncio.to_thread(_reference_bytes, reference_ids, user.id)
        except LookupError:
            async with self:
                self.running, self.variants = False, []
                self.run_error = "A reference image is no longer available. Remove it and try again."
            return
        recipe = Recipe(
            owner_id=user.id,
            prompt=prompt,
            profile_id=profile.id,
            parameters=resolved.parameters,
            seeds=seeds,
            references=references,
            reference_ids=tuple(reference_ids),
        )
        try:
            run = await services.generator.start(recipe, profile.endpoint())
        except InferenceError as error:
            async with self:
                self.running, self.variants, self.run_error = False, [], error.user_message
            return
        try:
            await self._follow(run, tab)
        finally:
            _cancel_requests.discard(tab)

    async def _follow(self, run: RunningGeneration, tab: str) -> None:
        """Show each variant the moment it is saved; tick the elapsed seconds; honour Cancel."""
        started = time.monotonic()
        pending: set[asyncio.Task[VariantOutcome]] = set(run.variants)
        shown_elapsed = 0
        while pending:
            done, pending = await asyncio.wait(pending, timeout=TICK_S, return_when=asyncio.FIRST_COMPLETED)
            elapsed = int(time.monotonic() - started)
            outcomes = [task.result() for task in done if not task.cancelled()]
            # Entering the state takes its lock and stores it: only for news, a new second, or Cancel.
            if not outcomes and elapsed == shown_elapsed and tab not in _cancel_requests:
                continue
            shown_elapsed = elapsed
            async with self:
                if self.cancel_requested and pending:
                    run.cancel()
                    pending = set()
                    self.variants = [
                        dataclasses.replace(card, status=CANCELLED, error="Cancelled.")
                        if card.status == PENDING
                        else card
                        for card in self.variants
                    ]
                self.variants = [_updated(card, outcomes, elapsed) for card in self.variants]
        async with self:
            self.running = False
            if self.variants and all(card.status == FAILED for card in self.variants):
                self.run_error = self.variants[0].error


def reference_card(reference: ReferenceImage) -> ReferenceCard:
    return ReferenceCard(id=reference.id, image_path=routes.reference_upload_path(reference.id), name=reference.name)


def _shown(number: int, image: SavedImage, elapsed_s: int = 0) -> VariantCard:
    return VariantCard(
        number=number,
        status=DONE,
        elapsed_s=elapsed_s,
        seed=image.seed,
        image_id=image.id,
        image_path=routes.image_upload_path(image.id),
        filename=image.filename,
        width=image.width,
        height=image.height,
    )


def _reference_bytes(reference_ids: list[str], owner_id: str) -> tuple[bytes, ...]:
    services = get_services()
    found = [library.find_reference(services.engine, reference_id, owner_id) for reference_id in reference_ids]
    if any(reference is None for reference in found):
        raise LookupError("reference not found")
    return tuple(services.references.path_for(reference.sha256).read_bytes() for reference in found)


def _updated(card: VariantCard, outcomes: list[VariantOutcome], elapsed_s: int) -> VariantCard:
    for outcome in outcomes:
        if outcome.variant + 1 != card.number:
            continue
        if outcome.image is None:
            return dataclasses.replace(card, status=FAILED, error=outcome.error or "", elapsed_s=elapsed_s)
        return _shown(card.number, outcome.image, elapsed_s)
    return dataclasses.replace(card, elapsed_s=elapsed_s) if card.status == PENDING else card
