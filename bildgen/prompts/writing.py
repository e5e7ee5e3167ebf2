"""Prompts written by a text model from a theme: the flow document's ObjectGenerator step
("Write N prompts about …"), its instruction kept, asking for {"prompts": [...]}."""

from __future__ import annotations

from bildgen import i18n
from bildgen.i18n import _
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import TextModelProfile
from bildgen.inference.text import TextModelClient
from bildgen.prompts.parsing import prompt_list

MIN_THEME, MAX_THEME = 4, 1000
MAX_WRITTEN = 100
# The flow document's instruction for its prompt generator, as its authors tuned it.
LIST_INSTRUCTION = (
    "You are going to be given a prompt type as input. As an experienced artist with knowledge of how "
    "diffusion models work, generate a list of prompts that will result in great images in the context "
    "of the prompt type input. Each prompt is one self-contained description of one image. "
    'Answer with JSON only: {"prompts": ["…", "…"]}.'
)


class PromptHelpRefused(ValueError):
    """The request cannot be sent as it is; the message says why, for the user."""


# Failures where the text model never answered (as opposed to answering with something unusable).
_NOT_ANSWERING = frozenset(
    {
        ErrorKind.UNREACHABLE,
        ErrorKind.UNAVAILABLE,
        ErrorKind.CONNECTION_LOST,
        ErrorKind.NOT_READY,
        ErrorKind.BUSY,
        ErrorKind.TIMED_OUT,
        ErrorKind.TLS,
    }
)


def text_model_problem(writer: TextModelProfile, error: InferenceError) -> str:
    """What a user is told when the text model fails: that it is the text model (named), not the image
    service, and that nothing was written."""
    if error.kind in _NOT_ANSWERING:
        return _(
            "The text model {model} isn't answering, so nothing was written. Try again in a minute; if it keeps "
            "happening, tell your administrator.",
            model=writer.label,
        )
    return _("The text model {model} could not write this: {reason}", model=writer.label, reason=error.user_message)


def list_schema(count: int) -> dict:
    return {
        "type": "object",
        "properties": {"prompts": {"type": "array", "items": {"type": "string"}, "minItems": count, "maxItems": count}},
        "required": ["prompts"],
        "additionalProperties": False,
    }


def checked_request(theme: str, count: int) -> tuple[str, int]:
    theme = " ".join(str(theme).split())
    if not MIN_THEME <= len(theme) <= MAX_THEME:
        raise PromptHelpRefused(
            _("Describe the theme in {min} to {max} characters.", min=MIN_THEME, max=i18n.format_number(MAX_THEME))
        )
    if not isinstance(count, int) or not 1 <= count <= MAX_WRITTEN:
        raise PromptHelpRefused(_("Ask for 1 to {max} prompts.", max=MAX_WRITTEN))
    return theme, count


async def prompts_about(profile: TextModelProfile, theme: str, count: int) -> list[str]:
    """Up to `count` prompts about the theme (a model may write fewer). Raises PromptHelpRefused for
    a request that cannot be sent, InferenceError when the model fails or says nothing usable."""
    theme, count = checked_request(theme, count)
    messages = [
        {"role": "system", "content": LIST_INSTRUCTION},
        {"role": "user", "content": f"Prompt type: {theme}\nWrite {count} prompts."},
    ]
    async with TextModelClient(profile.endpoint(), structured_output=profile.structured_output) as client:
        answer = await client.complete(messages, schema=list_schema(count))
    return prompt_list(answer, limit=count)
