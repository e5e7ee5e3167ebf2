"""Download as ZIP, and images on shared boards over HTTP: checked on the server for every request."""

import hashlib
import io
import json
import re
import zipfile

import pytest
from sqlmodel import select

from bildgen import routes
from bildgen.auth import audit
from bildgen.boards import core as boards
from bildgen.boards import sharing
from bildgen.store import library, metadata
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, Image
from tests.jobs import generate
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for, image_url


@pytest.fixture
def world(fresh_services):
    """Anna's board "Campaign X" with two images of one download name (prompt, seed, second)."""
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    images = [generate(services, anna, prompt="Blue Moon", seeds=[77]).images[0] for _ in range(2)]
    generate(services, anna, prompt="not on the board", seeds=[5])
    with session(services.engine) as db:  # made in the same second: the same download name
        first, second = (db.get(Image, image.id) for image in images)
        second.created_at = first.created_at
        db.add(second)
        db.commit()
    board = boards.create(services.engine, anna.id, "Campaign X")
    boards.add_images(services.engine, anna.id, board.id, [image.id for image in images])
    return services, anna, bob, board, images


def zip_of(client, **query):
    response = client.get(routes.ZIP_ROUTE, params=query)
    assert response.status_code == 200, response.text
    return response, zipfile.ZipFile(io.BytesIO(response.content))


def audit_actions(services):
    with session(services.engine) as db:
        return [(e.action, e.actor_id, e.target) for e in db.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_board_downloads_as_a_zip_named_like_single_downloads_with_the_recipes(world):
    services, anna, _, board, images = world
    client = client_for(services, anna)
    response, archive = zip_of(client, board=board.id)
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="campaign-x.zip"' in response.headers["content-disposition"]
    single = re.search(
        r'filename="(.+)"', client.get(image_url(images[0].id, download=True)).headers["content-disposition"]
    )[1]
    stem = single.removesuffix(".png")
    assert sorted(archive.namelist()) == sorted([single, f"{stem}-2.png", "recipes.json"])
    stored = {library.find_image(services.engine, image.id, anna.id)[0].sha256 for image in images}
    assert {hashlib.sha256(archive.read(name)).hexdigest() for name in (single, f"{stem}-2.png")} == stored
    # The PNGs keep their recipe chunks; recipes.json lists them by file name besides.
    assert metadata.read(archive.read(single)).prompt == "Blue Moon"
    recipes = json.loads(archive.read("recipes.json"))
    assert (recipes[single]["prompt"], recipes[single]["seed"]) == ("Blue Moon", 77)


def test_a_selection_zips_only_the_users_own_ids(world):
    services, anna, bob, _, images = world
    _, archive = zip_of(client_for(services, anna), ids=f"{images[0].id},{'0' * 32},not-an-id")
    assert len(archive.namelist()) == 2  # one image and recipes.json
    # Bob naming Anna's ids gets an empty ZIP: nothing of hers.
    _, archive = zip_of(client_for(services, bob), ids=",".join(image.id for image in images))
    assert archive.namelist() == ["recipes.json"]


def test_someone_elses_private_board_is_a_404_and_audited(world):
    services, anna, bob, board, images = world
    response = client_for(services, bob).get(routes.ZIP_ROUTE, params={"board": board.id})
    assert (response.status_code, response.text) == (404, "Not found")
    assert client_for(services, None).get(routes.ZIP_ROUTE, params={"board": board.id}).status_code == 404
    assert (audit.ACCESS_REFUSED, bob.id, f"board {board.id}") in audit_actions(services)
    for url in (image_url(images[0].id), routes.THUMBNAIL_ROUTE.format(image_id=images[0].id)):
        assert client_for(services, bob).get(url).status_code == 404


def test_a_shared_board_opens_to_its_member_until_unshared(world):
    services, anna, bob, board, images = world
    sharing.share(services.engine, anna.id, board.id, "bob", can_add=False)
    client = client_for(services, bob)
    assert client.get(image_url(images[0].id)).status_code == 200
    assert client.get(routes.THUMBNAIL_ROUTE.format(image_id=images[0].id)).status_code == 200
    _, archive = zip_of(client, board=board.id)
    assert len(archive.namelist()) == 3
    # Her image that is on no shared board stays hers.
    _, archive = zip_of(client)
    assert archive.namelist() == ["recipes.json"]
    assert (audit.SHARED_IMAGE_VIEWED, bob.id, f"image {images[0].id}") in audit_actions(services)

    sharing.unshare(services.engine, anna.id, board.id, bob.id)
    assert client.get(image_url(images[0].id)).status_code == 404
    assert client.get(routes.ZIP_ROUTE, params={"board": board.id}).status_code == 404
