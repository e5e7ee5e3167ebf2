import json
from datetime import timedelta

from bildgen.store import gallery
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import saved_image
from bildgen.store.models import GenerationReference, Image, ReferenceImage, utc_now
from tests.unit.conftest import make_generation, make_user

T0 = utc_now()


def add_generation(
    engine, owner, prompt="a fox", *, model="m1", images=1, minute=0, sha=None, references=(), spec=None
):
    generation = make_generation(engine, owner, prompt=prompt, served_model=model, variant_count=images, spec=spec)
    rows = [
        Image(
            owner_id=owner.id,
            generation_id=generation.id,
            variant=v,
            seed=v,
            width=64,
            height=64,
            sha256=sha or f"{minute:04d}{v:02d}".ljust(64, "0"),
            created_at=T0 + timedelta(minutes=minute),
        )
        for v in range(images)
    ]
    links = [
        GenerationReference(generation_id=generation.id, position=i, reference_id=r.id)
        for i, r in enumerate(references)
    ]
    with session(engine) as db:
        db.add_all(rows + links)
        db.commit()
    return rows


def every_page(engine, owner, filters=gallery.Filters(), limit=3):
    seen, cursor = [], None
    while True:
        result = gallery.page(engine, owner.id, filters=filters, after=cursor, limit=limit)
        seen.extend(image.id for image, _ in result.items)
        if result.next_cursor is None:
            return seen
        cursor = gallery.Cursor.decode(result.next_cursor.encode())


def test_paging_by_key_returns_every_image_once_newest_first(engine):
    anna = make_user(engine)
    # Several images share one timestamp: the id breaks the tie.
    made = [image for minute in range(5) for image in add_generation(engine, anna, images=2, minute=minute)]
    expected = [image.id for image in sorted(made, key=lambda image: (image.created_at, image.id), reverse=True)]
    assert every_page(engine, anna) == expected


def test_nobody_sees_favourites_or_deletes_anyone_elses_images(engine, tmp_path):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    add_generation(engine, anna, images=3)
    assert every_page(engine, bob) == []
    image = gallery.page(engine, anna.id).items[0][0]
    assert gallery.details(engine, bob.id, image.id) is None
    assert not gallery.set_favourite(engine, bob.id, image.id, True)
    files, thumbnails = ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    assert not gallery.delete_image(engine, bob.id, image.id, files=files, thumbnails=thumbnails)
    assert len(every_page(engine, anna)) == 3


def test_filters_by_model_favourite_and_words_in_the_prompt(engine):
    anna = make_user(engine)
    [fox] = add_generation(engine, anna, "A red Fox at dawn", model="flux", minute=1)
    [ship] = add_generation(engine, anna, "a ship 100% wood_en", model="qwen", minute=2)
    gallery.set_favourite(engine, anna.id, ship.id, True)
    assert every_page(engine, anna, gallery.Filters(model="flux")) == [fox.id]
    assert every_page(engine, anna, gallery.Filters(favourites_only=True)) == [ship.id]
    assert every_page(engine, anna, gallery.Filters(text="fox DAWN")) == [fox.id]
    assert every_page(engine, anna, gallery.Filters(text="100%")) == [ship.id]
    assert every_page(engine, anna, gallery.Filters(text="_")) == [ship.id]
    assert gallery.models_used(engine, anna.id) == ["flux", "qwen"]


def test_lineage_names_what_an_image_was_made_from_and_what_was_made_from_it(engine):
    anna = make_user(engine)
    [parent] = add_generation(engine, anna, "parent", minute=1)
    reference = ReferenceImage(owner_id=anna.id, sha256="f" * 64, name="parent", source_image_id=parent.id)
    with session(engine) as db:
        db.add(reference)
        db.commit()
    [child] = add_generation(engine, anna, "child", minute=2, references=[reference])
    child_details = gallery.details(engine, anna.id, child.id)
    assert [r.id for r in child_details.references] == [reference.id]
    assert [i.id for i in child_details.made_from] == [parent.id]
    assert [i.id for i in gallery.details(engine, anna.id, parent.id).made_into] == [child.id]


def test_lineage_names_an_image_by_its_seed_only_where_one_was_sent(engine):
    from bildgen.state.lightbox import detail_view

    anna = make_user(engine)
    # Made on GPT-Image: its request carried no seed (jobs/queue.record_sent_settings).
    [parent] = add_generation(engine, anna, "parent", minute=1, spec=json.dumps({"sent": ["prompt", "size"]}))
    reference = ReferenceImage(owner_id=anna.id, sha256="f" * 64, name="parent", source_image_id=parent.id)
    with session(engine) as db:
        db.add(reference)
        db.commit()
    [child] = add_generation(engine, anna, "child", minute=2, references=[reference])
    assert [card.label for card in detail_view(gallery.details(engine, anna.id, child.id), "en").made_from] == [
        "image 1"
    ]
    assert [card.label for card in detail_view(gallery.details(engine, anna.id, parent.id), "en").made_into] == [
        "seed 0"
    ]


def test_deleting_removes_the_file_only_when_no_row_uses_it_any_more(engine, tmp_path):
    files, thumbnails = ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    anna = make_user(engine)
    sha = files.save(b"same picture twice")
    thumbnails.save_as(sha, b"thumb")
    first, second = add_generation(engine, anna, images=2, sha=sha)
    assert gallery.delete_image(engine, anna.id, first.id, files=files, thumbnails=thumbnails)
    assert files.path_for(sha).exists()
    assert gallery.delete_image(engine, anna.id, second.id, files=files, thumbnails=thumbnails)
    assert not files.path_for(sha).exists() and not thumbnails.path_for(sha).exists()
    assert every_page(engine, anna) == []
    assert not gallery.delete_image(engine, anna.id, second.id, files=files, thumbnails=thumbnails)


def test_a_model_has_one_name_its_label_and_the_served_id_only_where_no_label_was_kept(engine):
    anna = make_user(engine)
    labelled = make_generation(engine, anna, served_model="Qwen/Qwen-Image-2512", model_label="Qwen-Image 2512")
    older = make_generation(engine, anna, served_model="flux-2-dev")
    for generation in (labelled, older):
        with session(engine) as db:
            db.add(
                Image(
                    owner_id=anna.id, generation_id=generation.id, variant=0, seed=9, width=1, height=1, sha256="a" * 64
                )
            )
            db.commit()
    assert gallery.models_used(engine, anna.id) == ["Qwen-Image 2512", "flux-2-dev"]
    [image] = gallery.page(engine, anna.id, filters=gallery.Filters(model="Qwen-Image 2512")).items
    assert image[1].id == labelled.id
    assert saved_image(*image).filename.endswith("_9_qwen-image-2512.png")
