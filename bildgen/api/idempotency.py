"""`Idempotency-Key` on POST /v1/images/*: a client that sends a request again (its connection dropped,
its SDK retried) with the same key gets the job the first request queued, never a second one.

As Stripe and the IETF draft (draft-ietf-httpapi-idempotency-key-header) do it: a key belongs to one
token for 24 hours; the same key with other fields or files is refused (422), and while the first
request has not queued its job yet a second one is told to try again shortly (409). The key is claimed
in the database before anything is stored, so of simultaneous requests exactly one queues the job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy
from sqlmodel import col, delete, update

from bildgen.store.db import session, storage_errors
from bildgen.store.models import ApiIdempotencyKey, utc_now

WINDOW = timedelta(hours=24)
# A claim whose request never queued its job (its process died meanwhile) is taken over after this.
ABANDONED_AFTER = timedelta(minutes=5)


class KeyReused(Exception):
    """The key came with other fields or files than the first time."""


class KeyInUse(Exception):
    """The first request with this key is still storing its uploads and queueing its job."""


def fingerprint(route: str, fields: dict, file_digests: Iterable[str] = ()) -> str:
    """What makes two requests the same one: the route, every field (defaults included) and the files'
    SHA-256s in order."""
    described = {"route": route, "fields": fields, "files": list(file_digests)}
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode("utf-8")).hexdigest()


def claim(
    engine: sqlalchemy.Engine, *, token_id: str, key: str, fingerprint: str, now: datetime | None = None
) -> str | None:
    """None: this request is the first with the key and queues the job (then `attach` or `release`).
    Otherwise the id of the job an earlier request with the key queued. Raises KeyReused, KeyInUse."""
    now = now or utc_now()
    with storage_errors(), session(engine) as db:
        for _ in range(3):  # the key may be released between a failed insert and reading it
            db.exec(
                delete(ApiIdempotencyKey).where(
                    ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.created_at < now - WINDOW
                )
            )
            db.add(ApiIdempotencyKey(token_id=token_id, key=key, fingerprint=fingerprint, created_at=now))
            try:
                db.commit()  # the primary key lets one of simultaneous requests in
                return None
            except sqlalchemy.exc.IntegrityError:
                db.rollback()
            earlier = db.get(ApiIdempotencyKey, (token_id, key), populate_existing=True)
            if earlier is None:
                continue
            if earlier.fingerprint != fingerprint:
                raise KeyReused
            if earlier.generation_id is not None:
                return earlier.generation_id
            if earlier.created_at >= now - ABANDONED_AFTER:
                raise KeyInUse
            taken = db.exec(
                update(ApiIdempotencyKey)
                .where(
                    ApiIdempotencyKey.token_id == token_id,
                    ApiIdempotencyKey.key == key,
                    ApiIdempotencyKey.created_at == earlier.created_at,
                    col(ApiIdempotencyKey.generation_id).is_(None),
                )
                .values(created_at=now)
            ).rowcount
            db.commit()
            if taken:
                return None
        raise KeyInUse


def attach(engine: sqlalchemy.Engine, *, token_id: str, key: str, job_id: str) -> None:
    """The job the claiming request queued: every later request with the key gets it."""
    with storage_errors(), session(engine) as db:
        db.exec(
            update(ApiIdempotencyKey)
            .where(ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key)
            .values(generation_id=job_id)
        )
        db.commit()


def release(engine: sqlalchemy.Engine, *, token_id: str, key: str) -> None:
    """The claiming request queued nothing (refused, or storage failed): the key may be used again."""
    with storage_errors(), session(engine) as db:
        db.exec(
            delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.token_id == token_id,
                ApiIdempotencyKey.key == key,
                col(ApiIdempotencyKey.generation_id).is_(None),
            )
        )
        db.commit()
