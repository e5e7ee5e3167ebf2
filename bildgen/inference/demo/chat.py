"""The demo server's text model: POST /text/v1/chat/completions answers like a small chat model,
deterministically, so that prompt help runs and is tested offline.

- Asked for a list of prompts (the system message says "list of prompts"): N prompts about the
  theme, N read from "N prompts" in the request. With a JSON schema in `response_format` the answer
  is clean JSON; without, it is what chat models often write instead: a chatty numbered list.
- Anything else: a rewrite of the last user message, the prompt with details added.
- `structured_output=False` poses as a server without structured output: a 400 naming
  `response_format`, as vLLM builds without guided decoding answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bildgen.inference.client import DEMO_OWNER

WRITER_MODEL_ID = "bildgen-demo-writer"
PREFIX = "/text/v1"
MAX_LIST = 200
_SUBJECTS = (
    "a lone traveller",
    "an old market street",
    "a towering machine",
    "a quiet rooftop garden",
    "a crowded night train",
    "a glass observatory",
    "a stray cat",
    "a flooded plaza",
    "a repair workshop",
    "a cliffside village",
    "a festival crowd",
    "an abandoned arcade",
)
_SETTINGS = (
    "at dawn",
    "in heavy rain",
    "under neon light",
    "at golden hour",
    "in thick fog",
    "at midnight",
    "in winter",
)
_STYLES = (
    "cinematic wide shot",
    "oil painting",
    "35mm photograph",
    "detailed matte painting",
    "soft watercolour",
    "isometric illustration",
    "high-contrast ink drawing",
)
_DETAILS = (
    "highly detailed",
    "dramatic lighting",
    "rich colour palette",
    "sharp focus",
    "volumetric light",
    "intricate textures",
    "balanced composition",
)


def _rng(text: str) -> random.Random:
    return random.Random(hashlib.sha256(text.encode("utf-8")).digest())


def prompts_about(theme: str, count: int) -> list[str]:
    """`count` different prompts about the theme, the same ones every time."""
    rng = _rng(theme)
    combinations = [(subject, setting, style) for subject in _SUBJECTS for setting in _SETTINGS for style in _STYLES]
    rng.shuffle(combinations)
    return [f"{theme}: {subject} {setting}, {style}" for subject, setting, style in combinations[:count]]


def rewrite(prompt: str) -> str:
    rng = _rng(prompt)
    return f"{prompt.strip().rstrip('.')}, " + ", ".join(rng.sample(_DETAILS, 3))


class DemoWriter:
    def __init__(self, *, structured_output: bool = True, model_id: str = WRITER_MODEL_ID) -> None:
        self.structured_output = structured_output
        self.model_id = model_id
        self.requests: list[dict[str, Any]] = []

    def _error(self, status: int, message: str) -> JSONResponse:
        body = {"error": {"message": message, "type": "BadRequestError", "param": None, "code": status}}
        return JSONResponse(body, status_code=status)

    async def models(self, request: Request) -> Response:
        model = {"id": self.model_id, "object": "model", "created": 0, "owned_by": DEMO_OWNER}
        return JSONResponse({"object": "list", "data": [model]})

    async def completions(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "Request body is not valid JSON.")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return self._error(400, "messages is required.")
        self.requests.append({key: value for key, value in body.items()})
        if body.get("model") not in (None, self.model_id):
            return self._error(400, f"Model mismatch: this server serves {self.model_id!r}, not {body.get('model')!r}.")
        response_format = body.get("response_format")
        if response_format is not None and not self.structured_output:
            return self._error(400, "response_format of type json_schema is not supported by this server.")
        system = " ".join(_text(message) for message in messages if _role(message) == "system")
        users = [_text(message) for message in messages if _role(message) == "user"]
        question = users[-1] if users else ""
        if "list of prompts" in system.lower():
            content = self._list_answer(question, structured=response_format is not None)
        else:
            content = rewrite(question)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model_id,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )

    def _list_answer(self, question: str, *, structured: bool) -> str:
        count_match = re.search(r"(\d+)\s+prompts", question)
        count = min(int(count_match.group(1)), MAX_LIST) if count_match else 10
        theme_match = re.search(r"^(?:prompt type|theme)\s*:\s*(.+)$", question, re.IGNORECASE | re.MULTILINE)
        theme = (theme_match.group(1) if theme_match else question).strip()
        prompts = prompts_about(theme, count)
        if structured:
            return json.dumps({"prompts": prompts})
        listed = "\n".join(f'{number}. "{prompt}"' for number, prompt in enumerate(prompts, 1))
        return f"Sure! Here are {count} prompts about {theme}:\n\n{listed}\n\nLet me know if you want more."

    def routes(self) -> list[Route]:
        return [
            Route(f"{PREFIX}/models", self.models, methods=["GET"]),
            Route(f"{PREFIX}/chat/completions", self.completions, methods=["POST"]),
        ]


def _role(message: Any) -> str:
    return str(message.get("role", "")) if isinstance(message, dict) else ""


def _text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def create_app(writer: DemoWriter | None = None) -> Starlette:
    """The text model alone (tests mount the demo image server's own copy through server.py)."""
    writer = writer or DemoWriter()
    app = Starlette(routes=writer.routes())
    app.state.writer = writer
    return app
