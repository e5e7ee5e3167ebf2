"""One type for "this was not done, and here is why", shared by every layer and front.

`message` is written for the person being answered, in their language (`_()` at the raise); `field`
names the input at fault ("" for none) and `kind` says what sort of refusal it is, so that a state
shows the message as it is and the API maps it to OpenAI's error envelope (api/errors.py) without
reading the words. The queue's SubmissionRefused, StorageUnavailable and the upload checks'
ReferenceRejected / MaskRejected are Refusals."""

from __future__ import annotations

from typing import Literal

# invalid: the input is wrong (fix it); too_large: an upload is; not_found: no such model or image of
# yours; paused, unavailable, quota, forbidden: the queue's; storage: bildgen cannot write just now.
Kind = Literal["invalid", "too_large", "not_found", "paused", "unavailable", "quota", "forbidden", "storage"]


class Refusal(Exception):
    def __init__(self, message: str, *, field: str = "", kind: Kind = "invalid") -> None:
        super().__init__(message)
        self.message, self.field, self.kind = message, field, kind

    def __str__(self) -> str:
        return self.message
