import asyncio
import hashlib
import re

import pytest
from starlette.testclient import TestClient

from bildgen.http import create_api
from bildgen.jobs import Recipe
from bildgen.params import effective


@pytest.fixture
def saved(fresh_services):
    services = fresh_services.get_services()
    profile = services.catalog.default

    async def generate():
        recipe = Recipe(prompt="Blue Moon", profile_id=profile.id, parameters=effective(profile.traits()), seeds=[77])
        running = await services.generator.start(recipe, profile.endpoint())
        return (await running.variants[0]).image

    return services, asyncio.run(generate())


def test_an_image_is_served_as_the_stored_png(saved):
    services, image = saved
    response = TestClient(create_api()).get(f"/_upload/private/images/{image.id}.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    row = services.generator.find_image(image.id)[0]
    assert hashlib.sha256(response.content).hexdigest() == row.sha256
    assert "content-disposition" not in response.headers


def test_download_adds_the_descriptive_filename(saved):
    _, image = saved
    response = TestClient(create_api()).get(f"/_upload/private/images/{image.id}.png?download=1")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert re.search(r'filename="\d{8}-\d{6}_blue-moon_77_bildgen-demo\.png"', disposition)


@pytest.mark.parametrize("image_id", ["0" * 32, "not-an-id", "..%2F..%2Fbildgen.db"])
def test_unknown_and_malformed_ids_are_not_found(fresh_services, image_id):
    response = TestClient(create_api()).get(f"/_upload/private/images/{image_id}.png")
    assert response.status_code == 404
