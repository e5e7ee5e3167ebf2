"""Improve prompt in the studio, and what prompt help adds to a submission. A thin state over
bildgen.prompts.

- Improve prompt sends the prompt to the text model with an instruction for the selected model's
  family and shows the proposal beside the original: use it (editable), or discard it. Where the
  service upsamples prompts itself (BFL's prompt_upsampling), the form's own option is pointed to.
- `for_submission` composes what Generate sends: the typed prompt with the picked context elements,
  their images as references, and the recipe's extras (typed prompt, improved-from, elements).
- `restore` puts a recipe's extras back (Reproduce): the typed prompt, the elements with their roles.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen.i18n import _
from bildgen.inference.errors import InferenceError
from bildgen.prompts import elements
from bildgen.prompts.elements import RecipeExtras
from bildgen.prompts.improve import improved
from bildgen.prompts.writing import text_model_problem
from bildgen.services import get_services
from bildgen.state.context_elements import ContextElementsState
from bildgen.state.guards import checks_inside, public
from bildgen.state.session import SessionState, user_for_token


class PromptHelpState(SessionState):
    writer_label: str = ""  # "" when no text model is configured: no Improve button
    # Profiles whose service upsamples prompts itself: the form's own Prompt upsampling option is
    # pointed to instead of Improve prompt.
    upsampling_models: list[str] = []
    improving: bool = False
    original: str = ""
    proposal: str = ""  # the improved prompt offered, editable before it is used
    proposal_key: int = 0  # renews the proposal's text box for each new proposal
    message: str = ""
    # The last proposal used, and what it was made from: recorded when Generate sends it unchanged.
    _used: str = ""
    _used_from: str = ""

    @rx.event
    @public
    async def load_prompt_help(self):
        catalog = (await asyncio.to_thread(get_services)).catalog
        writer = catalog.text_model
        self.writer_label = writer.label if writer else ""
        self.upsampling_models = [
            key
            for key in catalog.models
            if catalog.serving(key, with_references=False).capabilities().prompt_upsampling
        ]

    @rx.event(background=True)
    @checks_inside
    async def improve_prompt(self, prompt: str, model_id: str, with_references: bool):
        """The prompt as the form holds it, the model selected: a proposal to accept, edit or discard."""
        prompt = str(prompt)[:4000]
        async with self:
            if self.improving:
                return
            self.improving, self.message, token = True, "", self._session_token()
            self._in_tab_language()
        proposal, problem = "", ""
        try:
            user = await user_for_token(token)
            if user is None:
                return
            catalog = (await asyncio.to_thread(get_services)).catalog
            writer = catalog.text_model
            if writer is None:
                problem = _("No text model is configured here.")
            else:
                family = catalog.serving(str(model_id), with_references=bool(with_references)).family
                try:
                    proposal = await improved(writer, prompt, family=family)
                except ValueError as refused:
                    problem = str(refused)
                except InferenceError as error:
                    problem = text_model_problem(writer, error)
        finally:
            async with self:
                self.improving = False
                self.message = problem
                if proposal:
                    self.original, self.proposal = prompt.strip(), proposal
                    self.proposal_key += 1

    @rx.event
    @public
    def edit_proposal(self, value: str) -> None:
        self.proposal = str(value)[:4000]

    def _take_proposal(self) -> str:
        """The proposal as edited, now the prompt (StudioState.use_proposal); the original is kept for the recipe."""
        used = self.proposal.strip()
        self._used, self._used_from = used, self.original
        self.proposal, self.original = "", ""
        return used

    @rx.event
    @public
    def discard_proposal(self) -> None:
        self.proposal, self.original, self.message = "", "", ""


@dataclasses.dataclass(frozen=True)
class Composed:
    prompt: str
    reference_ids: tuple[str, ...]  # the form's own
    # The picked elements' images not among those: generation.plan says whether they go along.
    element_reference_ids: tuple[str, ...]
    extras: str | None  # Generation.recipe_extras


async def for_submission(state: rx.State, prompt: str, own: tuple[str, ...]) -> Composed:
    """What the studio's Generate sends: its prompt with the picked context elements, its references
    (`own`) and the elements' images, the recipe's extras. Call inside `async with self` (reads
    states only, no I/O)."""
    typed = prompt.strip()
    helper = await state.get_state(PromptHelpState)
    context = await state.get_state(ContextElementsState)
    picked = context.picked()
    composed = elements.compose(typed, picked)
    writer = get_services().catalog.text_model
    was_improved = bool(helper._used) and helper._used == typed
    extras = RecipeExtras(
        prompt_as_typed=typed if picked else None,
        improved_from=helper._used_from if was_improved else None,
        improved_by=(writer.label if writer else None) if was_improved else None,
        elements=tuple(picked),
    )
    return Composed(
        prompt=composed.prompt,
        reference_ids=own,
        element_reference_ids=tuple(id_ for id_ in dict.fromkeys(composed.reference_ids) if id_ not in own),
        extras=extras.encode(),
    )


async def restore(state: rx.State, owner_id: str, extras_text: str | None, sent_prompt: str) -> tuple[str, set[str]]:
    """Reproduce: the prompt to put back into the form and the reference ids that the restored
    elements bring themselves (to be left out of the form's own references). An element deleted
    since keeps its words in the prompt instead."""
    extras = RecipeExtras.decode(extras_text)
    helper = await state.get_state(PromptHelpState)
    context = await state.get_state(ContextElementsState)
    missing = await context._restore(owner_id, extras)
    typed = extras.prompt_as_typed or sent_prompt
    if missing:
        typed = elements.compose(typed, missing).prompt
        context.message = _(
            "No longer there, so their words are in the prompt: {names}", names=", ".join(e.name for e in missing)
        )
    helper._used, helper._used_from = (typed, extras.improved_from) if extras.improved_from else ("", "")
    restored = [element for element in extras.elements if element not in missing]
    return typed, {element.reference_id for element in restored if element.reference_id}
