"""Reading what a chat model wrote, however it wrote it: clean JSON, JSON in a code fence after
some chatter, a reasoning block first, a numbered list, quoted lines. Only strings come out, each
cut to a prompt's length; nothing a model writes is ever run or trusted beyond that."""

from __future__ import annotations

import json
import re
from typing import Any

from bildgen.batches.items import MAX_PROMPT_CHARS, without_list_marker

_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.DOTALL)
_QUOTES = "\"'“”„‘’«»`"
# Lines that introduce or close a list rather than being one of its prompts.
_CHATTER = re.compile(
    r"^(sure|here (are|is)|certainly|of course|okay|ok\b|i hope|let me know|these prompts|below are)",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^(improved|rewritten|enhanced|new|final)?\s*prompt\s*[:：]\s*", re.IGNORECASE)


def _without_thinking(text: str) -> str:
    text = _THINKING.sub("", text)
    # An unclosed reasoning block at the start (the answer was cut): what follows its end, if any.
    if "</think>" in text.lower():
        text = re.split(r"</think(?:ing)?>", text, flags=re.IGNORECASE)[-1]
    return text.strip()


def _clean(prompt: str) -> str:
    prompt = " ".join(str(prompt).split())
    prompt = without_list_marker(prompt)
    if len(prompt) >= 2 and prompt[0] in _QUOTES and prompt[-1] in _QUOTES:
        prompt = prompt[1:-1].strip()
    prompt = prompt.rstrip(",").strip()
    return prompt[:MAX_PROMPT_CHARS]


def _strings(value: Any) -> list[str] | None:
    """The prompts inside a parsed JSON value, or None when it holds no list of them."""
    if isinstance(value, dict):
        preferred = value.get("prompts")
        lists = (
            [preferred] if isinstance(preferred, list) else [item for item in value.values() if isinstance(item, list)]
        )
        return _strings(lists[0]) if lists else None
    if not isinstance(value, list):
        return None
    prompts = []
    for item in value:
        if isinstance(item, str):
            prompts.append(item)
        elif isinstance(item, dict):
            text = item.get("prompt") or next((field for field in item.values() if isinstance(field, str)), None)
            if text:
                prompts.append(text)
    return prompts


def _json_values(text: str):
    """Every JSON object or array that starts somewhere in the text, in order."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        yield value


def _unique(prompts: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    kept = []
    for prompt in (_clean(prompt) for prompt in prompts):
        if prompt and prompt.casefold() not in seen:
            seen.add(prompt.casefold())
            kept.append(prompt)
    return kept[:limit]


def prompt_list(text: str, *, limit: int) -> list[str]:
    """The prompts in a model's answer, at most `limit`, without duplicates or empty ones."""
    text = _without_thinking(text)
    candidates = [block for block in _FENCE.findall(text)] + [text]
    for candidate in candidates:
        for value in _json_values(candidate):
            found = _strings(value)
            if found:
                return _unique(found, limit)
    body = _FENCE.sub(lambda match: match.group(1), text)
    lines = [line for line in body.splitlines() if line.strip()]
    prompts = [
        line
        for line in lines
        # Chatter around the list, headings, and JSON that held no prompts are not prompts.
        if not _CHATTER.match(line.strip()) and not line.strip().endswith(":") and line.strip()[0] not in "[]{}"
    ]
    return _unique(prompts, limit)


def single_prompt(text: str) -> str:
    """One rewritten prompt from a model's answer: JSON {"prompt": …}, a fenced block, or the text
    itself without a "Prompt:" label or surrounding quotes; "" when nothing usable is left."""
    text = _without_thinking(text)
    for value in _json_values(text):
        if isinstance(value, dict) and isinstance(value.get("prompt"), str):
            return _clean(value["prompt"])
    fenced = _FENCE.findall(text)
    if fenced:
        text = fenced[0]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not _CHATTER.match(line)] or lines
    return _clean(_PREFIX.sub("", " ".join(lines)))
