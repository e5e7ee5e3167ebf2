"""Inference packs: saved from a batch or a table, private or shared, exported and imported as the
flow document's JSON, run on any model with extra prompts; runs compared in one grid."""

import json

import pytest

from bildgen.batches import comparison, packs, runs
from bildgen.batches.items import BatchItem, InputRefused, ItemFields, parse_json
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue
from bildgen.store.db import session
from bildgen.store.models import Generation, GenerationStatus, Image
from tests.unit.conftest import make_user

ITEMS = [
    BatchItem("a fox", ItemFields(steps="12")),
    BatchItem("a wolf", ItemFields(seed="77", model="demo")),
    BatchItem("an owl"),
]
DEFAULTS = ItemFields(width="512", height="512", negative_prompt="blurry")


@pytest.fixture
def models() -> Catalog:
    base = "http://127.0.0.1:9/v1"
    return Catalog(
        default_model="demo",
        models={
            "demo": ModelProfile(id="demo", label="Demo", base_url=base, family="generic"),
            "flux": ModelProfile(id="flux", label="FLUX.2", base_url=base, family="flux2"),
        },
    )


def job_seeds(engine, batch_id):
    with session(engine) as db:
        jobs = db.exec(Generation.__table__.select().where(Generation.batch_id == batch_id)).all()
    return {job.batch_position: (json.loads(job.spec)["seeds"][0], job.model_profile) for job in jobs}


def test_the_export_import_round_trip_keeps_prompts_settings_and_seeds(engine):
    anna, bob = make_user(engine), make_user(engine, "bob")
    pack_id = packs.save(engine, owner_id=anna.id, name="Animals", items=ITEMS, defaults=DEFAULTS, shared=True)
    exported = packs.export(engine, pack_id, owner_id=anna.id)
    assert exported["name"] == "Animals" and exported["width"] == 512 and exported["negativePrompt"] == "blurry"
    assert [image["prompt"] for image in exported["images"]] == ["a fox", "a wolf", "an owl"]
    assert exported["images"][1]["seed"] == 77  # its own seed kept; the others get the pack's
    assert all(isinstance(image["seed"], int) for image in exported["images"])

    copy_id, notes = packs.import_document(engine, json.dumps(exported).encode(), owner_id=bob.id)
    assert notes == []
    assert packs.export(engine, copy_id, owner_id=bob.id) == exported
    parsed = parse_json(json.dumps(exported))
    assert [item.prompt for item in parsed.items] == ["a fox", "a wolf", "an owl"]


def test_importing_something_that_is_no_pack_is_refused_plainly(engine):
    anna = make_user(engine)
    with pytest.raises(InputRefused):
        packs.import_document(engine, b'{"name": "x"}', owner_id=anna.id)
    with pytest.raises(packs.PackRefused, match="at least one prompt"):
        packs.import_document(engine, b'{"images": []}', owner_id=anna.id)


def test_private_packs_are_the_owners_shared_ones_everyones_and_only_the_owner_changes_them(engine):
    anna, bob = make_user(engine), make_user(engine, "bob")
    private = packs.save(engine, owner_id=anna.id, name="Mine", items=ITEMS, defaults=DEFAULTS)
    shared = packs.save(engine, owner_id=anna.id, name="Ours", items=ITEMS, defaults=DEFAULTS, shared=True)
    assert {view.name for view in packs.visible(engine, owner_id=bob.id)} == {"Ours"}
    assert packs.export(engine, private, owner_id=bob.id) is None
    assert not packs.delete(engine, shared, owner_id=bob.id)
    assert not packs.set_shared(engine, shared, owner_id=bob.id, shared=False)
    assert packs.set_shared(engine, private, owner_id=anna.id, shared=True)
    assert {view.name for view in packs.visible(engine, owner_id=bob.id)} == {"Mine", "Ours"}
    assert packs.delete(engine, shared, owner_id=anna.id)
    assert [(view.name, view.owner, view.mine) for view in packs.visible(engine, owner_id=bob.id)] == [
        ("Mine", "anna", False)
    ]


def test_a_pack_runs_on_any_model_with_extra_prompts_and_the_same_seeds_every_time(engine, models):
    anna, bob = make_user(engine), make_user(engine, "bob")
    pack_id = packs.save(engine, owner_id=anna.id, name="Animals", items=ITEMS, defaults=DEFAULTS, shared=True)
    on_demo = packs.run(engine, pack_id, owner_id=anna.id, model="demo", catalog=models)
    on_flux = packs.run(engine, pack_id, owner_id=anna.id, model="flux", catalog=models, extra=[BatchItem("a badger")])
    by_bob = packs.run(engine, pack_id, owner_id=bob.id, model="flux", catalog=models)
    for batch_id, owner in ((on_demo, anna), (on_flux, anna), (by_bob, bob)):
        runs.queue_items(engine, batch_id, owner_id=owner.id, catalog=models)
    demo, flux, bobs = job_seeds(engine, on_demo), job_seeds(engine, on_flux), job_seeds(engine, by_bob)
    assert [demo[p][0] for p in range(3)] == [flux[p][0] for p in range(3)] == [bobs[p][0] for p in range(3)]
    assert demo[1][0] == 77
    assert {model for _, model in demo.values()} == {"demo"}
    assert {model for _, model in flux.values()} == {"flux"}  # the item that named demo runs on flux too
    assert len(flux) == 4
    summaries = {summary.id: summary for summary in runs.recent(engine, owner_id=anna.id)}
    assert summaries[on_flux].name == "Animals on FLUX.2"
    assert summaries[on_demo].series_id == summaries[on_flux].series_id == pack_id
    assert packs.visible(engine, owner_id=anna.id)[0].latest_run == on_flux


def test_saving_a_batch_as_a_pack_keeps_the_seeds_it_ran_with(engine, models):
    anna = make_user(engine)
    batch_id = runs.create(engine, owner_id=anna.id, name="b", items=ITEMS, defaults=DEFAULTS, catalog=models)
    runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=models)
    pack_id = packs.from_batch(engine, batch_id, owner_id=anna.id, name="From a batch")
    rerun = packs.run(engine, pack_id, owner_id=anna.id, model="flux", catalog=models)
    runs.queue_items(engine, rerun, owner_id=anna.id, catalog=models)
    assert [job_seeds(engine, batch_id)[p][0] for p in range(3)] == [job_seeds(engine, rerun)[p][0] for p in range(3)]
    assert packs.from_batch(engine, batch_id, owner_id=make_user(engine, "bob").id, name="x") is None


def finish(engine, batch_id, *, images: bool):
    """Mark the batch's jobs done, with one image row each when asked (no server needed for the grid)."""
    with session(engine) as db:
        for job in db.exec(Generation.__table__.select().where(Generation.batch_id == batch_id)).all():
            row = db.get(Generation, job.id)
            row.status = GenerationStatus.DONE
            db.add(row)
            if images:
                db.add(
                    Image(
                        owner_id=row.owner_id,
                        generation_id=row.id,
                        variant=0,
                        seed=1,
                        width=8,
                        height=8,
                        sha256="0" * 64,
                    )
                )
        db.commit()


def test_the_comparison_grid_puts_the_runs_side_by_side_prompt_by_prompt(engine, models):
    anna = make_user(engine)
    pack_id = packs.save(engine, owner_id=anna.id, name="Animals", items=ITEMS, defaults=DEFAULTS)
    first = packs.run(engine, pack_id, owner_id=anna.id, model="demo", catalog=models)
    second = packs.run(engine, pack_id, owner_id=anna.id, model="flux", catalog=models, extra=[BatchItem("a badger")])
    for batch_id in (first, second):
        runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=models)
    finish(engine, first, images=True)

    shown = comparison.grid(engine, second, owner_id=anna.id)
    assert [column.model_profile for column in shown.columns] == ["demo", "flux"]
    assert [row.prompt for row in shown.rows] == ["a fox", "a wolf", "an owl", "a badger"]
    fox = shown.rows[0]
    assert fox.cells[0].status == GenerationStatus.DONE and len(fox.cells[0].image_ids) == 1
    assert fox.cells[1].status == queue.GenerationStatus.QUEUED and fox.cells[1].image_ids == []
    assert shown.rows[3].cells[0] is None  # the first run had no badger
    assert shown.active  # the second run is still waiting

    paged = comparison.grid(engine, first, owner_id=anna.id, start=2, limit=1)
    assert (paged.total_rows, [row.prompt for row in paged.rows]) == (4, ["an owl"])
    assert comparison.grid(engine, first, owner_id=make_user(engine, "bob").id) is None
