"""The studio form and the cards of the current run. Holds ids and URLs, never image bytes."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import reflex as rx

from bildgen import routes
from bildgen.inference.client import InferenceClient
from bildgen.inference.errors import InferenceError
from bildgen.jobs import Recipe, VariantOutcome
from bildgen.params import MAX_VARIANTS, defaults_for, variant_seeds
from bildgen.services import get_services

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


class StudioState(rx.State):
    prompt: str = ""
    image_count: str = "1"
    running: bool = False
    variants: list[VariantCard] = []
    run_error: str = ""
    model_label: str = ""
    demo_in_use: bool = False
    server_problem: str = ""
    parameters_line: str = ""

    @rx.var
    def prompt_missing(self) -> bool:
        return not self.prompt.strip()

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value

    @rx.event
    def set_image_count(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        if value.isdigit() and 1 <= int(value) <= MAX_VARIANTS:
            self.image_count = value

    @rx.event(background=True)
    async def check_server(self):
        """Name the model in use, and say so when it is the demo renderer."""
        services = await asyncio.to_thread(get_services)
        profile = services.catalog.default
        problem, is_demo = "", services.demo_server is not None
        try:
            async with InferenceClient(profile.endpoint()) as client:
                is_demo = (await client.served_model()).is_demo or is_demo
        except InferenceError as error:
            problem = error.user_message
        async with self:
            self.model_label = profile.label
            self.demo_in_use = is_demo
            self.server_problem = problem
            self.parameters_line = defaults_for(profile.family).describe()

    @rx.event(background=True)
    async def generate(self, form_data: dict):
        async with self:
            self.prompt = str(form_data.get("prompt", self.prompt))
            if self.running or not self.prompt.strip():
                return
            prompt = self.prompt.strip()
            seeds = variant_seeds(int(self.image_count))
            self.running = True
            self.run_error = ""
            self.variants = [VariantCard(number=index + 1, seed=seed) for index, seed in enumerate(seeds)]

        services = await asyncio.to_thread(get_services)
        profile = services.catalog.default
        recipe = Recipe(prompt=prompt, profile_id=profile.id, parameters=defaults_for(profile.family), seeds=seeds)
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
