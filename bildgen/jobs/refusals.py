"""Why the queue refuses a new job before anything is sent: every client (studio, HTTP API,
batches) catches `SubmissionRefused` and shows its message as it is."""

from __future__ import annotations

from datetime import datetime

from bildgen.refusal import Kind, Refusal


class SubmissionRefused(Refusal):
    """A job that may not be queued now; `message` is written for the user."""

    kind_of_refusal: Kind = "forbidden"

    def __init__(self, message: str) -> None:
        super().__init__(message, kind=self.kind_of_refusal)


class GenerationPaused(SubmissionRefused):
    """An administrator switched image generation off for everyone."""

    kind_of_refusal = "paused"


class ProfileUnavailable(SubmissionRefused):
    """The model profile is disabled or gone."""

    kind_of_refusal = "unavailable"


class QuotaReached(SubmissionRefused):
    """The user's quota is used up until `refills_at`."""

    kind_of_refusal = "quota"

    def __init__(self, message: str, refills_at: datetime) -> None:
        super().__init__(message)
        self.refills_at = refills_at


class ModelNotAllowed(SubmissionRefused):
    """None of the owner's restricting groups allows the model (bildgen/groups/governance.py)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.field = "model"
