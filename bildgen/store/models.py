"""Database tables. Plain SQLModel (rx.Model is deprecated); schema changes go through migrations/."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy
from sqlmodel import Field, SQLModel


def new_id() -> str:
    # Random, not sequential: an id reveals nothing about other images.
    return uuid.uuid4().hex


def utc_now() -> datetime:
    # Every `datetime` field is SQLModel's UTCDateTime: timestamptz on PostgreSQL (whatever the server's
    # TimeZone), UTC on SQLite, aware UTC in Python; it refuses naive values. A migration adding a column
    # must use it too (sa.DateTime() is a timestamp without zone; tests/unit/store/test_time_zones.py).
    return datetime.now(UTC)


class GenerationStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Its worker died (its lease ran out) while it ran; saved variants stay.
    INTERRUPTED = "interrupted"

    ACTIVE = (QUEUED, RUNNING)
    FINAL = (DONE, PARTIAL, FAILED, CANCELLED, INTERRUPTED)


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # Stored lowercased: "Anna" and "anna" are one account.
    username: str = Field(unique=True, index=True, max_length=40)
    password_hash: str = Field(max_length=200)
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utc_now)
    # Set by an administrator: no sign-in, no session (bildgen/admin/users.py).
    disabled: bool = False
    # After an administrator reset the password: the next sign-in leads to choosing a new one.
    must_change_password: bool = False
    # The interface language the user chose ("de", "en"); None: whatever the browser prefers.
    language: str | None = Field(default=None, max_length=8)
    # The verified e-mail address the organisation's identity provider gave; links a sign-in by
    # single sign-on to this account. None for accounts that never signed in that way.
    email: str | None = Field(default=None, unique=True, max_length=254)


class ExternalIdentity(SQLModel, table=True):
    """A person at the organisation's OpenID provider (issuer + subject) and the account they sign in to."""

    issuer: str = Field(primary_key=True, max_length=300)
    subject: str = Field(primary_key=True, max_length=255)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utc_now)


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the token's hash is stored: a database leak signs nobody in."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utc_now)
    last_seen_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    # A single sign-on session's ID token, encrypted (auth/single_sign_on.py): the `id_token_hint` of
    # the provider's sign-out. Never leaves the server otherwise.
    id_token: str | None = Field(default=None, sa_type=sqlalchemy.Text)


class FirstAccount(SQLModel, table=True):
    """Claimed by the first account ever created, in the transaction that creates it.

    The primary key admits one row only: of simultaneous first sign-ups, one insert wins and the
    others fail with an IntegrityError, so exactly one of them becomes administrator.
    """

    slot: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    user_id: str = Field(foreign_key="user.id", max_length=32)


class SignInBucket(SQLModel, table=True):
    """A token bucket of sign-in attempts (see auth/throttle.py); the key is a hash, never a name."""

    key: str = Field(primary_key=True, max_length=64)
    tokens: float
    # Seconds since the epoch, not a datetime: the refill is computed inside one UPDATE, and plain
    # arithmetic on numbers is the same SQL on SQLite and PostgreSQL.
    refilled_at: float


class AuditEvent(SQLModel, table=True):
    """A security-relevant event: who (if known), what, to what, from which address. Never a secret."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now)
    action: str = Field(index=True, max_length=40)
    actor_id: str | None = Field(default=None, index=True, max_length=32)
    target: str | None = Field(default=None, index=True, max_length=200)
    detail: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=100)
    # Repeats anyone can cause at will (refused attempts) count up one row instead of adding rows.
    times: int = 1
    # An administrative change: the value before and after, as JSON, secrets masked.
    old_value: str | None = None
    new_value: str | None = None


class ReferenceImage(SQLModel, table=True):
    """A cleaned reference image a user uploaded (or picked from their results)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    sha256: str = Field(index=True, max_length=64)
    name: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utc_now)
    # Set when the reference is one of the user's own results: the image's lineage.
    source_image_id: str | None = Field(default=None, index=True, max_length=32)
    # What the upload's Content Credentials said before cleaning dropped them (bildgen/provenance/verify.py,
    # as JSON); None for an upload without any.
    credentials: str | None = Field(default=None, max_length=600)


class EditMask(SQLModel, table=True):
    """An edit mask a user painted on one of their reference images (store/masks.py): white = change.
    Its file lives beside the references, under its sha256."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    reference_id: str = Field(foreign_key="referenceimage.id", index=True, max_length=32)
    sha256: str = Field(index=True, max_length=64)
    created_at: datetime = Field(default_factory=utc_now)


class GenerationReference(SQLModel, table=True):
    """Which reference images, in which order, a generation was made from."""

    generation_id: str = Field(foreign_key="generation.id", primary_key=True, max_length=32)
    position: int = Field(primary_key=True)
    reference_id: str = Field(foreign_key="referenceimage.id", index=True, max_length=32)


class Generation(SQLModel, table=True):
    """One press of Generate, and the job that runs it: the recipe shared by its variants, its place
    in the queue, which worker runs it (under a lease that worker renews), and how it ended."""

    # The queue's claim reads the waiting jobs oldest first.
    __table_args__ = (
        sqlalchemy.Index("ix_generation_status_created", "status", "created_at"),
        # One generation per batch item: a resumed submission cannot queue an item twice.
        sqlalchemy.Index("ux_generation_batch_item", "batch_id", "batch_position", unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str | None = Field(default=None, foreign_key="user.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, index=True)
    finished_at: datetime | None = None
    prompt: str
    negative_prompt: str | None = None
    mode: str = Field(default="text-to-image", max_length=16)
    reference_count: int = 0
    model_profile: str = Field(max_length=100)
    served_model: str = Field(max_length=300)
    width: int
    height: int
    steps: int
    guidance: float
    guidance_field: str = Field(max_length=40)
    variant_count: int
    status: str = Field(default=GenerationStatus.QUEUED, max_length=16)
    error: str | None = None
    # What the runner needs beyond the columns above (JSON: seeds, fields sent with every request).
    spec: str | None = None
    started_at: datetime | None = None
    # The worker running it, and until when that worker's claim holds unless renewed.
    worker: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = None
    cancel_requested: bool = False
    # Why single variants failed while others went on (JSON: variant number → message).
    variant_errors: str | None = None
    # The batch item this generation runs (bildgen.batches), if any.
    batch_id: str | None = Field(default=None, max_length=32)
    batch_position: int | None = None
    # What the recipe holds beyond the columns (JSON): the prompt as typed before it was improved,
    # the context elements composed into it (bildgen.prompts).
    recipe_extras: str | None = None
    # The area of the first reference image the model was asked to change, if the user painted one.
    mask_id: str | None = Field(default=None, foreign_key="editmask.id", max_length=32)
    # The model's one human name (the picker's label) when this ran; served_model is the API's id.
    model_label: str | None = Field(default=None, max_length=80)
    # The advisory lock the running worker holds while it lives (PostgreSQL; jobs/liveness.py): free
    # means that worker is gone and its job goes back to the queue at once. None: not known.
    worker_lock: int | None = Field(default=None, sa_type=sqlalchemy.BigInteger)
    # How often a worker that stopped (drained or died) put it back in the queue: the tab says so.
    requeues: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # How often its worker died while running it: capped (jobs/queue.MAX_WORKER_DEATHS), so a job that
    # kills its worker each time ends instead of taking the next one down.
    worker_deaths: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The board its images go to (an API request's `board`); None: the owner's auto-add board, if any.
    board_id: str | None = Field(default=None, max_length=32)

    @property
    def model_name(self) -> str:
        """What people call the model: its label; the served id for generations from before labels were kept."""
        return self.model_label or self.served_model


class Image(SQLModel, table=True):
    """One saved variant. The file lives in the data folder under its sha256."""

    # The gallery pages through one user's images newest first, by key: this index serves it.
    __table_args__ = (sqlalchemy.Index("ix_image_owner_created_id", "owner_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # Repeated from the generation so that every lookup by id can check the owner in one query.
    owner_id: str | None = Field(default=None, foreign_key="user.id", index=True, max_length=32)
    generation_id: str = Field(foreign_key="generation.id", index=True, max_length=32)
    variant: int
    # Seeds span 0…2^32−1, beyond a 32-bit signed integer column.
    seed: int = Field(sa_type=sqlalchemy.BigInteger)
    width: int
    height: int
    sha256: str = Field(index=True, max_length=64)
    created_at: datetime = Field(default_factory=utc_now)
    favourite: bool = False
    # From sending the request to having the file saved.
    generation_ms: int | None = None


class BoardVisibility:
    PRIVATE = "private"  # the owner only
    SHARED = "shared"  # the owner and the people in BoardMember
    EVERYONE = "everyone"  # everyone signed in may view

    ALL = (PRIVATE, SHARED, EVERYONE)


class Board(SQLModel, table=True):
    """A named collection of one user's images (bildgen/boards/); an image may be in several."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utc_now)
    archived: bool = False
    # The owner's images go here as they are recorded (studio, batches, API); one board per owner at most.
    auto_add: bool = False
    visibility: str = Field(default=BoardVisibility.PRIVATE, max_length=10)


class BoardImage(SQLModel, table=True):
    """An image in a board. The image's created_at is repeated so that a board pages by key on one index."""

    __table_args__ = (
        sqlalchemy.Index("ix_boardimage_board_created_image", "board_id", "image_created_at", "image_id"),
    )

    board_id: str = Field(foreign_key="board.id", primary_key=True, max_length=32)
    image_id: str = Field(foreign_key="image.id", primary_key=True, index=True, max_length=32)
    image_created_at: datetime
    added_at: datetime = Field(default_factory=utc_now)


class BoardMember(SQLModel, table=True):
    """Someone a shared board is shared with: they view it, and with can_add add their own images."""

    board_id: str = Field(foreign_key="board.id", primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="user.id", primary_key=True, index=True, max_length=32)
    can_add: bool = False
    added_at: datetime = Field(default_factory=utc_now)


class ViewLink(SQLModel, table=True):
    """An expiring view-only link to one board or one image for someone without an account
    (bildgen/boards/links.py). Only the token's SHA-256 is stored; a revoked link keeps its row."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    # Exactly one of the two; the board's or image's row may be gone (then the link shows nothing).
    board_id: str | None = Field(default=None, index=True, max_length=32)
    image_id: str | None = Field(default=None, index=True, max_length=32)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    revoked_at: datetime | None = None


class UserGroup(SQLModel, table=True):
    """A group of people (bildgen/groups/): made by an administrator, or named by the identity
    provider's groups claim at single sign-on. It may restrict the models its members use and have a
    quota its members share."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # Unique as typed, compared lowercased: the claim's "Design" and an administrator's "design" are one.
    name: str = Field(unique=True, index=True, max_length=80)
    created_at: datetime = Field(default_factory=utc_now)
    # Made at a sign-in because the provider's claim named it (membership then follows the claim).
    from_claim: bool = False
    # When True its members may use only the profiles in GroupModel (an empty list: none).
    restricts_models: bool = False
    # At most quota_images images per quota_period ("day" or "month", UTC) by all members together.
    quota_period: str | None = Field(default=None, max_length=10)
    quota_images: int | None = None


class GroupMember(SQLModel, table=True):
    group_id: str = Field(foreign_key="usergroup.id", primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="user.id", primary_key=True, index=True, max_length=32)
    added_at: datetime = Field(default_factory=utc_now)


class GroupModel(SQLModel, table=True):
    """A model profile a restricting group's members may use."""

    group_id: str = Field(foreign_key="usergroup.id", primary_key=True, max_length=32)
    profile_id: str = Field(primary_key=True, max_length=100)


class BoardGroup(SQLModel, table=True):
    """A group a shared board is shared with: its members view it, and with can_add add their own images."""

    board_id: str = Field(foreign_key="board.id", primary_key=True, max_length=32)
    group_id: str = Field(foreign_key="usergroup.id", primary_key=True, index=True, max_length=32)
    can_add: bool = False
    added_at: datetime = Field(default_factory=utc_now)


class ApiToken(SQLModel, table=True):
    """A user's key for bildgen's HTTP API (issue 14). Only the token's SHA-256 is stored; the token
    itself is shown once, when it is made. A revoked token keeps its row (name, dates) but never works."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    # The first characters of the token, so that its owner can tell tokens apart; never enough to use it.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiTask(SQLModel, table=True):
    """A generation queued through the HTTP API: how its client wants the images back (issue 14)."""

    generation_id: str = Field(foreign_key="generation.id", primary_key=True, max_length=32, ondelete="CASCADE")
    response_format: str = Field(max_length=10)
    # The token that queued it (tokens are revoked, never deleted).
    token_id: str | None = Field(default=None, max_length=32)


class Batch(SQLModel, table=True):
    """A list of prompts run together; each item becomes a generation in the queue (bildgen.batches)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utc_now, index=True)
    # What items leave out (JSON of batches.items.BatchDefaults: model, size, steps, …).
    defaults: str
    # Batches that run the same prompts with the same seeds (re-runs, a pack's runs) share one
    # series: its comparison grid has one column per batch.
    series_id: str = Field(index=True, max_length=32)
    pack_id: str | None = Field(default=None, index=True, max_length=32)
    item_count: int
    cancelled: bool = False


class BatchItem(SQLModel, table=True):
    """One prompt of a batch with its own overrides; its generation has (batch_id, batch_position)."""

    batch_id: str = Field(foreign_key="batch.id", primary_key=True, max_length=32)
    position: int = Field(primary_key=True)
    prompt: str
    # The item's own fields as given (JSON of batches.items.BatchItem); the defaults fill the rest.
    fields: str
    # The first variant's seed, fixed when the batch is made: every run of the series uses it.
    seed: int = Field(sa_type=sqlalchemy.BigInteger)
    # pending (not queued yet), queued (its generation exists), refused (message says why), cancelled.
    state: str = Field(default="pending", max_length=16)
    message: str | None = None


class Pack(SQLModel, table=True):
    """An inference pack: a named set of prompts and settings to run again on any model."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    # Shared packs are listed and runnable for everyone; only the owner changes or deletes them.
    shared: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    # The flow document's shape (JSON): {"images": [...], and the defaults}.
    content: str
    # Items without a seed of their own use base_seed + their position: every run compares alike.
    base_seed: int = Field(sa_type=sqlalchemy.BigInteger)


class ContextElement(SQLModel, table=True):
    """A reusable named element (a character, a place, a style) composed into prompts with a role."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    text: str
    reference_id: str | None = Field(default=None, foreign_key="referenceimage.id", max_length=32)
    created_at: datetime = Field(default_factory=utc_now)


class VariantTask(SQLModel, table=True):
    """One variant's life at the image service, as the job's worker last saw it.

    For services that answer with a task to poll (BFL; the gateway with async tasks) the task is saved
    here the moment the service answers, so that a restarted bildgen resumes polling it instead of
    paying for the image again. Every provider's status and progress are kept here too, so that any
    worker process (and any tab) can show them.
    """

    generation_id: str = Field(foreign_key="generation.id", primary_key=True, max_length=32, ondelete="CASCADE")
    variant: int = Field(primary_key=True)
    task_id: str | None = Field(default=None, max_length=300)
    polling_url: str | None = Field(default=None, max_length=2000)
    # Wall-clock seconds since the epoch: the profile's deadline counts from here across restarts.
    submitted_at: float | None = None
    # submitted, queued, running; at the end done, moderated or failed.
    status: str = Field(default="submitted", max_length=20)
    progress: float | None = None
    eta_s: float | None = None
    # The service's latest preview of the image being made (a small file under previews/).
    preview_sha256: str | None = Field(default=None, max_length=64)
    # An image file written whose row is not committed yet, and the job's attempt (Generation.requeues)
    # that wrote it: once that attempt is over (its worker died or lost the job), the file is removed
    # (ImageLibrary.remove_unrecorded). Noted before the file is written, cleared with the row's commit.
    unrecorded_sha256: str | None = Field(default=None, max_length=64)
    unrecorded_attempt: int | None = None
    updated_at: datetime = Field(default_factory=utc_now)


class AdminSetting(SQLModel, table=True):
    """One setting an administrator changed in the Admin area (bildgen/admin/settings.py), as JSON."""

    key: str = Field(primary_key=True, max_length=60)
    value: str
    updated_at: datetime = Field(default_factory=utc_now)


class ConfigVersion(SQLModel, table=True):
    """Counts changes to profiles, providers and settings: every worker process reads this one row
    to know whether its cached catalog is still current."""

    slot: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = 0


class StoredProfile(SQLModel, table=True):
    """A model profile made in the Admin area, or an administrator's changes to one from the TOML file.

    `config` is JSON validated against ModelProfile: the whole profile, or for a file's profile only
    the keys the administrator changed (the file's values stay underneath)."""

    id: str = Field(primary_key=True, max_length=100)
    config: str
    position: int = 0
    updated_at: datetime = Field(default_factory=utc_now)


class ProviderSetting(SQLModel, table=True):
    """What an administrator set for one provider; None leaves the file's or environment's value."""

    provider: str = Field(primary_key=True, max_length=40)
    base_url: str | None = Field(default=None, max_length=500)
    # Fernet token of the API key (bildgen/admin/keys.py); never the key itself.
    api_key_encrypted: str | None = None
    enabled: bool | None = None
    updated_at: datetime = Field(default_factory=utc_now)


class QuotaRule(SQLModel, table=True):
    """At most `max_images` images per user and period, on one profile or (profile_id None) on all together."""

    id: int | None = Field(default=None, primary_key=True)
    profile_id: str | None = Field(default=None, max_length=100)
    period: str = Field(max_length=10)  # "day" or "month", calendar periods in UTC
    max_images: int
    created_at: datetime = Field(default_factory=utc_now)


class ApiIdempotencyKey(SQLModel, table=True):
    """An `Idempotency-Key` a client sent with POST /v1/images/*: for 24 hours the same token and key get
    the job the first request queued, never a second one (bildgen/api/idempotency.py)."""

    token_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=255)
    # SHA-256 of the route and the request's fields and files: the same key with others is refused.
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utc_now, index=True)
    # None while the first request still stores its uploads and queues its job.
    generation_id: str | None = Field(default=None, max_length=32)
