import subprocess
import sys

import sqlalchemy

from bildgen.store.db import downgrade, make_engine, migrate, session
from bildgen.store.models import Generation, Image
from tests.servers import REPO_ROOT


def test_migrations_create_the_schema_on_an_empty_database_and_are_idempotent(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'bildgen.db'}")
    migrate(engine)
    migrate(engine)
    tables = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"generation", "image", "alembic_version"} <= tables


def test_seeds_up_to_two_to_the_thirty_second_round_trip(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    generation = Generation(
        prompt="p",
        model_profile="demo",
        served_model="m",
        width=64,
        height=64,
        steps=1,
        guidance=1.0,
        guidance_field="guidance_scale",
        variant_count=1,
    )
    image = Image(generation_id=generation.id, variant=0, seed=2**32 - 1, width=64, height=64, sha256="0" * 64)
    with session(engine) as db:
        db.add(generation)
        db.commit()
        db.add(image)
        db.commit()
    with session(engine) as db:
        assert db.get(Image, image.id).seed == 2**32 - 1


def test_every_migration_downgrades_and_upgrades_again_with_data_in_place(empty_database_url):
    engine = make_engine(empty_database_url)
    # Data written under the first schema survives every later migration.
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO generation (id, created_at, prompt, model_profile, served_model, width, height, steps, guidance,"
                " guidance_field, variant_count, status) VALUES ('g1', '2026-01-01 00:00:00', 'p', 'demo', 'm', 64, 64, 1, 1.0,"
                " 'guidance_scale', 1, 'done')"
            )
        )
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO image (id, generation_id, variant, seed, width, height, sha256, created_at)"
                " VALUES ('i1', 'g1', 0, 5, 64, 64, '" + "a" * 64 + "', '2026-01-01 00:00:00')"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT favourite, seed FROM image WHERE id = 'i1'")).one() == (0, 5)
    downgrade(engine)
    assert set(sqlalchemy.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert {"image", "user", "generationreference"} <= set(sqlalchemy.inspect(engine).get_table_names())


MIGRATE_WHEN_TOLD = """
import sys
from bildgen.store.db import make_engine, migrate

engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
"""


def test_several_processes_starting_at_once_on_an_empty_database_all_migrate_it(empty_database_url):
    # Instances (or workers) of one deployment start together; each applies pending migrations at start.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_WHEN_TOLD, empty_database_url],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    # Each failing process's error line, e.g. UniqueViolation on alembic_version.
    failures = [
        next(line for line in reversed(errors.splitlines()) if "Error" in line)
        for process in processes
        if (errors := process.communicate(timeout=60)[1]) and process.returncode
    ]
    assert failures == []
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        versions = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(versions) == 1
    assert {"generation", "image", "user"} <= set(sqlalchemy.inspect(engine).get_table_names())
