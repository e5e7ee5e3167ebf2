"""Where bildgen's log lines go, and in which shape: text for people, JSON lines for a log collector.

BILDGEN_LOG_FORMAT=json writes one JSON object per line (python-json-logger) with the time, level,
logger, message and the context a line carries (job_id, user_id, profile, duration_s). Prompts and
keys are never put into log lines. BILDGEN_LOG_LEVEL sets the level (INFO by default).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
_HANDLER_NAME = "bildgen"


def configure_logging(environ: Mapping[str, str] = os.environ) -> None:
    """Once per process (a second call replaces the handler, never adds one)."""
    handler = logging.StreamHandler()
    handler.set_name(_HANDLER_NAME)
    if environ.get("BILDGEN_LOG_FORMAT", "").strip().lower() == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logger = logging.getLogger("bildgen")
    for old in [old for old in logger.handlers if old.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(environ.get("BILDGEN_LOG_LEVEL", "INFO").strip().upper() or "INFO")
    logger.propagate = False
