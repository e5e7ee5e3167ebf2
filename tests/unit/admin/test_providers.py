"""Providers: endpoint, key and enabled flag from the environment, the file and the Admin area (in that
order of precedence); keys encrypted at rest, masked in the audit log, never logged."""

import asyncio
import logging
import subprocess
import sys

import pytest
import sqlalchemy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bildgen.admin import providers
from bildgen.admin.connection import try_connection
from bildgen.admin.keys import KeyBox, KeyUnreadable
from bildgen.admin.live import ConfigSource
from bildgen.auth import audit
from bildgen.inference.profiles import Catalog, ModelProfile, ProviderConfig
from tests.servers import REPO_ROOT
from tests.unit.conftest import make_user

SECRET = b"a server secret of at least 32 characters"
BOX = KeyBox(SECRET)
KEY = "sk-live-0123456789abcdefSECRET"


def everything_stored(engine) -> str:
    """The whole database as text, as a dump would hold it."""
    text = []
    with engine.connect() as connection:
        for table in sqlalchemy.inspect(engine).get_table_names():
            for row in connection.execute(sqlalchemy.text(f'SELECT * FROM "{table}"')):
                text.append(" ".join(str(value) for value in row))
    return "\n".join(text)


def test_each_value_comes_from_the_admin_area_over_the_file_over_the_environment_over_the_default(engine):
    admin = make_user(engine, "root")
    environ = {"BILDGEN_BFL_BASE_URL": "https://env.example/v1", "BILDGEN_BFL_API_KEY": "env-key", "MY_BFL": "file-key"}
    file = {"bfl": ProviderConfig(base_url="https://file.example/v1", api_key_env="MY_BFL")}

    def bfl():
        stored = providers.stored_settings(engine)
        return providers.effective(configured=file, stored=stored, box=BOX, environ=environ)["bfl"]

    default = providers.effective(configured={}, stored={}, box=BOX, environ={})["bfl"]
    assert (default.base_url.value, default.base_url.source) == ("https://api.bfl.ai/v1", providers.DEFAULT)
    from_env = providers.effective(configured={}, stored={}, box=BOX, environ=environ)["bfl"]
    assert (from_env.base_url.value, from_env.base_url.source) == (
        "https://env.example/v1",
        "environment (BILDGEN_BFL_BASE_URL)",
    )
    assert (from_env.api_key.value, from_env.api_key.source) == ("env-key", "environment (BILDGEN_BFL_API_KEY)")
    assert (bfl().base_url.value, bfl().base_url.source) == ("https://file.example/v1", providers.CONFIG_FILE)
    assert (bfl().api_key.value, bfl().api_key.source) == ("file-key", "configuration file (via MY_BFL)")

    providers.save(
        engine, "bfl", box=BOX, actor_id=admin.id, base_url="https://admin.example/v1", api_key=KEY, enabled=False
    )
    state = bfl()
    assert (state.base_url.value, state.base_url.source) == ("https://admin.example/v1", providers.ADMIN_AREA)
    assert (state.api_key.value, state.api_key.source) == (KEY, providers.ADMIN_AREA)
    assert (state.enabled.value, state.enabled.source) == (False, providers.ADMIN_AREA)

    # Removing the Admin area's values brings the file's back.
    providers.save(engine, "bfl", box=BOX, actor_id=admin.id, base_url="", api_key=None, enabled=None)
    assert (bfl().base_url.source, bfl().api_key.source, bfl().enabled.source) == (
        providers.CONFIG_FILE,
        "configuration file (via MY_BFL)",
        providers.DEFAULT,
    )


def test_a_key_is_encrypted_at_rest_and_round_trips(engine):
    admin = make_user(engine, "root")
    providers.save(engine, "openai", box=BOX, actor_id=admin.id, api_key=KEY)

    assert KEY not in everything_stored(engine)
    stored = providers.stored_settings(engine)["openai"].api_key_encrypted
    assert BOX.decrypt(stored) == KEY
    # Another server secret cannot read it: a copy of the database alone reveals nothing.
    with pytest.raises(KeyUnreadable):
        KeyBox(b"another secret of at least 32 characters!").decrypt(stored)


def test_after_a_secret_rotation_old_keys_are_read_and_the_command_re_encrypts_them(engine):
    admin = make_user(engine, "root")
    providers.save(engine, "openai", box=BOX, actor_id=admin.id, api_key=KEY)
    new_secret = b"the new server secret, 32 characters or more"
    rotated = KeyBox(new_secret, [SECRET])

    state = providers.effective(configured={}, stored=providers.stored_settings(engine), box=rotated, environ={})
    assert state["openai"].api_key.value == KEY
    assert providers.reencrypt_keys(engine, rotated) == (1, [])
    # Now the new secret alone reads it.
    stored = providers.stored_settings(engine)["openai"].api_key_encrypted
    assert KeyBox(new_secret).decrypt(stored) == KEY

    # Without the old secret, the page says the key must be entered again (and never crashes).
    unreadable = providers.effective(
        configured={}, stored=providers.stored_settings(engine), box=KeyBox(b"x" * 40), environ={}
    )["openai"]
    assert unreadable.api_key.value is None and "Enter the key again" in unreadable.key_problem


def test_the_rotation_command_runs(tmp_path, database_url):
    environment = {
        "PATH": "/usr/bin:/bin",
        "BILDGEN_DATA_DIR": str(tmp_path),
        "REFLEX_DB_URL": database_url,
        "BILDGEN_SECRET_KEY": "x" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bildgen.admin.rotate_keys"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Re-encrypted 0 API key(s)" in done.stdout


def test_a_key_is_masked_in_the_audit_log(engine):
    admin = make_user(engine, "root")
    providers.save(engine, "openai", box=BOX, actor_id=admin.id, api_key=KEY)
    providers.save(engine, "openai", box=BOX, actor_id=admin.id, api_key="sk-another-one")
    providers.save(engine, "openai", box=BOX, actor_id=admin.id, api_key=None)

    entries = audit.page(engine, action=audit.PROVIDER_CHANGED).entries
    assert [(entry.detail, entry.old_value, entry.new_value) for entry in entries] == [
        ("API key", '"********"', ""),
        ("API key", '"********"', '"********"'),
        ("API key", "", '"********"'),
    ]


def key_checking_server(serve, key: str, *, status: int = 401):
    """An OpenAI-compatible model list that only answers the right key, recording what it was sent."""
    sent: list[str] = []

    async def models(request: Request):
        sent.append(request.headers.get("authorization", ""))
        if request.headers.get("authorization") != f"Bearer {key}":
            return JSONResponse({"error": {"message": "Incorrect API key provided"}}, status_code=status)
        return JSONResponse({"data": [{"id": "team-model", "object": "model"}]})

    server = serve(Starlette(routes=[Route("/v1/models", models)]))
    return server, sent


def test_a_profile_without_its_own_key_uses_the_providers_key_from_the_admin_area(engine, serve):
    admin = make_user(engine, "root")
    server, sent = key_checking_server(serve, KEY)
    profile = ModelProfile(id="own", label="Own server", base_url=server.base_url)
    base = Catalog(default_model="own", models={"own": profile})
    source = ConfigSource(engine, base, BOX, environ={})

    assert not asyncio.run(try_connection(source.refresh().catalog.default)).ok
    providers.save(engine, "openai-compatible", box=BOX, actor_id=admin.id, api_key=KEY)
    outcome = asyncio.run(try_connection(source.refresh().catalog.default))
    assert outcome.ok and "team-model" in outcome.message
    assert sent[-1] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("status", "words"),
    [(401, "refused the API key"), (402, "no credits or quota left"), (404, "but lists no model")],
)
def test_a_failed_connection_test_says_what_to_do(serve, status, words):
    server, _ = key_checking_server(serve, KEY, status=status)
    profile = ModelProfile(label="x", base_url=server.base_url).with_api_key("wrong")
    outcome = asyncio.run(try_connection(profile))
    assert not outcome.ok and words in outcome.message


def test_a_service_that_is_down_is_named_as_such():
    outcome = asyncio.run(try_connection(ModelProfile(label="x", base_url="http://127.0.0.1:9/v1")))
    assert not outcome.ok and "The service did not answer" in outcome.message


def test_no_key_appears_in_the_logs(engine, serve, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_user(engine, "root")
    server, _ = key_checking_server(serve, "the-right-key")
    profile = ModelProfile(id="own", label="Own server", base_url=server.base_url)
    source = ConfigSource(engine, Catalog(default_model="own", models={"own": profile}), BOX, environ={})

    providers.save(engine, "openai-compatible", box=BOX, actor_id=admin.id, api_key=KEY)
    live = source.refresh()
    asyncio.run(try_connection(live.catalog.default))  # refused: the server expects another key
    logging.getLogger("bildgen").info("catalog %r, providers %r, source %r", live.catalog, live.providers, source)

    assert caplog.records
    assert KEY not in caplog.text
    assert KEY not in repr(live) and KEY not in str(live.catalog.model_dump())
