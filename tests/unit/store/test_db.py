import sqlalchemy

from bildgen.store.db import make_engine, migrate, session
from bildgen.store.models import Generation, Image


def test_migrations_create_the_schema_on_an_empty_database_and_are_idempotent(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'bildgen.db'}")
    migrate(engine)
    migrate(engine)
    tables = set(sqlalchemy.inspect(engine).get_table_names())
    assert {"generation", "image", "alembic_version"} <= tables


def test_seeds_up_to_two_to_the_thirty_second_round_trip(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bildgen.db'}")
    migrate(engine)
    generation = Generation(
        prompt="p", model_profile="demo", served_model="m", width=64, height=64,
        steps=1, guidance=1.0, guidance_field="guidance_scale", variant_count=1,
    )
    image = Image(generation_id=generation.id, variant=0, seed=2**32 - 1, width=64, height=64, sha256="0" * 64)
    with session(engine) as db:
        db.add(generation)
        db.commit()
        db.add(image)
        db.commit()
    with session(engine) as db:
        assert db.get(Image, image.id).seed == 2**32 - 1
