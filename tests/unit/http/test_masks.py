"""The mask painted in the browser: posted as a PNG to its reference's route, kept for its owner only."""

import io

import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from bildgen import routes
from bildgen.auth.audit import ACCESS_REFUSED
from bildgen.store import library
from bildgen.store.db import session
from bildgen.store.masks import MAX_MASK_BYTES
from bildgen.store.models import AuditEvent, EditMask
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for

ORIGIN = "http://127.0.0.1:3000"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def painting(size=(100, 75)) -> bytes:
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).rectangle((10, 10, 40, 40), fill=255)
    return png(image)


@pytest.fixture
def world(fresh_services):
    """Anna with a 200×150 reference; Bob with nothing."""
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    reference = library.add_reference(
        services.engine, services.references, owner_id=anna.id, png=png(Image.new("RGB", (200, 150))), name="r.png"
    )
    return services, anna, bob, reference


def post(client, reference_id: str, body: bytes, origin: str | None = ORIGIN):
    headers = {"content-type": "image/png", **({"origin": origin} if origin else {})}
    return client.post(routes.MASK_UPLOAD_ROUTE.format(reference_id=reference_id), content=body, headers=headers)


def masks(services) -> list[EditMask]:
    with session(services.engine) as db:
        return list(db.exec(select(EditMask)).all())


def test_the_owner_uploads_a_mask_and_gets_it_back_at_the_references_size(world):
    services, anna, _, reference = world
    client = client_for(services, anna)
    answer = post(client, reference.id, painting())
    assert answer.status_code == 200
    mask_id = answer.json()["id"]
    served = client.get(routes.MASK_ROUTE.format(mask_id=mask_id))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(served.content))
    assert (image.mode, image.size) == ("L", (200, 150))
    assert library.find_mask(services.engine, mask_id, anna.id).reference_id == reference.id


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not a picture at all", 422, "must be a PNG"),
        (painting((100, 100)), 422, "same proportions"),
        (png(Image.new("L", (100, 75), 0)), 422, "paint the area"),
        (b"\x89PNG" + b"\x00" * MAX_MASK_BYTES, 413, "larger than 5 MB"),
    ],
    ids=["not-png", "other-proportions", "nothing-painted", "too-large"],
)
def test_an_unusable_mask_gets_a_message_and_nothing_is_stored(world, body, status, words):
    services, anna, _, reference = world
    answer = post(client_for(services, anna), reference.id, body)
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert masks(services) == []


def test_another_users_reference_is_not_found_and_the_attempt_recorded(world):
    services, anna, bob, reference = world
    answer = post(client_for(services, bob), reference.id, painting())
    assert (answer.status_code, answer.text) == (404, "Not found")
    assert masks(services) == []
    with session(services.engine) as db:
        assert db.exec(select(AuditEvent.target).where(AuditEvent.action == ACCESS_REFUSED)).all() == [
            f"reference {reference.id}"
        ]


def test_a_mask_is_served_to_its_owner_only(world):
    services, anna, bob, reference = world
    mask_id = post(client_for(services, anna), reference.id, painting()).json()["id"]
    for client in (client_for(services, bob), client_for(services, None)):
        assert client.get(routes.MASK_ROUTE.format(mask_id=mask_id)).status_code == 404


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_posts_from_another_site_or_signed_out_are_refused(world, origin):
    services, anna, _, reference = world
    assert post(client_for(services, anna), reference.id, painting(), origin=origin).status_code == 403
    assert post(client_for(services, None), reference.id, painting()).status_code == 401
    assert masks(services) == []


def test_a_refusal_speaks_the_users_language(world):
    services, anna, _, reference = world
    from bildgen.auth import accounts

    accounts.set_language(services.engine, anna.id, "de")
    answer = post(client_for(services, anna), reference.id, painting((100, 100)))
    assert answer.status_code == 422
    assert "Seitenverhältnis" in answer.json()["error"]
