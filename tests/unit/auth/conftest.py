import os
import uuid

import pytest
import sqlalchemy

from bildgen.store.db import make_engine, migrate

PG_URL = os.environ.get("BILDGEN_TEST_PG_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="no PG"))])
def engine(request, tmp_path):
    """A freshly migrated database: a SQLite file, and PostgreSQL when BILDGEN_TEST_PG_URL names a server."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'bildgen.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    # A database of the test's own, so tests never see each other's rows.
    server = sqlalchemy.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"bildgen_test_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(sqlalchemy.make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    yield engine
    engine.dispose()
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    server.dispose()
