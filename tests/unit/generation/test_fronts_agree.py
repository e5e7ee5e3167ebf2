"""The studio's form, a `/v1` request and a batch row go through one resolver (generation.plan): for
every demo flavor's model, the three fronts accept and refuse the same sizes, steps, guidance, counts
and seeds, and what they accept resolves to the same job."""

from __future__ import annotations

import dataclasses

import pydantic
import pytest

from bildgen.api.errors import ApiError
from bildgen.api.plan import plan as api_plan
from bildgen.api.schemas import GenerationFields
from bildgen.batches.items import BatchItem, ItemFields
from bildgen.batches.plan import plan as batch_plan
from bildgen.generation.plan import plan
from bildgen.inference.capabilities import OptionChoices
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.params import FormChoices
from bildgen.refusal import Refusal
from bildgen.state.studio import form_input

URL = "http://127.0.0.1:9/v1"
# One profile per demo flavor (inference/demo/server.py ALL_FLAVORS), as a deployment configures it.
PROFILES = [
    ModelProfile(id="vllm", label="Qwen-Image (vLLM-Omni)", base_url=URL, family="qwen-image"),
    ModelProfile(id="sglang", label="FLUX.2 (SGLang)", base_url=URL, family="flux2", served_name="FLUX.2-dev"),
    ModelProfile(id="gpt-image", label="GPT Image", base_url=URL, provider="openai", served_name="gpt-image-1"),
    ModelProfile(id="sd", label="Stable Diffusion", base_url=URL, provider="automatic1111"),
    ModelProfile(id="flux-pro", label="FLUX.2 [pro]", base_url=URL, provider="bfl", served_name="flux-2-pro"),
    ModelProfile(id="flux-dev", label="FLUX.1 [dev]", base_url=URL, provider="bfl", served_name="flux-dev"),
    *(
        ModelProfile(id=f"gateway-{route}", label=f"Gateway {route}", base_url=URL, provider="gateway", route=route)
        for route in ("qwen", "flux", "gpt-image", "gemini-3", "automatic1111")
    ),
]
CATALOG = Catalog(default_model="vllm", models={profile.id: profile for profile in PROFILES})


@dataclasses.dataclass(frozen=True)
class Ask:
    """What a user asks for, in the words every front has: "" leaves a field to the presets."""

    width: str = ""
    height: str = ""
    steps: str = ""
    guidance: str = ""
    seed: str = "7"
    count: str = "1"


ASKS = [
    Ask(),
    Ask(width="1024", height="1024"),
    Ask(width="1008", height="1008"),  # a multiple of 16, not of 32
    Ask(width="1360", height="768"),
    Ask(width="512", height="512"),
    Ask(width="1536", height="1024"),
    Ask(width="1440", height="1440"),
    Ask(width="2048", height="2048"),
    Ask(width="4096", height="256"),
    Ask(width="128", height="128"),
    Ask(width="1000", height="1000"),
    Ask(steps="30", guidance="3.5"),
    Ask(steps="60"),
    Ask(steps="180", guidance="25"),
    Ask(guidance="1"),
    Ask(count="4", seed="123"),
    Ask(count="9"),
]


def studio(model: str, ask: Ask):
    """The studio's Generate: its form (presets, overrides as typed) as generation.plan reads it."""
    choices = FormChoices(
        width=ask.width, height=ask.height, count=ask.count, steps=ask.steps, guidance=ask.guidance, seed=ask.seed
    )
    given = form_input(CATALOG, model_id=model, prompt="a fox", choices=choices, options=OptionChoices(), references=0)
    try:
        planned = plan(CATALOG, given)
    except Refusal as refused:
        return "refused", refused.field
    return "accepted", (planned.profile_id, planned.parameters, planned.seeds)


def api(model: str, ask: Ask):
    """A /v1 request: its schema first (FastAPI answers 400 naming the field), then the plan."""
    try:
        fields = GenerationFields(
            model=model,
            prompt="a fox",
            n=int(ask.count),
            size=f"{ask.width}x{ask.height}" if ask.width else None,
            num_inference_steps=int(ask.steps) if ask.steps else None,
            guidance_scale=float(ask.guidance) if ask.guidance else None,
            seed=int(ask.seed),
        )
        planned = api_plan(CATALOG, fields, reference_count=0)
    except pydantic.ValidationError as invalid:
        return "refused", invalid.errors()[0]["loc"][0]
    except ApiError as error:
        return "refused", error.param
    return "accepted", (planned.profile_id, planned.parameters, planned.seeds)


def batch(model: str, ask: Ask):
    item = BatchItem("a fox", ItemFields(model=model, **dataclasses.asdict(ask)))
    checked = batch_plan([item], ItemFields(), CATALOG)
    if not checked.ok:
        return "refused", checked.row_problems[0]
    (planned,) = checked.items
    seeds = list(range(planned.seed, planned.seed + planned.count))
    return "accepted", (planned.profile_id, planned.parameters, seeds)


@pytest.mark.parametrize("model", [profile.id for profile in PROFILES])
@pytest.mark.parametrize(
    "ask", ASKS, ids=lambda ask: "-".join(f"{k}{v}" for k, v in dataclasses.asdict(ask).items() if v)
)
def test_the_studio_the_api_and_batches_accept_and_refuse_alike(model, ask):
    in_studio, in_api, in_batch = studio(model, ask), api(model, ask), batch(model, ask)
    assert in_studio[0] == in_api[0] == in_batch[0], (in_studio, in_api, in_batch)
    if in_studio[0] == "accepted":
        # The same job: serving profile and parameters, and the seeds asked for where the model takes one.
        assert in_api[1][:2] == in_batch[1][:2] == in_studio[1][:2]
        if CATALOG.models[model].capabilities().seed:
            assert in_api[1][2] == in_batch[1][2] == in_studio[1][2]
    else:
        assert in_api[1] in {"size", "num_inference_steps", "guidance_scale", "n"}


@pytest.mark.parametrize(
    ("model", "ask"),
    [
        ("flux-pro", Ask(width="1008", height="1008")),  # BFL: multiples of 32 …
        ("flux-pro", Ask(width="2048", height="2048")),  # … from 256 to 1440
        ("gateway-flux", Ask(width="1360", height="768")),
        ("gpt-image", Ask(width="512", height="512")),  # GPT Image makes three sizes
        ("gateway-gpt-image", Ask(width="1000", height="1000")),
        ("sd", Ask(steps="180")),  # AUTOMATIC1111: at most 150 steps
    ],
)
def test_a_size_or_value_the_service_refuses_is_refused_naming_its_field(model, ask):
    assert studio(model, ask)[0] == "refused"
    assert batch(model, ask)[0] == "refused"
    status, param = api(model, ask)
    assert status == "refused" and param in {"size", "num_inference_steps"}


@pytest.mark.parametrize(
    ("model", "ask"),
    [
        ("flux-pro", Ask(width="1440", height="1440")),
        ("gpt-image", Ask(width="1536", height="1024")),
        ("gateway-gpt-image", Ask(width="1024", height="1536")),
        ("vllm", Ask(width="2048", height="2048")),
    ],
)
def test_a_size_the_service_takes_is_sent_as_asked(model, ask):
    for front in (studio, api, batch):
        status, (profile_id, parameters, _seeds) = front(model, ask)
        assert status == "accepted" and (parameters.width, parameters.height) == (int(ask.width), int(ask.height))
