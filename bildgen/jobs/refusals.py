"""Why the queue refuses a new job before anything is sent: every client (studio, HTTP API,
batches) catches `SubmissionRefused` and shows its message as it is."""

from __future__ import annotations

from datetime import datetime


class SubmissionRefused(Exception):
    """A job that may not be queued now; `message` is written for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GenerationPaused(SubmissionRefused):
    """An administrator switched image generation off for everyone."""


class ProfileUnavailable(SubmissionRefused):
    """The model profile is disabled or gone."""


class QuotaReached(SubmissionRefused):
    """The user's quota is used up until `refills_at`."""

    def __init__(self, message: str, refills_at: datetime) -> None:
        super().__init__(message)
        self.refills_at = refills_at
