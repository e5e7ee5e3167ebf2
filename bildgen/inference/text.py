"""A chat model through POST /chat/completions, with the image client's safety: one transport that
caps the answer while it streams in (far lower here: text), the profile's deadline over the whole
call, retries only where nothing can have started, and the server's circuit breaker.

Structured output (`response_format` with a JSON schema) is asked for where the profile says the
server supports it; a server that rejects it is asked again without, and remembered.
"""

from __future__ import annotations

from typing import Any

from bildgen.inference.client import InferenceClient, ServerEndpoint
from bildgen.inference.errors import ErrorKind, InferenceError

# A list of a hundred prompts is a few dozen kilobytes; anything near a megabyte is runaway output.
MAX_TEXT_ANSWER_BYTES = 1024 * 1024
MAX_TOKENS = 8192
# Base URLs whose server refused a JSON schema once (per process).
_no_structured_output: set[str] = set()


class TextModelClient(InferenceClient):
    def __init__(self, endpoint: ServerEndpoint, *, structured_output: bool = True, **options: Any) -> None:
        super().__init__(endpoint, max_answer_bytes=MAX_TEXT_ANSWER_BYTES, **options)
        self.structured_output = structured_output and endpoint.base_url not in _no_structured_output

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.8,
        max_tokens: int = MAX_TOKENS,
    ) -> str:
        """The model's answer text. With `schema`, the server is asked for JSON of that shape where it
        can; the caller still parses leniently (a server may ignore the request)."""
        async with self._deadline():
            model = (await self.served_model()).id
            use_schema = schema is not None and self.structured_output
            try:
                body = await self._chat(messages, model, schema if use_schema else None, temperature, max_tokens)
            except InferenceError as error:
                # 400/422 naming the response format: this server has no structured output.
                said = (error.server_said or "").lower()
                if (
                    not use_schema
                    or error.status not in (400, 422)
                    or not any(word in said for word in ("response_format", "json_schema", "structured", "guided"))
                ):
                    raise
                _no_structured_output.add(self.endpoint.base_url)
                self.structured_output = False
                body = await self._chat(messages, model, None, temperature, max_tokens)
        return _answer_text(body)

    async def _chat(
        self,
        messages: list[dict[str, str]],
        model: str | None,
        schema: dict[str, Any] | None,
        temperature: float,
        max_tokens: int,
    ) -> Any:
        extra: dict[str, Any] = {}
        if schema is not None:
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            }
        return await self._with_retries(
            lambda: self._sdk_call(
                lambda: self._sdk.chat.completions.with_raw_response.create(
                    messages=messages,  # type: ignore[arg-type]
                    model=model or "default",
                    temperature=temperature,
                    max_tokens=max_tokens,
                    **extra,
                )
            )
        )


def _answer_text(body: Any) -> str:
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise InferenceError(ErrorKind.MALFORMED, server_said="the chat answer has no message") from None
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str) or not content.strip():
        refusal = message.get("refusal") if isinstance(message, dict) else None
        raise InferenceError(
            ErrorKind.REFUSED if refusal else ErrorKind.MALFORMED,
            server_said=str(refusal) if refusal else "the text model answered with no text",
        )
    return content
