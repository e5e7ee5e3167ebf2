"""Expiring view-only links for someone without an account: off unless the administrator switches
them on; only the token's hash is stored; expiry, revocation and the switch are checked at every use;
a link shows its board's (or its one image's) images of the owner's and nothing else."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bildgen.admin import settings
from bildgen.auth import audit
from bildgen.boards import core as boards
from bildgen.boards import links, sharing
from bildgen.store import gallery
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.models import AuditEvent, BoardVisibility, User, ViewLink, utc_now
from tests.unit.conftest import make_user
from tests.unit.store.test_gallery import add_generation


def switch_links(engine, admin, on: bool) -> None:
    settings.update(engine, {"view_links_enabled": on}, actor_id=admin.id)


@pytest.fixture
def owner_with_board(engine):
    anna = make_user(engine, "anna")
    in_board = add_generation(engine, anna, "a lighthouse", images=2)
    elsewhere = add_generation(engine, anna, "a private sketch", minute=1)
    board = boards.create(engine, anna.id, "Campaign X")
    boards.add_images(engine, anna.id, board.id, [image.id for image in in_board])
    switch_links(engine, anna, True)
    return anna, board, in_board, elsewhere


def actions(engine):
    with session(engine) as db:
        return [event.action for event in db.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_links_are_off_until_an_administrator_switches_them_on_and_the_switch_is_audited(engine):
    anna = make_user(engine, "anna")
    board = boards.create(engine, anna.id, "Campaign X")
    assert settings.read(engine).view_links_enabled is False
    with pytest.raises(links.LinkRefused):
        links.create(engine, anna.id, board_id=board.id, days=7)
    switch_links(engine, anna, True)
    token, _ = links.create(engine, anna.id, board_id=board.id, days=7)
    assert isinstance(links.resolve(engine, token), links.OpenLink)
    # Switched off again: the link made while it was on opens nothing, at once.
    switch_links(engine, anna, False)
    assert links.resolve(engine, token) == links.Closed.SWITCHED_OFF
    assert actions(engine).count(audit.SETTINGS_CHANGED) == 2


def test_only_the_tokens_hash_is_stored_and_the_token_opens_the_board(engine, owner_with_board):
    anna, board, in_board, _ = owner_with_board
    token, summary = links.create(engine, anna.id, board_id=board.id, days=7)
    with session(engine) as db:
        row = db.get(ViewLink, summary.id)
    assert row.token_hash == links.token_hash(token) and token not in row.token_hash
    opened = links.resolve(engine, token)
    assert (opened.board_name, opened.owner_name) == ("Campaign X", "anna")
    assert links.resolve(engine, row.token_hash) == links.Closed.UNKNOWN  # the stored hash opens nothing
    assert links.resolve(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) == links.Closed.UNKNOWN
    assert actions(engine)[-1] == audit.VIEW_LINK_CREATED


def test_a_link_expires_after_its_lifetime(engine, owner_with_board):
    anna, board, _, _ = owner_with_board
    token, summary = links.create(engine, anna.id, board_id=board.id, days=1)
    assert summary.expires_at - summary.created_at == timedelta(days=1)
    assert isinstance(links.resolve(engine, token, now=utc_now() + timedelta(hours=23)), links.OpenLink)
    assert links.resolve(engine, token, now=utc_now() + timedelta(days=1, seconds=1)) == links.Closed.EXPIRED
    with pytest.raises(links.LinkRefused):
        links.create(engine, anna.id, board_id=board.id, days=365)


def test_revoking_stops_the_link_and_only_the_owner_can(engine, owner_with_board):
    anna, board, _, _ = owner_with_board
    bob = make_user(engine, "bob")
    token, summary = links.create(engine, anna.id, board_id=board.id, days=30)
    assert not links.revoke(engine, bob.id, summary.id)
    assert isinstance(links.resolve(engine, token), links.OpenLink)
    assert links.revoke(engine, anna.id, summary.id)
    assert links.resolve(engine, token) == links.Closed.REVOKED
    [listed] = links.links_of(engine, anna.id, board_id=board.id)
    assert listed.revoked and listed.id == summary.id
    assert links.links_of(engine, bob.id, board_id=board.id) == []
    assert actions(engine)[-1] == audit.VIEW_LINK_REVOKED


def test_a_link_shows_the_owners_images_of_its_board_and_nothing_else(engine, owner_with_board):
    anna, board, in_board, elsewhere = owner_with_board
    bob = make_user(engine, "bob")
    # Bob may add to Anna's board; his image there is his, not hers to hand out.
    sharing.share(engine, anna.id, board.id, "bob", can_add=True)
    [bobs] = add_generation(engine, bob, "bobs boat", minute=2)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) == 1
    token, _ = links.create(engine, anna.id, board_id=board.id, days=7)
    opened = links.resolve(engine, token)
    assert sorted(image.id for image in links.images(engine, opened)) == sorted(image.id for image in in_board)
    assert links.image(engine, opened, in_board[0].id) is not None
    assert links.image(engine, opened, elsewhere[0].id) is None
    assert links.image(engine, opened, bobs.id) is None


def test_a_link_to_one_image_shows_that_image_only(engine, owner_with_board):
    anna, _, in_board, elsewhere = owner_with_board
    bob = make_user(engine, "bob")
    assert links.create(engine, bob.id, image_id=elsewhere[0].id, days=7) is None  # not his image
    token, _ = links.create(engine, anna.id, image_id=elsewhere[0].id, days=7)
    opened = links.resolve(engine, token)
    assert [image.id for image in links.images(engine, opened)] == [elsewhere[0].id]
    assert links.image(engine, opened, in_board[0].id) is None


def set_disabled(engine, user_id: str, disabled: bool) -> None:
    with session(engine) as db:
        user = db.get(User, user_id)
        user.disabled = disabled
        db.add(user)
        db.commit()


def test_deleting_the_board_or_image_ends_its_links_and_a_disabled_owner_shares_nothing(
    engine, owner_with_board, tmp_path
):
    anna, board, _, elsewhere = owner_with_board
    board_token, _ = links.create(engine, anna.id, board_id=board.id, days=7)
    image_token, _ = links.create(engine, anna.id, image_id=elsewhere[0].id, days=7)
    set_disabled(engine, anna.id, True)
    assert links.resolve(engine, board_token) == links.Closed.UNKNOWN
    set_disabled(engine, anna.id, False)
    assert boards.delete(engine, anna.id, board.id)
    assert links.resolve(engine, board_token) == links.Closed.UNKNOWN
    files, thumbnails = ImageFiles(tmp_path / "images"), ImageFiles(tmp_path / "thumbnails", suffix=".webp")
    assert gallery.delete_image(engine, anna.id, elsewhere[0].id, files=files, thumbnails=thumbnails)
    assert links.resolve(engine, image_token) == links.Closed.UNKNOWN
    with session(engine) as db:
        assert db.exec(select(ViewLink)).all() == []


def test_board_visibility_is_untouched_by_links(engine, owner_with_board):
    anna, board, _, _ = owner_with_board
    links.create(engine, anna.id, board_id=board.id, days=7)
    [summary] = boards.boards_for(engine, anna.id)
    assert summary.visibility == BoardVisibility.PRIVATE
