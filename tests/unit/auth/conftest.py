import contextlib
import os
import uuid

import pytest
import sqlalchemy

PG_URL = os.environ.get("BILDGEN_TEST_PG_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="BILDGEN_TEST_PG_URL names no PostgreSQL server")


@contextlib.contextmanager
def pg_database():
    """The URL of a new, empty PostgreSQL database of the caller's own, dropped afterwards."""
    server = sqlalchemy.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"bildgen_test_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sqlalchemy.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        server.dispose()
