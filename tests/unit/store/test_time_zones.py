"""Time stamps mean the same moment whatever time zone the database server runs in. The PostgreSQL
unit run starts its server with TimeZone=Pacific/Kiritimati (UTC+14, scripts/test-databases.sh)."""

from datetime import timedelta

import sqlalchemy
from sqlmodel import SQLModel

from bildgen.auth import api_tokens, sessions
from bildgen.jobs import queue, views
from bildgen.store.db import make_engine, migrate, session
from bildgen.store.models import Generation, utc_now
from tests.unit.conftest import TEST_DB, make_generation, make_user


def test_a_session_ends_after_its_idle_days_not_hours_later(engine):
    anna = make_user(engine)
    token = sessions.start(engine, anna.id)
    assert sessions.user_for(engine, token).id == anna.id
    just_after = utc_now() + sessions.IDLE_LIFETIME + timedelta(minutes=1)
    assert sessions.user_for(engine, token, now=just_after) is None


def test_an_api_token_stops_working_when_it_expires_not_hours_later(engine):
    anna = make_user(engine)
    _, token = api_tokens.create(engine, user=anna, name="script", expires_in_days=7)
    assert api_tokens.authenticate(engine, token).user.id == anna.id
    assert api_tokens.authenticate(engine, token, now=utc_now() + timedelta(days=7, minutes=1)) is None


def test_a_jobs_times_read_back_as_the_moments_they_were_written(engine):
    anna = make_user(engine)
    before = utc_now()
    job = make_generation(engine, anna, status="queued")
    view = views.view(engine, job.id, owner_id=anna.id)
    assert before - timedelta(seconds=1) <= view.created_at <= utc_now()
    assert view.created_at.utcoffset() == timedelta(0)


def test_a_claimed_jobs_start_and_lease_read_back_as_written(engine):
    anna = make_user(engine)
    job = make_generation(engine, anna, status="queued")
    claimed_at = utc_now()
    assert [
        claimed.id for claimed in queue.claim(engine, worker="w1", limits={"demo": 1}, capacity=1, now=claimed_at)
    ] == [job.id]
    with session(engine) as db:
        row = db.get(Generation, job.id)
    assert row.started_at == claimed_at
    assert row.lease_expires_at == claimed_at + queue.LEASE
    assert views.view(engine, job.id, owner_id=anna.id).started_at == claimed_at


def test_a_job_started_before_the_upgrade_keeps_its_start_moment(empty_database_url):
    engine = make_engine(empty_database_url)
    migrate(engine, "0009")  # before 0013: started_at without a time zone on PostgreSQL
    started = utc_now().replace(microsecond=0)
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO generation (id, created_at, started_at, prompt, model_profile, served_model, width, height,"
                " steps, guidance, guidance_field, variant_count, status, mode, reference_count, cancel_requested)"
                " VALUES ('g1', :now, :now, 'p', 'demo', 'm', 64, 64, 1, 1.0, 'guidance_scale', 1, 'running',"
                " 'text-to-image', 0, false)"
            ),
            {"now": started},
        )
    migrate(engine)
    with session(engine) as db:
        assert db.get(Generation, "g1").started_at == started
    engine.dispose()


def test_every_time_stamp_column_keeps_its_time_zone(engine):
    """A column added later as a plain datetime would bring the bug back."""
    naive_in_models = [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, sqlalchemy.DateTime) and not column.type.timezone
    ]
    assert naive_in_models == []
    if TEST_DB != "postgresql":
        return
    with engine.connect() as connection:
        naive = (
            connection.execute(
                sqlalchemy.text(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'"
                )
            )
            .scalars()
            .all()
        )
    assert naive == []
