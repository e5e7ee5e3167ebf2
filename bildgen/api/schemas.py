"""What the API takes and gives, as pydantic models: FastAPI validates requests with them and
writes the OpenAPI schema (/v1/openapi.json) from them. Field names follow OpenAI's images API;
the diffusion fields (`seed`, `negative_prompt`, `num_inference_steps`, `guidance_scale`) and
`"async"` follow the organisation's gateway."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bildgen.params import MAX_STEPS, MAX_VARIANTS, SEED_SPACE

PROMPT_MAX = 32_000
# The highest guidance any service takes (AUTOMATIC1111's CFG scale, 30): each model's own range is
# checked by generation.plan, naming the field, as the studio and batches check it.
GUIDANCE_BOUND = 30.0
SIZE_PATTERN = r"^(auto|[0-9]{1,5}x[0-9]{1,5})$"
ResponseFormat = Literal["b64_json", "url"]
# OpenAI's quality values, turned into the studio's presets (low = Draft, high = Best).
Quality = Literal["auto", "low", "medium", "high", "xhigh", "max", "standard", "hd"]
TaskStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class GenerationFields(BaseModel):
    """The fields shared by generations (JSON) and edits (multipart)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    prompt: str = Field(min_length=1, max_length=PROMPT_MAX, description="What the image shows.")
    model: str | None = Field(default=None, max_length=100, description="A model id from GET /v1/models.")
    n: int = Field(default=1, ge=1, le=MAX_VARIANTS, description="How many images (seeds seed, seed+1, …).")
    size: str | None = Field(
        default=None,
        pattern=SIZE_PATTERN,
        description="WIDTHxHEIGHT, both multiples of 16 from 256 to 2048, or auto (the model's default).",
    )
    response_format: ResponseFormat = Field(
        default="b64_json", description="b64_json: the PNG inline; url: a signed link valid for 24 hours."
    )
    seed: int | None = Field(default=None, ge=0, le=SEED_SPACE - 1, description="Omitted: a random one.")
    negative_prompt: str | None = Field(default=None, max_length=PROMPT_MAX)
    num_inference_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    guidance_scale: float | None = Field(
        default=None, ge=0, le=GUIDANCE_BOUND, description="The model's guidance (true_cfg_scale for Qwen-Image)."
    )
    quality: Quality | None = Field(default=None, description="low, medium or high: the studio's quality presets.")
    run_async: bool = Field(
        default=False,
        alias="async",
        description="true: answer 202 with a task at once; poll GET /v1/tasks/{id}.",
    )
    board: str | None = Field(
        default=None,
        max_length=80,
        description="The id or name of one of your boards: the images go there (instead of your auto-add board).",
    )
    # Sent by OpenAI clients; accepted and not used.
    user: str | None = Field(default=None, max_length=256)
    style: str | None = Field(default=None, max_length=40)
    background: str | None = Field(default=None, max_length=40)
    moderation: str | None = Field(default=None, max_length=40)
    output_format: Literal["png"] | None = Field(default=None, description="bildgen returns PNG images.")
    output_compression: int | None = Field(default=None, ge=0, le=100)
    safety_identifier: str | None = Field(default=None, max_length=256)
    stream: Literal[False] | None = Field(default=None, description="Streaming is not offered.")


class GenerationRequest(GenerationFields):
    """POST /v1/images/generations."""


class EditForm(GenerationFields):
    """The form fields of POST /v1/images/edits (multipart, beside the image files; others are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class UpscaleRequest(BaseModel):
    """bildgen's extension: one of your images (its `id` from an earlier answer) ×2 or ×4."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    image: str = Field(min_length=1, max_length=32, description="The image's id (data[].id of an earlier answer).")
    scale: Literal[2, 4] = Field(default=2, description="How many times wider and higher.")
    response_format: ResponseFormat = Field(
        default="b64_json", description="b64_json: the PNG inline; url: a signed link valid for 24 hours."
    )
    run_async: bool = Field(
        default=False, alias="async", description="true: answer 202 with a task at once; poll GET /v1/tasks/{id}."
    )


class ImageData(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None
    # bildgen's own: the image's id in the gallery and the seed that reproduces it (None when the
    # service was sent no seed, as GPT-Image is: then no seed reproduces it).
    id: str
    seed: int | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[ImageData]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "bildgen"
    label: str = Field(description="The name the studio shows.")
    max_references: int = Field(description="How many images /v1/images/edits takes for this model (0: none).")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class TaskError(BaseModel):
    message: str
    code: str


class Task(BaseModel):
    id: str
    object: Literal["image.task"] = "image.task"
    status: TaskStatus
    created: int
    model: str
    n: int
    progress: float = Field(description="The share of the images finished, 0 to 1.")
    queue_position: int | None = Field(default=None, description="While queued: how many jobs start before it.")
    status_url: str
    result: ImagesResponse | None = Field(default=None, description="When done: the images, as requested.")
    error: TaskError | None = None


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorEnvelope(BaseModel):
    error: ErrorDetail
