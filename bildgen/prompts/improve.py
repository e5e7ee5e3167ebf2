"""Improve prompt: the text model rewrites a prompt for the image model family it is meant for,
following what each family's makers recommend; the user sees both and decides."""

from __future__ import annotations

from bildgen import i18n
from bildgen.i18n import _
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import TextModelProfile
from bildgen.inference.text import TextModelClient
from bildgen.prompts.parsing import single_prompt

MAX_IMPROVE_INPUT = 2000

_COMMON = (
    "You improve prompts for an image generation model. Rewrite the user's prompt so that the model "
    "produces a better image of exactly what the user asked for: keep the subject, the intent and the "
    "language of the prompt; add concrete visual detail (composition, lighting, materials, colours, "
    "camera or medium) where the prompt is vague; do not add people, brands, logos or text the user did "
    "not ask for. Answer with the improved prompt only: no title, no quotes, no explanation."
)
FAMILY_ADVICE = {
    "qwen-image": (
        "The model is Qwen-Image: it follows long, natural-language descriptions in full sentences and "
        "renders text in images well. Describe subject, setting, composition, lighting and style in "
        "flowing sentences; put any words that must appear in the image in double quotes."
    ),
    "qwen-image-edit": (
        "The model is Qwen-Image-Edit: the prompt describes a change to the reference image(s). State "
        "precisely what to change and what must stay as it is; refer to the images as 'the image' or "
        "'image 1', 'image 2'."
    ),
    "flux2": (
        "The model is FLUX.2: write one flowing paragraph with the most important elements first "
        "(subject, action, style, then context); for photographs use concrete camera, lens and lighting "
        "terms. FLUX.2 has no negative prompt: describe what should be there, never what should not."
    ),
    "generic": (
        "Write one clear paragraph: subject first, then setting, composition, lighting and style, as a "
        "diffusion model reads best."
    ),
}


def instruction(family: str) -> str:
    return f"{_COMMON} {FAMILY_ADVICE.get(family, FAMILY_ADVICE['generic'])}"


async def improved(profile: TextModelProfile, prompt: str, *, family: str) -> str:
    """The prompt rewritten for the family. Raises ValueError for an empty or overlong prompt,
    InferenceError when the text model fails or answers with nothing usable."""
    prompt = prompt.strip()
    if not prompt:
        raise ValueError(_("Type a prompt first."))
    if len(prompt) > MAX_IMPROVE_INPUT:
        raise ValueError(
            _("Prompts of up to {max} characters can be improved.", max=i18n.format_number(MAX_IMPROVE_INPUT))
        )
    messages = [{"role": "system", "content": instruction(family)}, {"role": "user", "content": prompt}]
    async with TextModelClient(profile.endpoint(), structured_output=profile.structured_output) as client:
        answer = await client.complete(messages, temperature=0.4, max_tokens=1024)
    rewritten = single_prompt(answer)
    if not rewritten:
        raise InferenceError(ErrorKind.MALFORMED, server_said="the text model wrote no prompt")
    return rewritten
