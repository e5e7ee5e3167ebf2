"""The studio form and the cards of the current run. Holds ids and URLs, never image bytes."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import reflex as rx

from bildgen import routes
from bildgen.inference.client import InferenceClient
from bildgen.inference.errors import InferenceError
from bildgen.inference.profiles import ModelProfile
from bildgen.jobs import Recipe, VariantOutcome
from bildgen.params import MAX_VARIANTS, effective, variant_seeds
from bildgen.services import get_services
from bildgen.store.references import MAX_BYTES, ReferenceRejected, clean_reference

PENDING, DONE, FAILED = "pending", "done", "failed"
TICK_S = 1.0


@dataclasses.dataclass
class VariantCard:
    number: int
    status: str = PENDING
    elapsed_s: int = 0
    seed: int = 0
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
    sha256: str
    image_path: str
    name: str


class StudioState(rx.State):
    prompt: str = ""
    negative_prompt: str = ""
    image_count: str = "1"
    running: bool = False
    variants: list[VariantCard] = []
    run_error: str = ""

    models: list[ModelChoice] = []
    model_id: str = ""
    model_label: str = ""
    demo_in_use: bool = False
    server_problem: str = ""
    parameters_line: str = ""
    takes_negative_prompt: bool = True
    max_references: int = 0

    references: list[ReferenceCard] = []
    reference_message: str = ""

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
    def too_many_references(self) -> bool:
        return len(self.references) > self.max_references

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value

    @rx.event
    def set_negative_prompt(self, value: str) -> None:
        self.negative_prompt = value

    @rx.event
    def set_image_count(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        if value.isdigit() and 1 <= int(value) <= MAX_VARIANTS:
            self.image_count = value

    # ---- the model ---------------------------------------------------------------------------

    def _show_profile(self, profile: ModelProfile) -> None:
        catalog = get_services().catalog
        traits = profile.traits()
        self.model_id = profile.id
        self.model_label = profile.label
        self.takes_negative_prompt = traits.takes_negative_prompt
        self.max_references = catalog.max_references(profile.id)
        self.parameters_line = effective(traits).describe()
        self.reference_message = ""

    @rx.event(background=True)
    async def check_server(self):
        """Name the model in use, and say so when it is the demo renderer."""
        services = await asyncio.to_thread(get_services)
        async with self:
            if not self.model_id:
                self.models = [ModelChoice(id=key, label=p.label) for key, p in services.catalog.models.items()]
                self._show_profile(services.catalog.default)
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
        catalog = get_services().catalog
        if profile_id not in catalog.models:
            return
        self._show_profile(catalog.models[profile_id])
        return StudioState.check_server

    # ---- references --------------------------------------------------------------------------

    @rx.event
    async def add_references(self, files: list[rx.UploadFile]) -> None:
        services = get_services()
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
            sha256 = await asyncio.to_thread(services.references.save, clean)
            self.references = [
                *self.references,
                ReferenceCard(sha256=sha256, image_path=routes.reference_upload_path(sha256), name=name),
            ]
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

    def _reference_limit_text(self) -> str:
        if self.max_references == 0:
            return f"{self.model_label} does not take reference images."
        plural = "" if self.max_references == 1 else "s"
        return f"{self.model_label} takes at most {self.max_references} reference image{plural}."

    @rx.event
    def remove_reference(self, index: int) -> None:
        self.references = [card for position, card in enumerate(self.references) if position != index]
        self.reference_message = ""

    # ---- generating --------------------------------------------------------------------------

    @rx.event(background=True)
    async def generate(self, form_data: dict):
        async with self:
            self.prompt = str(form_data.get("prompt", self.prompt))
            if "negative_prompt" in form_data:
                self.negative_prompt = str(form_data["negative_prompt"])
            if self.running or not self.prompt.strip():
                return
            if self.too_many_references:
                self.run_error = self._reference_limit_text() + " Remove some to generate."
                return
            prompt = self.prompt.strip()
            negative_prompt = self.negative_prompt if self.takes_negative_prompt else ""
            reference_hashes = [card.sha256 for card in self.references]
            profile_id = self.model_id
            seeds = variant_seeds(int(self.image_count))
            self.running = True
            self.run_error = ""
            self.variants = [VariantCard(number=index + 1, seed=seed) for index, seed in enumerate(seeds)]

        services = await asyncio.to_thread(get_services)
        profile = services.catalog.serving(profile_id, with_references=bool(reference_hashes))
        references = await asyncio.to_thread(
            lambda: tuple(services.references.path_for(sha).read_bytes() for sha in reference_hashes)
        )
        recipe = Recipe(
            prompt=prompt,
            profile_id=profile.id,
            parameters=effective(profile.traits(), negative_prompt=negative_prompt),
            seeds=seeds,
            references=references,
        )
        started = time.monotonic()
        try:
            run = await services.generator.start(recipe, profile.endpoint())
        except InferenceError as error:
            async with self:
                self.running = False
                self.variants = []
                self.run_error = error.user_message
            return

        pending: set[asyncio.Task[VariantOutcome]] = set(run.variants)
        while pending:
            done, pending = await asyncio.wait(pending, timeout=TICK_S, return_when=asyncio.FIRST_COMPLETED)
            async with self:
                self.variants = [
                    _updated(card, [task.result() for task in done], int(time.monotonic() - started))
                    for card in self.variants
                ]
        async with self:
            self.running = False
            if all(card.status == FAILED for card in self.variants):
                self.run_error = self.variants[0].error


def _updated(card: VariantCard, outcomes: list[VariantOutcome], elapsed_s: int) -> VariantCard:
    for outcome in outcomes:
        if outcome.variant + 1 != card.number:
            continue
        if outcome.image is None:
            return dataclasses.replace(card, status=FAILED, error=outcome.error or "", elapsed_s=elapsed_s)
        image = outcome.image
        return dataclasses.replace(
            card,
            status=DONE,
            elapsed_s=elapsed_s,
            image_path=routes.image_upload_path(image.id),
            filename=image.filename,
            width=image.width,
            height=image.height,
        )
    return dataclasses.replace(card, elapsed_s=elapsed_s) if card.status == PENDING else card
