"""Downloads carry the marks as bildgen's services build them; a download without metadata exists only
while the administrator allows it, only for the owner, and is recorded in the audit log."""

import io

import pytest
from PIL import Image, ImageChops
from sqlmodel import select

from bildgen.auth import audit
from bildgen.provenance import settings as provenance_settings
from bildgen.provenance.verify import State, verify
from bildgen.store import metadata
from bildgen.store.db import session
from bildgen.store.models import AuditEvent
from tests.jobs import generate
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for, image_url


@pytest.fixture
def world(fresh_services):
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    image = generate(services, anna, prompt="a harbour crane", seeds=[5]).images[0]
    return services, anna, bob, image


def plain_url(image_id: str) -> str:
    return image_url(image_id) + "?download=plain"


def plain_downloads(services) -> list[AuditEvent]:
    with session(services.engine) as db:
        return db.exec(select(AuditEvent).where(AuditEvent.action == audit.PLAIN_DOWNLOAD)).all()


def test_a_download_is_signed_with_the_test_certificate_and_keeps_its_recipe(world):
    services, anna, _, image = world
    data = client_for(services, anna).get(image_url(image.id, download=True)).content
    verdict = verify(data)
    assert verdict.state is State.VALID and verdict.test_certificate
    assert metadata.read(data).prompt == "a harbour crane"
    assert b"trainedAlgorithmicMedia" in data


def test_a_download_without_metadata_only_while_the_administrator_allows_it_and_audited(world):
    services, anna, bob, image = world
    assert client_for(services, anna).get(plain_url(image.id)).status_code == 403
    assert plain_downloads(services) == []

    provenance_settings.update(services.engine, {"allow_plain_download": True}, actor_id=anna.id)
    assert client_for(services, bob).get(plain_url(image.id)).status_code == 404  # not his image
    response = client_for(services, anna).get(plain_url(image.id))

    assert response.status_code == 200
    plain = response.content
    signed = client_for(services, anna).get(image_url(image.id)).content
    assert verify(plain).state is State.NONE
    assert metadata.read(plain) is None
    assert b"trainedAlgorithmicMedia" not in plain
    # The same pixels.
    assert ImageChops.difference(Image.open(io.BytesIO(plain)), Image.open(io.BytesIO(signed))).getbbox() is None
    [event] = plain_downloads(services)
    assert (event.actor_id, event.target) == (anna.id, image.id)
