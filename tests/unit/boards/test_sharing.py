"""Sharing a board inside the organisation: private, named people (view, or view + add), everyone
signed in. Checked on the server, audited; nobody reaches a board or image not shared with them."""

import pytest
from sqlmodel import select

from bildgen.auth import audit
from bildgen.boards import core as boards
from bildgen.boards import sharing
from bildgen.store import gallery
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, BoardVisibility
from tests.unit.conftest import make_user
from tests.unit.store.test_gallery import add_generation, every_page


@pytest.fixture
def team(engine):
    anna, bob, cleo = make_user(engine, "anna"), make_user(engine, "bob"), make_user(engine, "cleo")
    images = add_generation(engine, anna, "a lighthouse", images=2)
    board = boards.create(engine, anna.id, "Campaign X")
    boards.add_images(engine, anna.id, board.id, [image.id for image in images])
    return anna, bob, cleo, board, images


def actions(engine):
    with session(engine) as db:
        return [(event.action, event.actor_id) for event in db.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_private_board_and_its_images_stay_the_owners(engine, team):
    anna, bob, _, board, images = team
    assert every_page(engine, bob, gallery.Filters(board_id=board.id)) == []
    assert sharing.viewable_board(engine, bob.id, board.id) is None
    assert sharing.viewable_image(engine, bob.id, images[0].id) is None
    assert [b.name for b in boards.boards_for(engine, bob.id)] == []
    assert sharing.viewable_image(engine, anna.id, images[0].id) is not None


def test_shared_with_one_person_for_viewing(engine, team):
    anna, bob, cleo, board, images = team
    member = sharing.share(engine, anna.id, board.id, " Bob ", can_add=False)
    assert (member.username, member.can_add) == ("bob", False)
    assert sorted(every_page(engine, bob, gallery.Filters(board_id=board.id))) == sorted(i.id for i in images)
    [seen] = boards.boards_for(engine, bob.id)
    assert (seen.name, seen.owner_name, seen.mine, seen.can_add, seen.count) == ("Campaign X", "anna", False, False, 2)
    assert sharing.viewable_image(engine, bob.id, images[0].id) is not None
    # Cleo was not named; Bob may look but not add, nor change Anna's board.
    assert sharing.viewable_image(engine, cleo.id, images[0].id) is None
    [bobs] = add_generation(engine, bob, minute=1)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) is None
    assert boards.remove_images(engine, bob.id, board.id, [images[0].id]) is None
    assert not boards.rename(engine, bob.id, board.id, "mine now")
    # Nor favourite or delete her images: those stay owner-only.
    assert not gallery.set_favourite(engine, bob.id, images[0].id, True)
    assert gallery.details(engine, bob.id, images[0].id) is None

    assert sharing.unshare(engine, anna.id, board.id, bob.id)
    assert sharing.viewable_image(engine, bob.id, images[0].id) is None
    assert every_page(engine, bob, gallery.Filters(board_id=board.id)) == []
    assert actions(engine) == [(audit.BOARD_SHARED, anna.id), (audit.BOARD_UNSHARED, anna.id)]


def test_view_and_add_lets_a_colleague_add_their_own_images_only(engine, team):
    anna, bob, _, board, images = team
    sharing.share(engine, anna.id, board.id, "bob", can_add=True)
    [bobs] = add_generation(engine, bob, "bobs ship", minute=5)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) == 1
    assert every_page(engine, anna, gallery.Filters(board_id=board.id))[0] == bobs.id
    # He takes his own image out again, never Anna's.
    assert boards.remove_images(engine, bob.id, board.id, [images[0].id]) == 0
    assert boards.remove_images(engine, bob.id, board.id, [bobs.id]) == 1


def test_visible_to_everyone_signed_in(engine, team):
    anna, bob, cleo, board, images = team
    assert sharing.set_visibility(engine, anna.id, board.id, BoardVisibility.EVERYONE)
    for person in (bob, cleo):
        assert sharing.viewable_image(engine, person.id, images[1].id) is not None
        assert boards.add_images(engine, person.id, board.id, []) is None  # viewing only
    assert sharing.set_visibility(engine, anna.id, board.id, BoardVisibility.PRIVATE)
    assert sharing.viewable_image(engine, cleo.id, images[1].id) is None


def test_only_the_owner_shares_and_unshares(engine, team):
    anna, bob, cleo, board, _ = team
    assert sharing.share(engine, bob.id, board.id, "cleo", can_add=True) is None
    assert not sharing.set_visibility(engine, bob.id, board.id, BoardVisibility.EVERYONE)
    sharing.share(engine, anna.id, board.id, "cleo", can_add=False)
    assert not sharing.unshare(engine, bob.id, board.id, cleo.id)
    assert sharing.members(engine, bob.id, board.id) == []
    assert [m.username for m in sharing.members(engine, anna.id, board.id)] == ["cleo"]
    with pytest.raises(sharing.ShareRefused):
        sharing.share(engine, anna.id, board.id, "nobody", can_add=False)
    with pytest.raises(sharing.ShareRefused):
        sharing.share(engine, anna.id, board.id, "anna", can_add=False)
