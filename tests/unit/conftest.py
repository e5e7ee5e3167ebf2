import os
import uuid

import pytest
import sqlalchemy

from bildgen.inference import transport
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, start_demo_server

# `scripts/test` runs the unit tests on SQLite, and those that use a database again with
# BILDGEN_TEST_DB=postgresql on the throwaway server whose superuser URL is BILDGEN_TEST_PG_URL.
TEST_DB = os.environ.get("BILDGEN_TEST_DB", "sqlite")
if TEST_DB not in ("sqlite", "postgresql"):
    raise pytest.UsageError(f"BILDGEN_TEST_DB={TEST_DB!r}: use 'sqlite' or 'postgresql'.")


DATABASE_FIXTURES = {"database_url", "empty_database_url", "fresh_services"}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL run runs only the tests that use a database (every way to one goes through the
    fixtures below): the others ran on SQLite already and would only run again."""
    if TEST_DB != "postgresql":
        return
    kept = [item for item in items if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def _postgres():
    """The PostgreSQL server's superuser engine and a migrated template database to copy per test."""
    from bildgen.store.db import make_engine, migrate

    server_url = os.environ.get("BILDGEN_TEST_PG_URL")
    if not server_url:
        raise pytest.UsageError("BILDGEN_TEST_DB=postgresql needs BILDGEN_TEST_PG_URL (scripts/test sets both).")
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool)
    template = f"bildgen_template_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{template}" TEMPLATE template0')
    template_engine = make_engine(_database_url(server_url, template))
    migrate(template_engine)
    template_engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template without connections
    yield admin, server_url, template
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    admin.dispose()


def _database_url(server_url: str, name: str) -> str:
    return sqlalchemy.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _fresh_database(request, tmp_path, *, migrated: bool) -> str:
    if TEST_DB == "sqlite":
        # migrate() at the start of the test makes an empty SQLite file current in milliseconds.
        return f"sqlite:///{tmp_path / 'bildgen.db'}"
    admin, server_url, template = request.getfixturevalue("_postgres")
    name = f"bildgen_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template if migrated else "template0"}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return _database_url(server_url, name)


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A database of the test's own, with the schema at head on PostgreSQL (copied from a template)."""
    return _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture
def engine(database_url):
    """A freshly migrated database of the test's own: SQLite, or PostgreSQL in the suite's second run."""
    from bildgen.store.db import make_engine, migrate

    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(request, tmp_path) -> str:
    """A database of the test's own without any table, for tests of the migrations themselves."""
    return _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture(autouse=True)
def closed_breakers():
    """Each test starts with every server's circuit breaker closed, as a fresh process would."""
    transport.reset_breakers()
    yield
    transport.reset_breakers()


@pytest.fixture
def demo_server():
    server = start_demo_server(DemoOptions(latency_per_image=0.0))
    yield server
    server.stop()


@pytest.fixture
def serve():
    """Serve any ASGI app (a misbehaving server, say) on 127.0.0.1 for one test."""
    servers: list[BackgroundServer] = []

    def start(app) -> BackgroundServer:
        servers.append(BackgroundServer(app).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fresh_services(tmp_path, monkeypatch, request):
    """bildgen's services as a plain start would build them, in a data folder and database of the test's own."""
    from bildgen import services

    monkeypatch.setenv("BILDGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BILDGEN_DEMO_LATENCY", "0")
    # A stop hands running jobs back at once instead of waiting for them (tests/unit/jobs/test_worker_faults.py drains).
    monkeypatch.setenv("BILDGEN_DRAIN_SECONDS", "0")
    monkeypatch.delenv("BILDGEN_CONFIG", raising=False)
    if TEST_DB == "sqlite":
        monkeypatch.delenv("REFLEX_DB_URL", raising=False)  # the default: SQLite in the data folder
    else:
        monkeypatch.setenv("REFLEX_DB_URL", request.getfixturevalue("empty_database_url"))
    services._build.cache_clear()
    services.configured_catalog.cache_clear()
    yield services
    built = services._build() if services._build.cache_info().currsize else None
    if built and built.demo_server:
        built.demo_server.stop()
    if built:
        built.engine.dispose()
    services._build.cache_clear()
    services.configured_catalog.cache_clear()


def make_user(engine, username: str = "anna", *, password_hash: str = "$argon2id$not-a-real-hash"):
    """A user row, without paying for a real argon2 hash where the test is not about passwords."""
    from bildgen.store.db import session
    from bildgen.store.models import User

    user = User(username=username, password_hash=password_hash)
    with session(engine) as db:
        db.add(user)
        db.commit()
    return user


def make_generation(engine, owner, **fields):
    """A generation row with plausible defaults; `fields` override any of them."""
    from bildgen.store.db import session
    from bildgen.store.models import Generation, GenerationStatus

    values = dict(
        owner_id=owner.id,
        prompt="p",
        model_profile="demo",
        served_model="m",
        width=64,
        height=64,
        steps=1,
        guidance=1.0,
        guidance_field="guidance_scale",
        variant_count=1,
        status=GenerationStatus.DONE,
    )
    generation = Generation(**{**values, **fields})
    with session(engine) as db:
        db.add(generation)
        db.commit()
    return generation


@pytest.fixture
def postgres():
    """A PostgreSQL server of the test's own, to stop and start again (an outage)."""
    from tests.databases import PrivatePostgres

    server = PrivatePostgres().init().start()
    yield server
    server.remove()
