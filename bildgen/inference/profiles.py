"""Model profiles: which inference servers bildgen offers, read from the BILDGEN_CONFIG TOML file.

With no file, one profile points at the embedded demo server. API keys never live in the file:
a profile names the environment variable that holds its key, or takes its provider's key
(bildgen/admin/providers.py). Administrators add and change profiles in the Admin area; the
catalog every process uses merges both (bildgen/admin/live.py).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pydantic

from bildgen.inference import providers
from bildgen.inference.capabilities import Capabilities, CapabilityOverrides
from bildgen.inference.client import ServerEndpoint
from bildgen.params import QUALITY_PRESETS, FamilyTraits, Size

Family = Literal["qwen-image", "qwen-image-edit", "flux2", "generic"]
# How bildgen talks to a profile's service; each has its adapter (inference/providers/).
Provider = Literal[
    "openai-compatible", "gateway", "automatic1111", "bfl", "openai", "automatic1111-upscaler", "upscaler-http"
]
PROVIDERS: tuple[Provider, ...] = (
    "openai-compatible",
    "gateway",
    "automatic1111",
    "bfl",
    "openai",
    "automatic1111-upscaler",
    "upscaler-http",
)
# Providers that enlarge an image instead of making one (inference/providers/upscalers.py): their
# profiles are upscalers, never offered in the studio's model picker.
UPSCALER_PROVIDERS: tuple[Provider, ...] = ("automatic1111-upscaler", "upscaler-http")
# The largest side an upscaler makes unless its profile says otherwise (max_output_side).
DEFAULT_MAX_OUTPUT_SIDE = 4096
DEMO_PROFILE_ID = "demo"
DEMO_UPSCALER_PROFILE_ID = "demo-upscaler"
DEFAULT_MAX_CONCURRENT = 4
_SIZE = re.compile(r"(\d+)x(\d+)")
Quality = Literal[tuple(preset for preset, _ in QUALITY_PRESETS)]  # type: ignore[valid-type]


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file, the key and the problem."""


def _parse_size(text: str) -> Size:
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not WIDTHxHEIGHT")
    width, height = int(match.group(1)), int(match.group(2))
    if width % 16 or height % 16 or not (256 <= width <= 4096 and 256 <= height <= 4096):
        raise ValueError(f"{text!r}: both sides must be multiples of 16 between 256 and 4096")
    return width, height


class ModelProfile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = ""
    label: str = pydantic.Field(min_length=1, max_length=80)
    base_url: pydantic.HttpUrl
    provider: Provider = "openai-compatible"
    family: Family = "generic"
    served_name: str | None = None
    api_key_env: str | None = pydantic.Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    max_references: int | None = pydantic.Field(default=None, ge=0, le=16)
    edit_with: str | None = None
    sizes: list[str] | None = pydantic.Field(default=None, min_length=1)
    steps: int | None = pydantic.Field(default=None, ge=1, le=200)
    guidance: float | None = pydantic.Field(default=None, ge=0, le=30)
    deadline_s: float = pydantic.Field(default=600.0, gt=0, le=3600)
    # How many images the server works on at once, shared by every bildgen worker; more wait in the queue.
    max_concurrent: int = pydantic.Field(default=DEFAULT_MAX_CONCURRENT, ge=1, le=64)
    # The gateway's route for this model ("qwen", "flux", "gpt-image", "gemini-3", "automatic1111").
    route: str | None = pydantic.Field(default=None, max_length=40)
    # Ask the gateway for a task to poll (its "async": true) instead of one long request.
    async_tasks: bool = False
    # The TOML's [models.<id>.capabilities] table: what the form offers, where the defaults are wrong.
    capability_overrides: CapabilityOverrides | None = pydantic.Field(default=None, alias="capabilities")
    # Shown to users in the studio as help on choosing this profile.
    description: str | None = pydantic.Field(default=None, max_length=300)
    # A disabled profile is not offered, and the queue refuses new jobs for it.
    enabled: bool = True
    # The size and quality preset the studio starts with.
    default_size: str | None = None
    default_quality: Quality | None = None
    # What one image costs (set by the administrator), for the estimated spend on the Usage page.
    cost_per_image: float | None = pydantic.Field(default=None, ge=0, le=1000)
    # When the worker making an image stopped after its request may have reached the service (and no
    # task was saved to resume), whether another worker asks again. None: the provider's default, yes
    # for a service of the organisation's own, no where a cloud (capabilities' `cloud`) may bill twice.
    retry_interrupted: bool | None = None
    # The largest width or height this profile makes: upscales (and creative upscales) beyond it are
    # refused with a message naming it. None: the provider's (upscalers: DEFAULT_MAX_OUTPUT_SIDE).
    max_output_side: int | None = pydantic.Field(default=None, ge=256, le=16384)
    # A key from the Admin area or the provider's settings, set when the catalog is built; never
    # serialised, never shown (endpoint() uses it when no api_key_env names one).
    _api_key: str | None = pydantic.PrivateAttr(default=None)

    @pydantic.field_validator("sizes")
    @classmethod
    def _sizes_are_valid(cls, sizes: list[str] | None) -> list[str] | None:
        for size in sizes or []:
            _parse_size(size)
        return sizes

    @pydantic.model_validator(mode="after")
    def _default_size_is_offered(self) -> ModelProfile:
        if self.default_size is not None:
            _parse_size(self.default_size)
            if self.sizes and self.default_size not in self.sizes:
                raise ValueError(f"default_size {self.default_size!r} is not one of sizes")
        return self

    def with_api_key(self, api_key: str | None) -> ModelProfile:
        copy = self.model_copy()
        copy._api_key = api_key
        return copy

    @pydantic.model_validator(mode="after")
    def _provider_takes_it(self) -> ModelProfile:
        providers.adapter_class(self.provider).check_profile(self)
        return self

    def endpoint(self, environ: Mapping[str, str] = os.environ) -> ServerEndpoint:
        api_key = environ.get(self.api_key_env) if self.api_key_env else self._api_key
        return ServerEndpoint(
            base_url=str(self.base_url).rstrip("/"),
            api_key=api_key,
            deadline_s=self.deadline_s,
            served_name=self.served_name,
        )

    def traits(self) -> FamilyTraits:
        """The provider's (or family's) defaults with this deployment's overrides."""
        family = providers.adapter_class(self.provider).traits(self)
        if self.steps is not None:
            family = family.with_best_steps(self.steps)
        overrides: dict[str, object] = {}
        if self.sizes:
            overrides["sizes"] = tuple(_parse_size(size) for size in self.sizes)
        if self.default_size:
            # The family's first size is its default: put the chosen one first.
            chosen = _parse_size(self.default_size)
            sizes = overrides.get("sizes", family.sizes)
            overrides["sizes"] = (chosen, *(size for size in sizes if size != chosen))
        if self.guidance is not None:
            overrides["guidance"] = self.guidance
        if self.max_references is not None:
            overrides["max_references"] = self.max_references
        return dataclasses.replace(family, **overrides)

    @property
    def is_upscaler(self) -> bool:
        return self.provider in UPSCALER_PROVIDERS

    @property
    def largest_output_side(self) -> int:
        """The largest width or height this profile makes (max_output_side, or what its model takes)."""
        if self.max_output_side is not None:
            return self.max_output_side
        return DEFAULT_MAX_OUTPUT_SIDE if self.is_upscaler else self.capabilities().max_side

    @property
    def retries_interrupted(self) -> bool:
        """`retry_interrupted`, or its default: asking a self-hosted service again costs nothing."""
        if self.retry_interrupted is not None:
            return self.retry_interrupted
        return self.capabilities().cloud is None

    def capabilities(self) -> Capabilities:
        """What the form offers for this profile: its provider's and model's, then the TOML's overrides."""
        capabilities = providers.adapter_class(self.provider).capabilities(self, self.traits())
        if self.capability_overrides is not None:
            capabilities = self.capability_overrides.apply(capabilities)
        return capabilities


class ProviderConfig(pydantic.BaseModel):
    """A `[providers.<name>]` table: what the file sets for one provider (the Admin area may change it)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    base_url: pydantic.HttpUrl | None = None
    # The name of the environment variable holding the key: keys never live in the file.
    api_key_env: str | None = pydantic.Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    enabled: bool | None = None


class TextModelProfile(pydantic.BaseModel):
    """A chat model (POST /chat/completions) that writes prompts from a theme and improves prompts."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    label: str = pydantic.Field(min_length=1, max_length=80)
    base_url: pydantic.HttpUrl
    served_name: str | None = None
    api_key_env: str | None = pydantic.Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    deadline_s: float = pydantic.Field(default=120.0, gt=0, le=3600)
    # Ask for JSON by schema (vLLM, SGLang, OpenAI); servers without it get plain text parsed leniently.
    structured_output: bool = True

    def endpoint(self, environ: Mapping[str, str] = os.environ) -> ServerEndpoint:
        return ServerEndpoint(
            base_url=str(self.base_url).rstrip("/"),
            api_key=environ.get(self.api_key_env) if self.api_key_env else None,
            deadline_s=self.deadline_s,
            served_name=self.served_name,
        )


class Catalog(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    default_model: str
    models: dict[str, ModelProfile] = pydantic.Field(min_length=1)
    providers: dict[Provider, ProviderConfig] = {}
    # Text models for prompt help (bildgen.prompts); none configured: the help is not offered.
    default_text_model: str | None = None
    text_models: dict[str, TextModelProfile] = pydantic.Field(default_factory=dict)
    # The profile behind every "Upscale ×2 / ×4": an upscaler, or an image profile that re-renders
    # at a larger size ("creative upscale"). None: the first enabled upscaler.
    default_upscaler: str | None = None

    @pydantic.model_validator(mode="after")
    def _references_resolve(self) -> Catalog:
        if self.default_model not in self.models:
            raise ValueError(f"default_model {self.default_model!r} is not one of the [models.*] tables")
        for key, profile in self.models.items():
            if profile.edit_with is None:
                continue
            editor = self.models.get(profile.edit_with)
            if editor is None:
                raise ValueError(f"models.{key}.edit_with: {profile.edit_with!r} is not one of the [models.*] tables")
            if editor.traits().max_references == 0 or editor.is_upscaler:
                raise ValueError(f"models.{key}.edit_with: {profile.edit_with!r} takes no reference images")
        if self.models[self.default_model].is_upscaler:
            raise ValueError(f"default_model {self.default_model!r} is an upscaler; name an image model")
        if self.default_upscaler is not None and self.default_upscaler not in self.models:
            raise ValueError(f"default_upscaler {self.default_upscaler!r} is not one of the [models.*] tables")
        if self.default_text_model is not None and self.default_text_model not in self.text_models:
            raise ValueError(f"default_text_model {self.default_text_model!r} is not one of the [text_models.*] tables")
        return self

    @property
    def offered(self) -> list[ModelProfile]:
        """The enabled image profiles (no upscalers), in the order users see them."""
        return [profile for profile in self.models.values() if profile.enabled and not profile.is_upscaler]

    def offers(self, profile_id: str) -> bool:
        profile = self.models.get(profile_id)
        return profile is not None and profile.enabled and not profile.is_upscaler

    @property
    def default_id(self) -> str:
        """`default_model`, or the first enabled profile while that one is disabled."""
        if self.models[self.default_model].enabled:
            return self.default_model
        return next(
            (key for key, profile in self.models.items() if profile.enabled and not profile.is_upscaler),
            self.default_model,
        )

    @property
    def upscaler(self) -> ModelProfile | None:
        """The profile behind "Upscale": `default_upscaler` while enabled, else the first enabled
        upscaler; None when there is none (the action is not offered)."""
        chosen = self.models.get(self.default_upscaler or "")
        if chosen is not None and chosen.enabled:
            return chosen
        return next((profile for profile in self.models.values() if profile.enabled and profile.is_upscaler), None)

    @property
    def text_model(self) -> TextModelProfile | None:
        """The text model prompt help uses: the default one, or the only one."""
        if self.default_text_model is not None:
            return self.text_models[self.default_text_model]
        return next(iter(self.text_models.values()), None)

    @property
    def default(self) -> ModelProfile:
        return self.models[self.default_id]

    def get(self, profile_id: str) -> ModelProfile:
        return self.models.get(profile_id, self.default)

    def serving(self, profile_id: str, *, with_references: bool) -> ModelProfile:
        """The profile that answers: a text-only model hands edits to its `edit_with` profile."""
        profile = self.get(profile_id)
        if with_references and profile.traits().max_references == 0 and profile.edit_with:
            return self.models[profile.edit_with]
        return profile

    def concurrency_limits(self) -> dict[str, int]:
        return {key: profile.max_concurrent for key, profile in self.models.items()}

    def retries_interrupted(self) -> dict[str, bool]:
        """Per profile: whether an interrupted request is sent again (ModelProfile.retries_interrupted)."""
        return {key: profile.retries_interrupted for key, profile in self.models.items()}

    def max_references(self, profile_id: str) -> int:
        return self.serving(profile_id, with_references=True).traits().max_references


def demo_catalog(base_url: str) -> Catalog:
    demo = ModelProfile(id=DEMO_PROFILE_ID, label="Demo renderer", base_url=base_url, family="generic")
    # The demo server's stand-in upscaler (inference/demo/upscaler.py): Upscale works out of the box.
    upscaler = ModelProfile(
        id=DEMO_UPSCALER_PROFILE_ID,
        label="Demo upscaler",
        base_url=base_url.rstrip("/").removesuffix("/v1") + "/upscaler",
        provider="upscaler-http",
    )
    # The demo server's stand-in chat model (inference/demo/chat.py), beside its image routes.
    writer = TextModelProfile(id=DEMO_PROFILE_ID, label="Demo writer", base_url=demo_text_url(base_url))
    return Catalog(
        default_model=DEMO_PROFILE_ID,
        models={DEMO_PROFILE_ID: demo, DEMO_UPSCALER_PROFILE_ID: upscaler},
        default_upscaler=DEMO_UPSCALER_PROFILE_ID,
        default_text_model=DEMO_PROFILE_ID,
        text_models={DEMO_PROFILE_ID: writer},
    )


def demo_text_url(image_base_url: str) -> str:
    """The demo server's text model, from its image base URL (…/v1 → …/text/v1)."""
    return image_base_url.rstrip("/").removesuffix("/v1") + "/text/v1"


def load_catalog(path: Path) -> Catalog:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror}).") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: is not valid TOML ({error}).") from None
    for table in ("models", "text_models"):
        profiles = raw.get(table)
        if isinstance(profiles, dict):
            raw[table] = {
                key: {**value, "id": key} if isinstance(value, dict) else value for key, value in profiles.items()
            }
    try:
        return Catalog.model_validate(raw)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(top level)'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
