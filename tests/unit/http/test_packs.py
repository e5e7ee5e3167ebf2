"""A pack's JSON is served to its owner, and to everyone once shared; otherwise the same 404."""

import pytest
from starlette.testclient import TestClient

from bildgen import routes
from bildgen.auth import sessions
from bildgen.batches import packs
from bildgen.batches.items import BatchItem, ItemFields
from bildgen.http import create_api
from tests.unit.conftest import make_user


def client_for(services, user) -> TestClient:
    client = TestClient(create_api())
    if user is not None:
        client.cookies.set(sessions.COOKIE_NAME, sessions.start(services.engine, user.id))
    return client


@pytest.fixture
def world(fresh_services):
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    pack_id = packs.save(
        services.engine, owner_id=anna.id, name="Über Tiere", items=[BatchItem("a fox")], defaults=ItemFields(steps="9")
    )
    return services, anna, bob, pack_id


def test_the_owner_downloads_the_pack_as_the_flow_documents_json(world):
    services, anna, _, pack_id = world
    response = client_for(services, anna).get(routes.PACK_EXPORT_ROUTE.format(pack_id=pack_id))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="uber-tiere.json"'
    document = response.json()
    assert document["name"] == "Über Tiere" and document["steps"] == 9
    assert document["images"][0]["prompt"] == "a fox" and isinstance(document["images"][0]["seed"], int)


def test_others_get_a_404_until_it_is_shared(world):
    services, anna, bob, pack_id = world
    url = routes.PACK_EXPORT_ROUTE.format(pack_id=pack_id)
    assert client_for(services, bob).get(url).status_code == 404
    assert client_for(services, None).get(url).status_code == 404
    assert client_for(services, anna).get(routes.PACK_EXPORT_ROUTE.format(pack_id="../etc")).status_code == 404
    packs.set_shared(services.engine, pack_id, owner_id=anna.id, shared=True)
    assert client_for(services, bob).get(url).status_code == 200
    assert client_for(services, None).get(url).status_code == 404
