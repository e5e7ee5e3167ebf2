"""The studio form and the cards of the current run. Holds ids and URLs, never image bytes.

Generate only queues a job (bildgen.jobs.queue); a worker runs it whether or not this tab stays
open, and the tab watches the job's row. Every database, disk and Pillow call runs off the event
loop (asyncio.to_thread, or the image pool for Pillow), never inside `async with self`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import time

import reflex as rx

from bildgen import i18n, routes
from bildgen.cpu import in_image_pool
from bildgen.generation import retry, uploads
from bildgen.generation.form_view import form_view, settings_not_taken
from bildgen.generation.plan import Draft, PlanInput, draft, plan, reference_limit_text
from bildgen.generation.submit import cancel, submit
from bildgen.groups import governance
from bildgen.i18n import _
from bildgen.inference import providers
from bildgen.inference.capabilities import OptionChoices
from bildgen.inference.errors import InferenceError
from bildgen.inference.profiles import ModelProfile
from bildgen.jobs import runner, views
from bildgen.jobs.refusals import GenerationPaused, ProfileUnavailable, SubmissionRefused
from bildgen.params import (
    DEFAULT_MODE,
    DEFAULT_QUALITY,
    MAX_VARIANTS,
    MODE_PRESETS,
    FormChoices,
)
from bildgen.refusal import Refusal
from bildgen.services import get_services
from bildgen.state import prompt_help
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.outages import note_failure
from bildgen.state.run_cards import RunCard, fingerprint, run_card
from bildgen.state.session import SessionState, user_for_token
from bildgen.store import metadata
from bildgen.store.db import StorageUnavailable
from bildgen.store.image_library import reference_name, stored_recipe
from bildgen.store.metadata import StoredRecipe
from bildgen.store.models import EditMask, ReferenceImage, User
from bildgen.store.references import MAX_BYTES
from bildgen.waits import Backoff, event_within

# (tab, job) pairs watched by a task of this process: a reload or second event starts no twin, and a
# restarted process (whose tabs' state in Redis may still say "running") starts a new watcher.
_watched: set[tuple[str, str]] = set()
TICK_S = 1.0
WATCH_AT_MOST_S = 6 * 3600.0
# How often an open studio looks whether an administrator changed the profiles or the master switch
# (in memory: the process's configuration is rechecked in the background).
CONFIG_POLL_S = 3.0
CONFIG_PRESENCE_EVERY = 20  # polls: about once a minute
CONFIG_WATCH_AT_MOST_S = 8 * 3600.0
OVERRIDE_FIELDS = ("width", "height", "steps", "guidance", "seed")
# The feed keeps at most this many runs in the tab's state; older ones are in the gallery.
MAX_RUNS = 4 * views.RUNS_PAGE
# The provider options the form may hold (inference/capabilities.py OptionChoices); "" = the service's default.
OPTION_FIELDS = ("quality", "aspect_ratio", "image_size", "denoising_strength", "safety_tolerance")
# Typed into number fields: read from the submitted form, like the overrides (the state may lag behind).
TYPED_OPTIONS = ("denoising_strength", "safety_tolerance")
SERVICE_DEFAULT = "default"


@dataclasses.dataclass
class ModelChoice:
    id: str
    label: str
    # The company outside the organisation its service sends data to ("" for none), and whether
    # only its edits go there (a text model whose `edit_with` profile is a cloud service).
    cloud: str = ""
    cloud_edits_only: bool = False


@dataclasses.dataclass
class ReferenceCard:
    id: str
    image_path: str
    name: str


@dataclasses.dataclass
class MaskCard:
    """A mask painted on a reference image (the first one: the image being edited)."""

    id: str
    reference_id: str
    image_path: str


class StudioState(SessionState):
    # Whose form and results these are: a new sign-in in the same tab starts afresh.
    _owner_id: str = ""

    prompt: str = ""
    negative_prompt: str = ""
    # The feed of runs, newest first, as their rows said last (the row is the truth: a tab whose
    # state outlived a restart reads it again on load). A window of MAX_RUNS, paged by key.
    runs: list[RunCard] = []
    runs_cursor: str = ""
    runs_capped: bool = False
    _feed_loaded: bool = False
    # A Generate is being queued (a second delivery of the same submission is ignored meanwhile).
    submitting: bool = False
    # Why Generate queued nothing.
    run_error: str = ""

    models: list[ModelChoice] = []
    model_id: str = ""
    model_label: str = ""
    # The administrator's help text for the chosen profile.
    model_description: str = ""
    # The configuration version the model list was read at, and whether a task watches for changes.
    _config_version: int = -1
    _watching_config: bool = False
    # The profiles this user's groups allow (bildgen/groups/governance.py); None: every one offered.
    _allowed_models: list[str] | None = None
    demo_in_use: bool = False
    # A run watcher cannot read the database (or the tab's state) just now: it tries again.
    reconnecting: bool = False
    server_problem: str = ""
    # An administrator's message while image generation is switched off ("" while it is on).
    paused_message: str = ""
    max_references: int = 0
    # The model that serves edits (another profile with `edit_with`), and whether it can limit one
    # to a painted area.
    edit_label: str = ""
    takes_masks: bool = False
    # The model that will serve this run as the form stands (the edit model once references are
    # attached) and the fields it takes, from its Capabilities: the form shows exactly these.
    serving_label: str = ""
    takes_negative_prompt: bool = True
    takes_seed: bool = True
    takes_steps: bool = True
    takes_guidance: bool = True
    guidance_label: str = "Guidance"
    # The company outside the organisation this run's prompt and images go to ("" when none).
    cloud: str = ""
    # Provider options the serving model offers (empty / off: not shown), and the form's values.
    qualities: list[str] = []
    aspect_ratios: list[str] = []
    image_sizes: list[str] = []
    takes_denoising: bool = False
    takes_upsampling: bool = False
    takes_safety: bool = False
    options: dict[str, str] = {}
    prompt_upsampling: bool = False
    # Width and height go in steps of this many pixels (BFL: 32).
    size_step: int = 16

    references: list[ReferenceCard] = []
    reference_message: str = ""
    mask: MaskCard | None = None
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
    # "" = a new random seed each run; a number is used for every run until cleared.
    seed: str = ""

    # What resolving presets and overrides gave: shown, never trusted at submit time.
    effective_summary: str = ""
    count_shown: str = "1"
    preset_width: str = ""
    preset_height: str = ""
    preset_steps: str = ""
    preset_guidance: str = ""
    mode_modified: bool = False
    quality_modified: bool = False
    problems: dict[str, str] = {}

    @rx.var
    def prompt_missing(self) -> bool:
        return not self.prompt.strip()

    @rx.var
    def mask_url(self) -> str:
        """The painted mask's address for the painter to load again ("" without one)."""
        return routes.MASK_ROUTE.format(mask_id=self.mask.id) if self.mask is not None else ""

    @rx.var
    def aspect_ratio_chosen(self) -> bool:
        return bool(self.aspect_ratios) and bool(self.options.get("aspect_ratio"))

    @rx.var
    def references_full(self) -> bool:
        return len(self.references) >= self.max_references

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
            negative_prompt=self.negative_prompt,
        )

    def _plan_input(self, element_references: int = 0) -> PlanInput:
        return form_input(
            get_services().catalog,
            model_id=self.model_id,
            prompt=self.prompt,
            choices=self._choices(),
            options=OptionChoices(
                **{field: self.options.get(field, "") for field in OPTION_FIELDS},
                prompt_upsampling=self.prompt_upsampling,
            ),
            references=len(self.references),
            element_references=element_references,
        )

    def _refresh(self) -> Draft:
        self._in_tab_language()  # the summary and the problems below; many form events do not sign in
        # A mask belongs to the image it was painted on, and only the first reference is edited.
        first = self.references[0].id if self.references else None
        if self.mask is not None and (self.mask.reference_id != first or not self.takes_masks):
            self.mask = None
        for setting in settings_not_taken(self._serving_profile().capabilities()):
            setattr(self, setting, "")
        drafted = draft(get_services().catalog, self._plan_input())
        # The display half is a pure view model (generation/form_view.py): copied into the vars.
        shown = form_view(drafted, references=len(self.references))
        for field in dataclasses.fields(shown):
            setattr(self, field.name, getattr(shown, field.name))
        return drafted

    @rx.event
    @public
    def set_option(self, field: str, value: str) -> None:
        """A provider option's select or number field; "default" leaves it to the service."""
        if field in OPTION_FIELDS:
            text = str(value).strip()[:40]  # every valid value is short; the browser may send anything
            self.options = {**self.options, field: "" if text == SERVICE_DEFAULT else text}
            self._refresh()

    @rx.event
    @public
    def set_prompt_upsampling(self, value: bool) -> None:
        self.prompt_upsampling = bool(value)
        self._refresh()

    @rx.event
    @public
    def set_prompt(self, value: str) -> None:
        self.prompt = str(value)

    @rx.event
    @public
    async def use_proposal(self) -> None:
        """Use improved prompt: the prompt help's proposal, as edited, becomes the prompt."""
        helper = await self.get_state(prompt_help.PromptHelpState)
        self.prompt = helper._take_proposal()

    @rx.event
    @public
    def set_negative_prompt(self, value: str) -> None:
        self.negative_prompt = str(value)
        self._refresh()

    @rx.event
    @public
    def set_override(self, field: str, value: str) -> None:
        if field in OVERRIDE_FIELDS:
            setattr(self, field, str(value).strip())
            self._refresh()

    @rx.event
    @public
    def set_image_count(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) and value else value
        if isinstance(value, str) and value.isdigit() and 1 <= int(value) <= MAX_VARIANTS:
            self.image_count = value
            self._refresh()

    @rx.event
    @public
    def choose_mode_preset(self, preset: str) -> None:
        # Picking a preset means "these values": it replaces the overrides it governs.
        self.mode_preset, self.width, self.height, self.image_count = str(preset), "", "", ""
        self._refresh()

    @rx.event
    @public
    def choose_quality_preset(self, preset: str) -> None:
        self.quality_preset, self.steps, self.guidance = str(preset), "", ""
        self._refresh()

    @rx.event
    @public
    def use_random_seed(self) -> None:
        """The dice: a new random seed for every run from now on."""
        self.seed = ""
        self._refresh()

    @rx.event
    @public
    def reuse_seed(self, seed: int) -> None:
        self._reuse_seed(seed)

    def _reuse_seed(self, seed: int) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self.seed = str(int(seed))
            self._refresh()

    # ---- the model ---------------------------------------------------------------------------

    def _show_profile(self, profile_id: str, *, with_defaults: bool = True) -> None:
        catalog = get_services().catalog
        profile = catalog.get(profile_id)
        self.model_id = profile.id
        self.model_label = profile.label
        self.model_description = profile.description or ""
        self.max_references = catalog.max_references(profile.id)
        editor = catalog.serving(profile.id, with_references=True)
        self.edit_label = editor.label
        self.takes_masks = editor.capabilities().masks
        if with_defaults:
            self._apply_profile_defaults(profile)
        self.reference_message = ""
        self._refresh()

    def _apply_profile_defaults(self, profile: ModelProfile) -> None:
        """The administrator's defaults for a profile just chosen: its quality preset, and the mode
        whose aspect is its default size's."""
        if profile.default_quality:
            self.quality_preset, self.steps, self.guidance = profile.default_quality, "", ""
        if profile.default_size:
            width, height = profile.traits().default_size
            mode = min(MODE_PRESETS, key=lambda preset: (abs(preset.aspect - width / height), preset.count))
            self.mode_preset, self.width, self.height, self.image_count = mode.id, "", "", ""

    def _ensure_ready(self, user: User) -> None:
        """This tab's form belongs to this user, with the models loaded; another user starts afresh."""
        if self._owner_id != user.id:
            username, is_admin = self.username, self.is_admin
            self.reset()
            self.username, self.is_admin = username, is_admin
            self._owner_id = user.id
        if not self.models:
            self._show_offer()

    def _show_offer(self) -> None:
        """The profiles the administrators offer now; the chosen one stays chosen while it is offered."""
        live = get_services().config.current()
        self._config_version = live.version
        self.paused_message = "" if live.general.generation_enabled else live.general.paused_message
        catalog = live.catalog
        allowed = self._allowed_models
        self.models = [
            _model_choice(catalog, profile.id)
            for profile in catalog.offered
            if allowed is None or profile.id in allowed
        ]
        offered = {choice.id for choice in self.models}
        if self.model_id in offered:
            self._show_profile(self.model_id, with_defaults=False)
            return
        withdrawn = self.model_label if self.model_id else ""
        default = catalog.default_id
        self._show_profile(default if default in offered or not self.models else self.models[0].id)
        if withdrawn:
            # Said where errors show: a tab open on the withdrawn model does not switch silently.
            self.run_error = _(
                "{withdrawn} is not available any more: the administrators no longer offer it. "
                "Generate now uses {model}.",
                withdrawn=withdrawn,
                model=self.model_label,
            )

    @rx.event
    @signed_in
    async def open_studio(self, user: User):
        """on_load: only for a signed-in user, never showing another user's leftovers, and the
        feed as the database has it (a tab whose state outlived a restart recovers here)."""
        services = await asyncio.to_thread(get_services)
        self._ensure_ready(user)
        live = await asyncio.to_thread(services.config.refresh)
        allowed = await asyncio.to_thread(governance.allowed_profiles, services.engine, user.id, live.catalog.models)
        self._allowed_models = None if allowed is None else sorted(allowed)
        self._show_offer()
        page = await asyncio.to_thread(views.runs, services.engine, owner_id=user.id)
        if not self._feed_loaded and not self.prompt and page.runs:
            # A fresh tab (new, or one whose state was lost with its worker) continues where the
            # user left off: the last run's words are back in the form.
            self._restore_words(page.runs[0].view)
        self._feed_loaded = True
        self.runs = [self._card(run) for run in page.runs]
        self.runs_cursor = page.next_cursor.encode() if page.next_cursor else ""
        self.runs_capped = False
        return [StudioState.check_server, StudioState.watch_config, *self._watchers(self.runs)]

    @rx.event
    @signed_in
    async def load_older_runs(self, user: User):
        """The next page of earlier runs, as the feed is scrolled (assets/studio.js)."""
        cursor = views.Cursor.decode(self.runs_cursor)
        if cursor is None:
            return
        if len(self.runs) >= MAX_RUNS:
            self.runs_capped = True
            return
        page = await asyncio.to_thread(views.runs, get_services().engine, owner_id=user.id, before=cursor)
        known = {card.id for card in self.runs}
        older = [self._card(run) for run in page.runs if run.view.id not in known]
        self.runs = [*self.runs, *older]
        self.runs_cursor = page.next_cursor.encode() if page.next_cursor else ""
        return self._watchers(older)

    def _card(self, run: views.Run) -> RunCard:
        labels = {key: profile.label for key, profile in get_services().catalog.models.items()}
        return run_card(run, labels=labels, language=self.lang)

    @staticmethod
    def _watchers(cards: list[RunCard]) -> list:
        return [StudioState.watch_run(card.id) for card in cards if card.active]

    def _replace_run(self, job_id: str, card: RunCard | None) -> bool:
        """Put a run's new card in its place (None: it is gone). False when the feed no longer has it."""
        if not any(shown.id == job_id for shown in self.runs):
            return False
        if card is None:
            self.runs = [shown for shown in self.runs if shown.id != job_id]
        else:
            self.runs = [card if shown.id == job_id else shown for shown in self.runs]
        return True

    def _restore_words(self, job: views.JobView) -> None:
        catalog = get_services().catalog
        if catalog.offers(job.model_profile) and job.model_profile != self.model_id:
            self._show_profile(job.model_profile)
        self.prompt = job.prompt
        self.negative_prompt = (job.negative_prompt or "").strip() if self.takes_negative_prompt else ""
        self._refresh()

    @rx.event(background=True)
    @checks_inside
    async def watch_run(self, job_id: str):
        """Follow one run of the feed until it ends: woken at once by this process's runner,
        otherwise reading the row every second (another worker may run it). No I/O inside the lock."""
        job_id = str(job_id)
        async with self:
            owner_id, tab, language = self._owner_id, self.router.session.client_token, self.lang
            if not owner_id or (tab, job_id) in _watched or not any(card.id == job_id for card in self.runs):
                return
            _watched.add((tab, job_id))
        i18n.current_language.set(language)
        services = await asyncio.to_thread(get_services)
        labels = {key: profile.label for key, profile in services.catalog.models.items()}
        deadline = time.monotonic() + WATCH_AT_MOST_S
        shown, backoff = None, Backoff()
        try:
            while time.monotonic() < deadline:
                with runner.watching(job_id) as changed:
                    try:
                        found = await asyncio.to_thread(views.run, services.engine, job_id, owner_id=owner_id)
                        seen = fingerprint(found.view if found else None)
                        if seen != shown or backoff.failures:
                            card = run_card(found, labels=labels, language=language) if found else None
                            async with self:
                                self.reconnecting = False
                                if self._owner_id != owner_id or not self._replace_run(job_id, card):
                                    return
                            shown = seen
                    except Exception as error:
                        # The database or Redis is away: say so, try again, catch up once it is back.
                        note_failure(f"watching run {job_id}", error, first=not backoff.failures)
                        with contextlib.suppress(Exception):
                            async with self:
                                self.reconnecting = True
                        await backoff.pause()
                        continue
                    backoff.succeeded()
                    if found is None or not found.view.active:
                        return
                    await event_within(changed, TICK_S)
        finally:
            _watched.discard((tab, job_id))

    @rx.event(background=True)
    @public
    async def watch_config(self):
        """While the studio is open, show the administrators' changes (profiles, the master switch)
        without a reload. Compares version numbers in memory; no I/O of its own."""
        async with self:
            if self._watching_config:
                return
            self._watching_config = True
            shown, language = self._config_version, self.lang
        i18n.current_language.set(language)
        config = (await asyncio.to_thread(get_services)).config
        deadline = time.monotonic() + CONFIG_WATCH_AT_MOST_S
        polls, backoff = 0, Backoff()
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(CONFIG_POLL_S)
                polls += 1
                version = config.current().version
                # The tab's lock (its state, in Redis) only when something changed, or now and then
                # to learn whether the tab is still on the studio.
                if version == shown and polls % CONFIG_PRESENCE_EVERY and not backoff.failures:
                    continue
                try:
                    async with self:
                        # The route, not the URL: the production build serves pages with a trailing slash.
                        if self.router.route_id != routes.route_id(routes.STUDIO) or not self._owner_id:
                            return
                        if version != self._config_version:
                            self._show_offer()
                        shown = self._config_version
                except Exception as error:  # Redis away: keep watching
                    note_failure("watching the configuration", error, first=not backoff.failures)
                    await backoff.pause()
                    continue
                backoff.succeeded()
        finally:
            with contextlib.suppress(Exception):
                async with self:
                    self._watching_config = False

    @rx.event(background=True)
    @public
    async def check_server(self):
        """Name the model in use, and say so when it is the demo renderer."""
        services = await asyncio.to_thread(get_services)
        async with self:
            if not self.model_id:
                return
            self._in_tab_language()  # the problem is said in this tab's language
            profile = services.catalog.get(self.model_id)
        problem, is_demo = "", services.runs_embedded_demo(profile)
        try:
            async with providers.adapter_for(profile) as adapter:
                is_demo = (await adapter.served_model()).is_demo or is_demo
        except InferenceError as error:
            problem = error.user_message
        async with self:
            if self.model_id == profile.id:
                self.demo_in_use = is_demo
                self.server_problem = problem

    @rx.event
    @public
    def choose_model(self, profile_id: str):
        if not isinstance(profile_id, str) or not get_services().catalog.offers(profile_id):
            return
        self._show_profile(profile_id)
        return StudioState.check_server

    def _apply_recipe(
        self, recipe: StoredRecipe, references: list[ReferenceCard], mask: MaskCard | None = None
    ) -> None:
        """Put a stored recipe back into the form: every parameter, the seed kept, its references and
        mask. The caller has made the form the signed-in user's (_ensure_ready)."""
        catalog = get_services().catalog
        if catalog.offers(recipe.model_profile) and recipe.model_profile != self.model_id:
            self._show_profile(recipe.model_profile)
        self.prompt = recipe.prompt
        self.negative_prompt = (recipe.negative_prompt or "").strip()
        self.references = references[: max(self.max_references, 0)]
        self.mask = mask
        self.width = str(recipe.width or "")
        self.height = str(recipe.height or "")
        self.steps = str(recipe.steps or "")
        self.guidance = "" if recipe.guidance is None else f"{recipe.guidance:g}"
        self.seed = "" if recipe.seed is None else str(recipe.seed)
        self.image_count = "1"
        options = recipe.options or {}
        self.options = {key: str(value) for key, value in options.items() if key in OPTION_FIELDS}
        self.prompt_upsampling = options.get("prompt_upsampling") is True
        # Whatever an earlier drop restored is superseded by this recipe, and so is its notice.
        self.restored_file, self.restored_message = None, ""
        self._refresh()

    @rx.event
    @signed_in
    async def reproduce(self, user: User, image_id: str):
        """A result's recipe back into the form: Reproduce on a result card."""
        self._ensure_ready(user)
        if not await self._reproduce(user.id, str(image_id)):
            self.run_error = _("That image does not exist (any more).")

    async def _reproduce(self, owner_id: str, image_id: str) -> bool:
        """Every parameter of one of the user's images back into the form, its seed and references
        kept. False when there is no such image of theirs."""
        services = get_services()
        # Also someone else's image on a board shared with the user: its recipe only (their references stay theirs).
        found = await uploads.find_viewable_image(services, image_id, owner_id)
        if found is None:
            await self._record_refused(owner_id, "image", image_id)
            return False
        image, generation = found
        references = await uploads.references_of(services, generation.id, owner_id)
        mask = await uploads.find_mask(services, generation.mask_id, owner_id) if generation.mask_id else None
        # The typed prompt and the context elements back; the elements bring their own images.
        typed, element_images = await prompt_help.restore(self, owner_id, generation.recipe_extras, generation.prompt)
        self._apply_recipe(
            stored_recipe(generation, image.seed),
            [reference_card(r) for r in references if r.id not in element_images],
            mask_card(mask) if mask is not None else None,
        )
        self.prompt = typed
        return True

    # ---- references --------------------------------------------------------------------------

    def _attach(self, card: ReferenceCard) -> None:
        self.references = [*self.references, card]
        self._refresh()

    @rx.event
    @public
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
    @signed_in
    async def add_references(self, user: User, files: list[rx.UploadFile]):
        self._ensure_ready(user)
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
                # The image pool decodes one picture at a time, however many arrive at once.
                card = reference_card(await uploads.add_reference(get_services(), user.id, data, name=name))
            except StorageUnavailable as unavailable:
                problems.append(unavailable.message)
                break
            except Refusal as rejected:
                problems.append(rejected.message)
                continue
            recipe = await in_image_pool(metadata.read, data) if len(data) <= MAX_BYTES else None
            if recipe is not None and recipe.prompt:
                # A picture that carries its recipe (ours or AUTOMATIC1111's): restore it, like
                # the best tools do; the picture itself stays one click away.
                # The recipe's own references: none for text to image. A dropped file carries
                # no reference pictures, so an edit's recipe asks for them instead.
                self._apply_recipe(recipe, [])
                self.restored_file = card
                self.restored_message = (
                    _("Restored the recipe of {name}.", name=name)
                    if recipe.reference_count == 0
                    else _(
                        "Restored the recipe of {name}. It was an edit: add its reference images to edit again.",
                        name=name,
                    )
                )
                continue
            self._attach(card)
        self.reference_message = " ".join(problems)

    @rx.event
    @public
    def references_rejected(self, rejected: list[dict]) -> None:
        """Files the browser's picker filter turned away, explained like the server's own checks."""
        self._in_tab_language()
        problems = []
        for item in rejected if isinstance(rejected, list) else []:
            item = item if isinstance(item, dict) else {}
            name = str(item.get("name") or _("A file")).lstrip("./")
            codes = set(item.get("codes") or [])
            if "file-too-large" in codes:
                problems.append(_("{name} is larger than {size} MB.", name=name, size=MAX_BYTES // (1024 * 1024)))
            elif "too-many-files" in codes:
                problems.append(self._reference_limit_text())
            else:
                problems.append(_("{name} is not a PNG, JPEG or WebP image.", name=name))
        self.reference_message = " ".join(dict.fromkeys(problems))

    @rx.event
    @signed_in
    async def use_as_reference(self, user: User, image_id: str):
        self._ensure_ready(user)
        await self._use_image_as_reference(user.id, str(image_id))

    async def _use_image_as_reference(self, owner_id: str, image_id: str) -> None:
        """One of the user's own results as a reference image (its lineage is kept)."""
        if len(self.references) >= self.max_references:
            self.reference_message = self._reference_limit_text()
            return
        services = get_services()
        # Also someone else's image on a board shared with the user: copied into the user's references.
        found = await uploads.find_viewable_image(services, image_id, owner_id)
        if found is None:
            self.reference_message = _("That image does not exist (any more).")
            await self._record_refused(owner_id, "image", image_id)
            return
        image, generation = found
        path = services.files.path_for(image.sha256)
        try:
            reference = await uploads.add_reference(
                services,
                owner_id,
                await asyncio.to_thread(path.read_bytes),
                name=path.name,
                stored_as=reference_name(image, generation),
                # Lineage links the user's own images only.
                source_image_id=image.id if image.owner_id == owner_id else None,
            )
        except Refusal as refused:
            self.reference_message = refused.message
            return
        self._attach(reference_card(reference))
        self.reference_message = ""

    def _reference_limit_text(self) -> str:
        return reference_limit_text(get_services().catalog, self.model_id)

    @rx.event
    @public
    def remove_reference(self, index: int) -> None:
        self.references = [card for position, card in enumerate(self.references) if position != index]
        self.reference_message = ""
        self._refresh()

    # ---- the mask -----------------------------------------------------------------------------

    @rx.event
    @checks_inside
    async def mask_saved(self, result: dict | None):
        """The painter (assets/mask_painter.js) posted a mask to its HTTP route; this is its id.
        None: the painter was closed without one."""
        mask_id = result.get("id") if isinstance(result, dict) else None
        if not isinstance(mask_id, str):
            return
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        self._ensure_ready(user)
        found = await uploads.find_mask(get_services(), mask_id, user.id)
        if found is None:
            self.reference_message = _("That mask does not exist (any more).")
            await self._record_refused(user.id, "mask", mask_id)
            return
        if not self.references or found.reference_id != self.references[0].id:
            self.reference_message = _("The mask was painted on an image that is no longer the first reference.")
            return
        self.mask = mask_card(found)
        self.reference_message = ""
        self._refresh()

    @rx.event
    @public
    def remove_mask(self) -> None:
        self.mask = None
        self._refresh()

    @rx.event
    @public
    def dismiss_restored(self) -> None:
        self.restored_file, self.restored_message = None, ""

    # ---- generating --------------------------------------------------------------------------

    @rx.event
    @signed_in
    async def cancel(self, user: User, job_id: str):
        """Cancel one run of the feed: at once while it waits, else its worker is asked to stop."""
        job_id = str(job_id)
        if not any(card.id == job_id for card in self.runs):
            return
        services = await asyncio.to_thread(get_services)
        try:
            await cancel(services, job_id, owner_id=user.id)
        except StorageUnavailable as unavailable:
            self.run_error = unavailable.message
            return
        # Whatever the tab thought, the row now says how things stand.
        found = await asyncio.to_thread(views.run, services.engine, job_id, owner_id=user.id)
        self._replace_run(job_id, self._card(found) if found else None)
        if found is not None and found.view.active:
            return StudioState.watch_run(job_id)

    @rx.event(background=True)
    @checks_inside
    async def generate(self, form_data: dict):
        form_data = form_data if isinstance(form_data, dict) else {}
        async with self:
            token = self._session_token()
        services = await asyncio.to_thread(get_services)
        user = await user_for_token(token)
        async with self:
            if user is None:
                return self._to_sign_in()
            self._ensure_ready(user)
            self._use_language(user)
            language = self.lang
            # The form's own values: the state's copies may lag behind by the input debounce.
            self.prompt = str(form_data.get("prompt", self.prompt))
            if self.takes_negative_prompt and "negative_prompt" in form_data:
                self.negative_prompt = str(form_data["negative_prompt"])
            for field in OVERRIDE_FIELDS:
                # null: the field is not on the page (Advanced settings closed); keep its value.
                if form_data.get(field) is not None:
                    setattr(self, field, str(form_data[field]).strip())
            typed = {
                field: str(form_data[field]).strip() for field in TYPED_OPTIONS if form_data.get(field) is not None
            }
            self.options = {**self.options, **typed}
            self._refresh()
            if self.submitting or not self.prompt.strip() or form_data.get("submission") != self.submission:
                return
            if self.problems:
                self.run_error = _("Check the advanced settings:") + " " + " ".join(self.problems.values())
                return
            # The prompt with the picked context elements; generation.plan says whether their images go along.
            composed = await prompt_help.for_submission(self, self.prompt, tuple(card.id for card in self.references))
            try:
                given = self._plan_input(element_references=len(composed.element_reference_ids))
                planned = plan(services.catalog, dataclasses.replace(given, prompt=composed.prompt))
            except Refusal as refused:
                more = " " + _("Remove some to generate.") if refused.field == "references" else ""
                self.run_error = refused.message + more
                return
            elements_sent = composed.element_reference_ids if planned.sends_element_images else ()
            reference_ids = (*composed.reference_ids, *elements_sent)
            mask_id = self.mask.id if self.mask is not None else None
            # Until the job row exists, Generate stays pressed: a second delivery is ignored.
            self.submitting, self.run_error = True, ""
            self.submission = secrets.token_hex(8)

        try:
            job_id = await submit(services, user.id, planned, reference_ids, mask_id, recipe_extras=composed.extras)
            found = await asyncio.to_thread(views.run, services.engine, job_id, owner_id=user.id)
        except SubmissionRefused as refused:
            await asyncio.to_thread(services.config.refresh)
            async with self:
                self.submitting = False
                if isinstance(refused, ProfileUnavailable):
                    self._show_offer()
                # Paused: the message stands above the form; any other refusal where errors show.
                paused = isinstance(refused, GenerationPaused)
                self.paused_message = refused.message if paused else ""
                self.run_error = "" if paused else refused.message
            return
        except Refusal as refused:  # storage, or a reference or mask no longer the user's
            async with self:
                self.submitting, self.run_error = False, refused.message
            return
        labels = {key: profile.label for key, profile in services.catalog.models.items()}
        card = run_card(found, labels=labels, language=language) if found else None
        async with self:
            self.submitting, self.paused_message = False, ""
            self.restored_file, self.restored_message = None, ""
            return self._put_on_top(job_id, card)

    def _put_on_top(self, job_id: str, card: RunCard | None) -> list:
        """A new run goes on top of the feed, watched until it ends; the window keeps its size, and
        paging goes on after it. It comes into view, its top first (on a phone it is below the form);
        nothing moves when it is in view already."""
        if card is not None:
            runs = [card, *[shown for shown in self.runs if shown.id != job_id]]
            if len(runs) > MAX_RUNS:
                runs = runs[:MAX_RUNS]
                self.runs_cursor = runs[-1].cursor
            self.runs = runs
        return [StudioState.watch_run(job_id), rx.call_script(f"window.bildgenShowRun('run-{job_id}')")]

    @rx.event
    @signed_in
    async def retry(self, user: User, job_id: str):
        """Retry on a finished run's card: its missing images again, as they were asked for."""
        job_id = str(job_id)
        if not any(card.id == job_id and card.can_retry for card in self.runs):
            return
        services = await asyncio.to_thread(get_services)
        try:
            new_id = await asyncio.to_thread(retry.retry_missing, services.engine, job_id, owner_id=user.id)
            found = await asyncio.to_thread(views.run, services.engine, new_id, owner_id=user.id)
        except retry.NothingToRetry:
            return
        except SubmissionRefused as refused:
            self.run_error = refused.message
            return
        except StorageUnavailable as unavailable:
            self.run_error = unavailable.user_message
            return
        except LookupError:
            self.run_error = _("A reference image of this run is no longer available.")
            return
        services.runner.wake()
        self.run_error = ""
        return self._put_on_top(new_id, self._card(found) if found else None)


def form_input(
    catalog,
    *,
    model_id: str,
    prompt: str,
    choices: FormChoices,
    options: OptionChoices,
    references: int,
    element_references: int = 0,
) -> PlanInput:
    """The studio's form as generation.plan reads it: the fields the serving model's form hides (its
    negative prompt, seed) are not sent."""
    shown = catalog.serving(model_id, with_references=references > 0).capabilities()
    return PlanInput(
        model=model_id,
        prompt=prompt,
        form=dataclasses.replace(
            choices,
            negative_prompt=choices.negative_prompt if shown.negative_prompt else "",
            seed=choices.seed if shown.seed else "",
        ),
        options=options,
        references=references,
        element_references=element_references,
    )


def _model_choice(catalog, profile_id: str) -> ModelChoice:
    """A picker entry, marked when its service (or that of its edits) is outside the organisation."""
    profile = catalog.get(profile_id)
    own = profile.capabilities().cloud
    editor = catalog.serving(profile_id, with_references=True).capabilities().cloud
    return ModelChoice(
        id=profile_id, label=profile.label, cloud=own or editor or "", cloud_edits_only=not own and bool(editor)
    )


def reference_card(reference: ReferenceImage) -> ReferenceCard:
    return ReferenceCard(id=reference.id, image_path=routes.reference_upload_path(reference.id), name=reference.name)


def mask_card(mask: EditMask) -> MaskCard:
    return MaskCard(id=mask.id, reference_id=mask.reference_id, image_path=routes.mask_upload_path(mask.id))
