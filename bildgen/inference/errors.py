"""One error type for everything that can go wrong between bildgen and an inference server.

Each kind carries a sentence a user understands; the server's own words are appended when they
help (a validation message, say) and cut short so a stack trace never reaches the page.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from bildgen.i18n import N_, _

SERVER_WORDS_LIMIT = 300


class ErrorKind(enum.StrEnum):
    UNREACHABLE = "unreachable"
    UNAVAILABLE = "unavailable"
    CONNECTION_LOST = "connection_lost"
    NOT_READY = "not_ready"
    BUSY = "busy"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"
    REFUSED = "refused"
    SERVER_FAILURE = "server_failure"
    TIMED_OUT = "timed_out"
    MALFORMED = "malformed"
    TOO_FEW = "too_few"
    TOO_LARGE = "too_large"
    TLS = "tls"
    NO_CREDITS = "no_credits"
    # Moderation: the service declined, nothing failed. The prompt or references were flagged
    # (BFL "Request Moderated"), or the image it made was withheld ("Content Moderated").
    MODERATED_REQUEST = "moderated_request"
    MODERATED_CONTENT = "moderated_content"
    TASK_LOST = "task_lost"
    RESULT_EXPIRED = "result_expired"


# What a service declines on purpose (a content policy), as opposed to a failure.
REFUSALS = frozenset({ErrorKind.REFUSED, ErrorKind.MODERATED_REQUEST, ErrorKind.MODERATED_CONTENT})


_SENTENCES = {
    # Said to the person who pressed Generate: what happened and what they can do. The operator's
    # detail (address, connection error) is in the log and the Admin area's Test connection.
    ErrorKind.UNREACHABLE: N_(
        "The image service isn't answering. Retry in a minute or choose another model; if it keeps happening, tell your administrator."
    ),
    ErrorKind.UNAVAILABLE: N_(
        "The image service isn't answering (several attempts in a row failed). Retry in a minute or choose another model; if it keeps happening, tell your administrator."
    ),
    ErrorKind.CONNECTION_LOST: N_("The connection to the inference server broke off before an image arrived."),
    ErrorKind.NOT_READY: N_("The inference server is starting up and not ready yet. Try again in a minute."),
    ErrorKind.BUSY: N_("The inference server is busy with other requests. Try again shortly."),
    ErrorKind.REJECTED: N_("The inference server rejected the request."),
    ErrorKind.UNAUTHORIZED: N_(
        "The inference server refused bildgen's credentials. Ask the administrator to check the API key."
    ),
    ErrorKind.REFUSED: N_("The inference server refused to generate this image."),
    ErrorKind.SERVER_FAILURE: N_("The inference server failed while generating."),
    ErrorKind.TIMED_OUT: N_("The inference server did not answer in time."),
    ErrorKind.MALFORMED: N_("The inference server answered with something that is not a usable image."),
    ErrorKind.TOO_FEW: N_("The inference server returned fewer images than asked for."),
    ErrorKind.TOO_LARGE: N_(
        "The inference server sent an answer larger than bildgen accepts for one image; it was stopped and nothing was saved."
    ),
    ErrorKind.TLS: N_(
        "bildgen could not open a trusted (TLS) connection to the image service: its certificate was not accepted. Ask the administrator to check the address and the certificate."
    ),
    ErrorKind.NO_CREDITS: N_(
        "The image service says this account has no credits or quota left. Ask the administrator to top it up."
    ),
    ErrorKind.MODERATED_REQUEST: N_(
        "The image service's moderation declined this prompt or reference image; nothing was generated. Rephrase it and try again."
    ),
    ErrorKind.MODERATED_CONTENT: N_(
        "The image service made this image but its moderation withheld it. Try another prompt or seed."
    ),
    ErrorKind.TASK_LOST: N_(
        "The image service no longer knows this task (it may have expired); nothing could be fetched."
    ),
    ErrorKind.RESULT_EXPIRED: N_("The finished image's download link had expired before bildgen could fetch it."),
}


class InferenceError(Exception):
    def __init__(
        self,
        kind: ErrorKind,
        *,
        server_said: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        self.kind = kind
        self.server_said = _shorten(server_said) if server_said else None
        self.retry_after = retry_after
        self.status = status
        # True only where the server cannot have started work: a refused connection, 503, 429.
        self.retryable = retryable
        super().__init__(self.english_message)  # logs stay English

    @property
    def is_refusal(self) -> bool:
        """Declined on purpose by the service's content policy, not a failure."""
        return self.kind in REFUSALS

    @property
    def user_message(self) -> str:
        """In the language of the user being answered; English where nobody is (a job's stored
        error, shown translated later through `in_language`)."""
        return in_language(self.english_message)

    @property
    def english_message(self) -> str:
        sentence = _SENTENCES[self.kind]
        if self.server_said:
            return f"{sentence}{_SERVER_SAID}{self.server_said}"
        return sentence


_SERVER_SAID = " The server said: "


def in_language(message: str) -> str:
    """A message stored in English (a job's or an image's error) in the current user's language: a
    known sentence is translated, the words an image service said are kept as they were."""
    for sentence in _SENTENCES.values():
        if message == sentence:
            return _(sentence)
        if message.startswith(sentence + _SERVER_SAID):
            return _(sentence) + " " + _("The server said: {words}", words=message[len(sentence + _SERVER_SAID) :])
    return _(message) if message else message


def kind_of(message: str) -> ErrorKind | None:
    """The kind of a stored (English) error message, for counting failures; None for another message."""
    return next((kind for kind, sentence in _SENTENCES.items() if message.startswith(sentence)), None)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SERVER_WORDS_LIMIT else text[: SERVER_WORDS_LIMIT - 1] + "…"


def server_message(body: Any, raw_text: str = "") -> str | None:
    """The server's own explanation, looked for where each server family puts it."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            # AUTOMATIC1111: {"error": "OutOfMemoryError", "errors": "CUDA out of memory…"}
            details = body.get("errors")
            return f"{error}: {details}" if isinstance(details, str) and details else error
        if isinstance(body.get("message"), str):
            return body["message"]
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = [str(item.get("msg")) for item in detail if isinstance(item, dict) and item.get("msg")]
            if parts:
                return "; ".join(parts)
    if raw_text.strip():
        try:
            json.loads(raw_text)
        except ValueError:
            return raw_text
    return None


def error_code(body: Any) -> str:
    """The machine-readable code a service puts beside its message ({"error": {"code": …}}), lowercased."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code).lower() if code else ""


def moderation_kind(code: str) -> ErrorKind | None:
    """A moderation refusal named by its code (OpenAI's moderation_blocked, a gateway's
    request_moderated / content_moderated): which one, or None."""
    if "moderat" not in code:
        return None
    return ErrorKind.MODERATED_CONTENT if "content" in code else ErrorKind.MODERATED_REQUEST


_POLICY_WORDS = ("safety", "moderat", "content policy", "nsfw")
_QUOTA_WORDS = ("insufficient_quota", "insufficient credits", "not enough credits", "quota", "billing")


def kind_for_status(status: int, message: str | None = None) -> ErrorKind:
    said = (message or "").lower()
    if status == 402 or (status in (403, 429) and any(word in said for word in _QUOTA_WORDS)):
        return ErrorKind.NO_CREDITS
    if status in (400, 404, 413, 422):
        if any(word in said for word in _POLICY_WORDS):
            return ErrorKind.REFUSED
        return ErrorKind.REJECTED
    if status in (401, 403):
        return ErrorKind.UNAUTHORIZED
    if status == 429:
        return ErrorKind.BUSY
    if status == 503:
        return ErrorKind.NOT_READY
    if status in (408, 504):
        return ErrorKind.TIMED_OUT
    return ErrorKind.SERVER_FAILURE
