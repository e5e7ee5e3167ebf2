"""Model profiles: which inference servers bildgen offers, read from the BILDGEN_CONFIG TOML file.

With no file, one profile points at the embedded demo server. API keys never live in the file:
a profile names the environment variable that holds its key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pydantic

from bildgen.inference.client import ServerEndpoint

Family = Literal["qwen-image", "qwen-image-edit", "flux2", "generic"]
DEMO_PROFILE_ID = "demo"


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file, the key and the problem."""


class ModelProfile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    label: str
    base_url: pydantic.HttpUrl
    family: Family = "generic"
    served_name: str | None = None
    api_key_env: str | None = None
    deadline_s: float = pydantic.Field(default=600.0, gt=0)

    def endpoint(self, environ: Mapping[str, str] = os.environ) -> ServerEndpoint:
        api_key = environ.get(self.api_key_env) if self.api_key_env else None
        return ServerEndpoint(base_url=str(self.base_url).rstrip("/"), api_key=api_key, deadline_s=self.deadline_s)


class Catalog(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    default_model: str
    models: dict[str, ModelProfile]

    @pydantic.model_validator(mode="after")
    def _default_is_defined(self) -> "Catalog":
        if self.default_model not in self.models:
            raise ValueError(f"default_model {self.default_model!r} is not one of the [models.*] tables")
        return self

    @property
    def default(self) -> ModelProfile:
        return self.models[self.default_model]


def demo_catalog(base_url: str) -> Catalog:
    demo = ModelProfile(id=DEMO_PROFILE_ID, label="Demo renderer", base_url=base_url, family="generic")
    return Catalog(default_model=DEMO_PROFILE_ID, models={DEMO_PROFILE_ID: demo})


def load_catalog(path: Path) -> Catalog:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror}).") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: is not valid TOML ({error}).") from None
    models = raw.get("models")
    if isinstance(models, dict):
        raw["models"] = {
            key: {**value, "id": key} if isinstance(value, dict) else value for key, value in models.items()
        }
    try:
        return Catalog.model_validate(raw)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(top level)'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
