import pytest

from bildgen.inference import client
from bildgen.inference.demo.server import BackgroundServer, DemoOptions, start_demo_server


@pytest.fixture(autouse=True)
def closed_breakers():
    """Each test starts with every server's circuit breaker closed, as a fresh process would."""
    client.reset_breakers()
    yield
    client.reset_breakers()


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
def fresh_services(tmp_path, monkeypatch):
    """bildgen's services as a plain start would build them, in a data folder of the test's own."""
    from bildgen import services

    monkeypatch.setenv("BILDGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BILDGEN_DEMO_LATENCY", "0")
    monkeypatch.delenv("BILDGEN_CONFIG", raising=False)
    monkeypatch.delenv("REFLEX_DB_URL", raising=False)
    services._build.cache_clear()
    services.configured_catalog.cache_clear()
    yield services
    built = services._build() if services._build.cache_info().currsize else None
    if built and built.demo_server:
        built.demo_server.stop()
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
