"""Boards: made, renamed, archived and deleted by their owner only; images in several boards; the
gallery filtered by board, paged by key; new images filed into the auto-add board wherever recorded."""

import asyncio
import dataclasses

import pytest
from sqlmodel import func, select

from bildgen.boards import core as boards
from bildgen.jobs import queue
from bildgen.store import gallery
from bildgen.store.db import session
from bildgen.store.models import BoardImage
from tests.jobs import generate, submission, wait_until_final
from tests.unit.conftest import make_user
from tests.unit.store.test_gallery import add_generation, every_page


def names(engine, user, **kwargs):
    return [(board.name, board.count) for board in boards.boards_for(engine, user.id, **kwargs)]


def test_a_user_makes_renames_archives_and_deletes_boards_with_counts(engine):
    anna = make_user(engine)
    images = add_generation(engine, anna, images=3)
    campaign, sketches = boards.create(engine, anna.id, "  Campaign   X "), boards.create(engine, anna.id, "Sketches")
    assert boards.add_images(engine, anna.id, campaign.id, [i.id for i in images]) == 3
    assert boards.add_images(engine, anna.id, campaign.id, [images[0].id]) == 0  # already in it
    assert boards.add_images(engine, anna.id, sketches.id, [images[0].id]) == 1  # in two boards at once
    assert names(engine, anna) == [("Campaign X", 3), ("Sketches", 1)]

    assert boards.rename(engine, anna.id, sketches.id, "Drafts")
    assert boards.set_archived(engine, anna.id, campaign.id, True)
    assert names(engine, anna) == [("Drafts", 1)]
    assert names(engine, anna, archived=True) == [("Campaign X", 3)]

    assert boards.delete(engine, anna.id, campaign.id)
    assert names(engine, anna, archived=True) == []
    assert len(every_page(engine, anna)) == 3  # the images stay


def test_a_board_needs_a_name(engine):
    anna = make_user(engine)
    with pytest.raises(boards.BoardRefused):
        boards.create(engine, anna.id, "   ")


def test_nobody_changes_or_fills_anyone_elses_board(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    board = boards.create(engine, anna.id, "Mine")
    [bobs] = add_generation(engine, bob, minute=1)
    assert not boards.rename(engine, bob.id, board.id, "Ha")
    assert not boards.set_archived(engine, bob.id, board.id, True)
    assert not boards.set_auto_add(engine, bob.id, board.id)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) is None
    assert not boards.delete(engine, bob.id, board.id)
    assert names(engine, anna) == [("Mine", 0)]
    assert names(engine, bob) == []


def test_only_the_own_images_go_into_a_board(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    [annas] = add_generation(engine, anna)
    [bobs] = add_generation(engine, bob, minute=1)
    board = boards.create(engine, anna.id, "Mine")
    assert boards.add_images(engine, anna.id, board.id, [annas.id, bobs.id]) == 1
    assert every_page(engine, anna, gallery.Filters(board_id=board.id)) == [annas.id]


def test_the_gallery_filtered_by_board_pages_by_key_newest_first(engine):
    anna = make_user(engine)
    made = [image for minute in range(6) for image in add_generation(engine, anna, images=2, minute=minute)]
    board = boards.create(engine, anna.id, "Half")
    chosen = made[::2]
    boards.add_images(engine, anna.id, board.id, [image.id for image in chosen])
    expected = [i.id for i in sorted(chosen, key=lambda image: (image.created_at, image.id), reverse=True)]
    assert every_page(engine, anna, gallery.Filters(board_id=board.id), limit=2) == expected
    favourite = chosen[0]
    gallery.set_favourite(engine, anna.id, favourite.id, True)
    assert every_page(engine, anna, gallery.Filters(board_id=board.id, favourites_only=True)) == [favourite.id]


def test_moving_takes_images_out_of_the_other_boards(engine):
    anna = make_user(engine)
    images = add_generation(engine, anna, images=2)
    inbox, done = boards.create(engine, anna.id, "Inbox"), boards.create(engine, anna.id, "Done")
    boards.add_images(engine, anna.id, inbox.id, [image.id for image in images])
    assert boards.move_images(engine, anna.id, done.id, [images[0].id], from_board_id=inbox.id) == 1
    assert names(engine, anna) == [("Done", 1), ("Inbox", 1)]
    boards.move_images(engine, anna.id, done.id, [images[1].id])
    assert names(engine, anna) == [("Done", 2), ("Inbox", 0)]


def test_the_lightbox_sets_an_images_boards(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    [image] = add_generation(engine, anna)
    first, second = boards.create(engine, anna.id, "First"), boards.create(engine, anna.id, "Second")
    assert boards.set_image_boards(engine, anna.id, image.id, [first.id, second.id])
    assert sorted(boards.boards_of_image(engine, anna.id, image.id)) == sorted([first.id, second.id])
    assert boards.set_image_boards(engine, anna.id, image.id, [second.id])
    assert boards.boards_of_image(engine, anna.id, image.id) == [second.id]
    assert not boards.set_image_boards(engine, bob.id, image.id, [])
    assert boards.boards_of_image(engine, anna.id, image.id) == [second.id]


def test_deleting_an_image_takes_it_out_of_every_board(engine, tmp_path):
    from bildgen.store.files import ImageFiles

    anna = make_user(engine)
    [image] = add_generation(engine, anna)
    for name in ("One", "Two"):
        boards.add_images(engine, anna.id, boards.create(engine, anna.id, name).id, [image.id])
    files, thumbnails = ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    assert gallery.delete_image(engine, anna.id, image.id, files=files, thumbnails=thumbnails)
    with session(engine) as db:
        assert db.exec(select(func.count()).select_from(BoardImage)).one() == 0
    assert names(engine, anna) == [("One", 0), ("Two", 0)]


def test_new_images_go_to_the_auto_add_board_or_the_board_their_request_named(fresh_services):
    services = fresh_services.get_services()
    anna = make_user(services.engine)
    campaign, other = (
        boards.create(services.engine, anna.id, "Campaign X"),
        boards.create(services.engine, anna.id, "B"),
    )
    generate(services, anna, prompt="before", seeds=[1])  # no auto-add board yet: in no board
    assert boards.set_auto_add(services.engine, anna.id, campaign.id)
    generate(services, anna, prompt="after", seeds=[2, 3])
    assert names(services.engine, anna) == [("B", 0), ("Campaign X", 2)]

    # A request that names a board (the API's `board`) goes there instead.
    async def named_board():
        async with services.runner.running():
            request = dataclasses.replace(
                submission(anna, services.catalog.default, prompt="named", seeds=[4]), board_id=other.id
            )
            job_id = queue.submit(services.engine, request)
            services.runner.wake()
            await wait_until_final(services.engine, job_id, anna.id)

    asyncio.run(named_board())
    assert names(services.engine, anna) == [("B", 1), ("Campaign X", 2)]


def test_a_boards_page_is_read_by_key_on_the_boards_own_index(engine):
    """50k images stay fast: the board's page walks ix_boardimage_board_created_image, not every image."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan asked of SQLite; PostgreSQL's depends on its statistics")
    from sqlalchemy.dialects import sqlite

    anna = make_user(engine)
    board = boards.create(engine, anna.id, "B")
    captured = []
    original = session

    def spying_session(bound):
        db = original(bound)
        real_exec = db.exec

        def exec_(statement, *args, **kwargs):
            captured.append(statement)
            return real_exec(statement, *args, **kwargs)

        db.exec = exec_
        return db

    gallery.session = spying_session
    try:
        gallery.page(engine, anna.id, filters=gallery.Filters(board_id=board.id))
    finally:
        gallery.session = original
    compiled = captured[0].compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_boardimage_board_created_image" in plan
