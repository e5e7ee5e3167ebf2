"""Everything bildgen reads from the environment, read once and validated at start."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path


class SettingsError(ValueError):
    """A setting that makes starting pointless; the message names the setting and the problem."""


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    port: int
    config_path: Path | None
    demo_latency_s: float

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def references_dir(self) -> Path:
        return self.data_dir / "references"


def _number(environ: Mapping[str, str], name: str, default: str, kind: type) -> float | int:
    raw = environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind.__name__}.") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative.")
    return value


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    data_dir = Path(environ.get("BILDGEN_DATA_DIR", "data")).resolve()
    config = environ.get("BILDGEN_CONFIG", "").strip()
    return Settings(
        data_dir=data_dir,
        # REFLEX_DB_URL is what `reflex db` reads too, so both always agree on the database.
        db_url=environ.get("REFLEX_DB_URL") or f"sqlite:///{data_dir / 'bildgen.db'}",
        port=int(_number(environ, "BILDGEN_PORT", "3000", int)),
        config_path=Path(config).resolve() if config else None,
        demo_latency_s=float(_number(environ, "BILDGEN_DEMO_LATENCY", "1.5", float)),
    )
