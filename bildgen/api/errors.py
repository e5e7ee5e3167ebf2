"""Every API error in OpenAI's envelope, `{"error": {"message", "type", "param", "code"}}`, so that
OpenAI clients (the openai SDK, chat front ends) show bildgen's message as it is."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from bildgen.inference.profiles import Catalog
from bildgen.refusal import Refusal

# OpenAI's error types by status; the SDKs pick their exception class by status alone.
TYPES = {
    401: "invalid_request_error",
    403: "permission_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
}


# OpenAI's type for a prompt or image its moderation declined (400, code moderation_blocked).
MODERATION_TYPE = "image_generation_user_error"
# The openai SDKs retry 408, 409, 429 and 5xx twice unless an answer carries this: set on every error
# after which a generation may have started, where asking again would pay for another one.
DO_NOT_RETRY = {"x-should-retry": "false"}


def envelope(
    message: str, *, status: int, param: str | None = None, code: str | None = None, kind: str | None = None
) -> dict:
    kind = kind or TYPES.get(status, "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ApiError(Exception):
    """An answer other than success; `message` is written for the person reading the client's output."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return error_response(
            self.status, self.message, param=self.param, code=self.code, kind=self.kind, headers=self.headers
        )


def error_response(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        envelope(message, status=status, param=param, code=code, kind=kind),
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


# A Refusal's kind → the status and code OpenAI's clients know.
_REFUSALS = {
    "invalid": (400, "invalid_value"),
    "too_large": (413, "too_large"),
    "not_found": (404, "not_found"),
    "unavailable": (404, "model_not_found"),
    "paused": (503, "generation_paused"),
    "quota": (429, "insufficient_quota"),
    "forbidden": (403, "refused"),
    "storage": (503, "storage_unavailable"),
}


def api_error(
    refused: Refusal,
    *,
    param: str | None = None,
    catalog: Catalog | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """A use case's refusal in OpenAI's envelope, its message as it is (a model not found also lists the
    models there are, when `catalog` is given)."""
    status, code = _REFUSALS[refused.kind]
    message = refused.message
    if refused.field == "model" and catalog is not None:
        known = ", ".join(profile.id for profile in catalog.offered)
        message = f"{message} Models: {known} (GET /v1/models lists them)."
    if refused.field == "model":
        code = "model_not_allowed" if refused.kind == "forbidden" else "model_not_found"
    elif refused.field == "references":
        code = "too_many_images"
    elif refused.field == "negative_prompt":
        code = "unsupported_parameter"
    retry = {"Retry-After": "30"} if refused.kind == "storage" else {}
    return ApiError(
        status, message, param=param or refused.field or None, code=code, headers={**retry, **(headers or {})}
    )
