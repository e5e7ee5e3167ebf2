"""Images and references are served to their owner only; every other case is the same 404."""

import hashlib
import re

import pytest
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.auth import sessions
from bildgen.http import create_api
from bildgen.store import library
from tests.jobs import generate
from tests.unit.conftest import make_user


@pytest.fixture
def world(fresh_services):
    """Anna with one generated image and one reference; Bob with nothing."""
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")

    image = generate(services, anna, prompt="Blue Moon", seeds=[77]).images[0]  # thumbnails included
    reference = library.add_reference(
        services.engine, services.references, owner_id=anna.id, png=b"\x89PNG\r\n\x1a\nref", name="r.png"
    )
    return services, anna, bob, image, reference


def client_for(services, user) -> TestClient:
    client = TestClient(create_api())
    if user is not None:
        client.cookies.set(sessions.COOKIE_NAME, sessions.start(services.engine, user.id))
    return client


def image_url(image_id: str, download: bool = False) -> str:
    return routes.IMAGE_ROUTE.format(image_id=image_id) + ("?download=1" if download else "")


def test_the_owner_gets_the_stored_png(world):
    services, anna, _, image, _ = world
    response = client_for(services, anna).get(image_url(image.id))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    stored = library.find_image(services.engine, image.id, anna.id)[0]
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256
    assert "public" not in response.headers["cache-control"]


def test_download_adds_the_descriptive_filename(world):
    services, anna, _, image, _ = world
    disposition = client_for(services, anna).get(image_url(image.id, download=True)).headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert re.search(r'filename="\d{8}-\d{6}_blue-moon_77_bildgen-demo\.png"', disposition)


@pytest.mark.parametrize("who", ["bob", "nobody", "revoked"])
def test_anyone_but_the_owner_gets_the_same_404_as_for_a_missing_image(world, who):
    services, anna, bob, image, reference = world
    if who == "bob":
        client = client_for(services, bob)
    elif who == "nobody":
        client = client_for(services, None)
    else:
        client = client_for(services, anna)
        sessions.end(services.engine, client.cookies.get(sessions.COOKIE_NAME))
    missing = client_for(services, anna).get(image_url("0" * 32))
    for url in (
        image_url(image.id),
        image_url(image.id, download=True),
        routes.THUMBNAIL_ROUTE.format(image_id=image.id),
        routes.REFERENCE_ROUTE.format(reference_id=reference.id),
    ):
        response = client.get(url)
        assert (response.status_code, response.text) == (missing.status_code, missing.text) == (404, "Not found")


def test_references_are_served_to_their_owner(world):
    services, anna, _, _, reference = world
    response = client_for(services, anna).get(routes.REFERENCE_ROUTE.format(reference_id=reference.id))
    assert (response.status_code, response.content) == (200, b"\x89PNG\r\n\x1a\nref")


@pytest.mark.parametrize("image_id", ["not-an-id", "..%2F..%2Fbildgen.db"])
def test_malformed_ids_are_not_found(world, image_id):
    services, anna, *_ = world
    assert client_for(services, anna).get(image_url(image_id)).status_code == 404


def test_image_folders_lie_outside_reflexs_public_upload_folder(world):
    from reflex_components_core.core.upload import get_upload_dir  # only this test needs Reflex

    services, *_ = world
    public = get_upload_dir().resolve()
    for folder in (services.settings.images_dir, services.settings.references_dir):
        assert folder.is_dir()
        assert public != folder.resolve() and public not in folder.resolve().parents


def test_the_owner_gets_the_webp_thumbnail(world):
    services, anna, _, image, _ = world
    response = client_for(services, anna).get(routes.THUMBNAIL_ROUTE.format(image_id=image.id))
    assert (response.status_code, response.headers["content-type"], response.content[8:12]) == (
        200,
        "image/webp",
        b"WEBP",
    )


def test_a_thumbnail_lost_in_a_crash_is_made_again_when_asked_for(world):
    services, anna, _, image, _ = world
    stored = library.find_image(services.engine, image.id, anna.id)[0]
    services.thumbnails.path_for(stored.sha256).unlink()
    response = client_for(services, anna).get(routes.THUMBNAIL_ROUTE.format(image_id=image.id))
    assert (response.status_code, response.content[8:12]) == (200, b"WEBP")


def test_an_oversized_upload_is_refused_before_it_is_read(fresh_services):
    from bildgen.http.limits import MAX_UPLOAD_BYTES

    client = TestClient(create_api())
    headers = {"content-length": str(MAX_UPLOAD_BYTES + 1), "content-type": "multipart/form-data; boundary=x"}
    response = client.post("/_upload", content=b"--x--", headers=headers)
    assert response.status_code == 413
