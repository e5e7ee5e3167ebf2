"""View-only links over HTTP, without any session: the page and every image check the link each time;
a link reaches no image of another board, another owner, or the owner's own others (IDOR)."""

import hashlib

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.admin import settings
from bildgen.auth import audit
from bildgen.boards import core as boards
from bildgen.boards import links
from bildgen.http import create_api
from bildgen.store import library
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, ViewLink
from tests.jobs import generate
from tests.unit.conftest import make_user


@pytest.fixture
def world(fresh_services):
    """Anna: a board "Campaign X" with one image, and a private image outside it; Bob: a board of his own."""
    services = fresh_services.get_services()
    engine = services.engine
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    shared = generate(services, anna, prompt="Blue Moon", seeds=[77]).images[0]
    private = generate(services, anna, prompt="My secret sketch", seeds=[5]).images[0]
    bobs = generate(services, bob, prompt="Bobs boat", seeds=[9]).images[0]
    board = boards.create(engine, anna.id, "Campaign X")
    boards.add_images(engine, anna.id, board.id, [shared.id])
    bobs_board = boards.create(engine, bob.id, "Bobs board")
    boards.add_images(engine, bob.id, bobs_board.id, [bobs.id])
    settings.update(engine, {"view_links_enabled": True}, actor_id=anna.id)
    token, summary = links.create(engine, anna.id, board_id=board.id, days=7)
    return services, anna, bob, board, token, summary, shared, private, bobs


def page_url(token: str, **query: str) -> str:
    return routes.VIEW_LINK_PAGE.format(token=token) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def image_url(token: str, image_id: str) -> str:
    return routes.VIEW_LINK_IMAGE.format(token=token, image_id=image_id)


def thumbnail_url(token: str, image_id: str) -> str:
    return routes.VIEW_LINK_THUMBNAIL.format(token=token, image_id=image_id)


def test_without_an_account_the_link_shows_the_board_its_large_view_and_recipe(world):
    services, anna, _, _, token, _, shared, private, _ = world
    client = TestClient(create_api())
    answer = client.get(page_url(token), headers={"accept-language": "en"})
    assert answer.status_code == 200 and "Campaign X" in answer.text and "Shared by anna" in answer.text
    assert thumbnail_url(token, shared.id) in answer.text and private.id not in answer.text
    assert answer.headers["cache-control"] == "no-store" and answer.headers["referrer-policy"] == "no-referrer"
    large = client.get(page_url(token, image=shared.id), headers={"accept-language": "en"})
    assert "Blue Moon" in large.text and "Seed" in large.text and "77" in large.text
    png = client.get(image_url(token, shared.id))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    stored = library.find_image(services.engine, shared.id, anna.id)[0]
    assert hashlib.sha256(png.content).hexdigest() == stored.sha256
    assert client.get(thumbnail_url(token, shared.id)).headers["content-type"] == "image/webp"
    # In German for a German browser.
    german = client.get(page_url(token), headers={"accept-language": "de-DE,de;q=0.9"})
    assert "Geteilt von anna" in german.text


def test_a_link_reaches_no_other_image_of_the_owner_nor_of_anyone_else(world):
    _, _, _, _, token, _, shared, private, bobs = world
    client = TestClient(create_api())
    for image in (private, bobs):
        assert client.get(image_url(token, image.id)).status_code == 404
        assert client.get(thumbnail_url(token, image.id)).status_code == 404
        large = client.get(page_url(token, image=image.id), headers={"accept-language": "en"})
        assert large.status_code == 404 and image.id not in large.text and "does not exist" in large.text
    assert client.get(image_url(token, "0" * 32)).status_code == 404
    assert client.get(image_url(token, "../" + shared.id)).status_code == 404


def test_another_boards_link_does_not_open_this_boards_images(world):
    services, _, bob, _, _, _, shared, _, bobs = world
    bobs_board = boards.boards_for(services.engine, bob.id)[0]
    bobs_token, _ = links.create(services.engine, bob.id, board_id=bobs_board.id, days=1)
    client = TestClient(create_api())
    assert client.get(image_url(bobs_token, bobs.id)).status_code == 200
    assert client.get(image_url(bobs_token, shared.id)).status_code == 404


def test_a_made_up_or_hashed_token_opens_nothing(world):
    services, _, _, _, token, _, shared, _, _ = world
    client = TestClient(create_api())
    for wrong in ("x" * 43, links.token_hash(token), "short"):
        answer = client.get(page_url(wrong), headers={"accept-language": "en"})
        assert answer.status_code == 404 and "does not exist" in answer.text
        assert client.get(image_url(wrong, shared.id)).status_code == 404


def test_revoked_expired_and_switched_off_links_get_a_clear_page_and_no_images(world):
    services, anna, _, board, token, summary, shared, _, _ = world
    client = TestClient(create_api())
    english = {"accept-language": "en"}
    settings.update(services.engine, {"view_links_enabled": False}, actor_id=anna.id)
    off = client.get(page_url(token), headers=english)
    assert off.status_code == 403 and "switched off" in off.text and "Traceback" not in off.text
    assert client.get(image_url(token, shared.id)).status_code == 403
    settings.update(services.engine, {"view_links_enabled": True}, actor_id=anna.id)
    assert client.get(image_url(token, shared.id)).status_code == 200

    assert links.revoke(services.engine, anna.id, summary.id)
    revoked = client.get(page_url(token), headers=english)
    assert revoked.status_code == 410 and "revoked" in revoked.text
    assert client.get(image_url(token, shared.id)).status_code == 410
    assert client.get(thumbnail_url(token, shared.id)).status_code == 410

    short_lived, made = links.create(services.engine, anna.id, board_id=board.id, days=1)
    with session(services.engine) as db:
        row = db.get(ViewLink, made.id)
        row.expires_at = row.created_at
        db.add(row)
        db.commit()
    expired = client.get(page_url(short_lived), headers={"accept-language": "de"})
    assert expired.status_code == 410 and "abgelaufen" in expired.text
    assert client.get(image_url(short_lived, shared.id)).status_code == 410


def test_opening_a_link_is_audited_with_repeats_counted(world):
    services, _, _, _, token, summary, shared, _, _ = world
    client = TestClient(create_api())
    client.get(page_url(token))
    client.get(image_url(token, shared.id))
    client.get(image_url(token, shared.id))
    with session(services.engine) as db:
        opened = db.exec(select(AuditEvent).where(AuditEvent.action == audit.VIEW_LINK_OPENED)).all()
    assert [(event.target, event.actor_id, event.times) for event in opened] == [(f"link {summary.id}", None, 3)]


def test_a_link_to_one_image_opens_its_large_view_and_no_other_image(world):
    services, anna, _, _, _, _, shared, private, _ = world
    token, _ = links.create(services.engine, anna.id, image_id=private.id, days=1)
    client = TestClient(create_api())
    answer = client.get(page_url(token), headers={"accept-language": "en"})
    assert (
        answer.status_code == 200 and "My secret sketch" in answer.text and image_url(token, private.id) in answer.text
    )
    assert client.get(image_url(token, private.id)).status_code == 200
    assert client.get(image_url(token, shared.id)).status_code == 404
    forged = client.get(page_url(token, image=shared.id), headers={"accept-language": "en"})
    assert "Blue Moon" not in forged.text and "My secret sketch" in forged.text
    assert image_url(token, shared.id) not in forged.text
