import asyncio

from bildgen.jobs import Recipe
from bildgen.params import effective
from tests.unit.conftest import make_user


def test_without_a_config_file_the_embedded_demo_server_answers_over_http(fresh_services):
    services = fresh_services.get_services()
    profile = services.catalog.default
    assert services.demo_server is not None
    assert profile.endpoint().base_url == services.demo_server.base_url
    assert profile.endpoint().base_url.startswith("http://127.0.0.1:")

    async def generate():
        owner = make_user(services.engine)
        recipe = Recipe(
            owner_id=owner.id, prompt="hello", profile_id=profile.id, parameters=effective(profile.traits()), seeds=[1]
        )
        running = await services.generator.start(recipe, profile.endpoint())
        return await running.variants[0]

    outcome = asyncio.run(generate())
    assert outcome.image is not None
    assert [entry["path"] for entry in services.demo_server.app.state.log.entries][-1] == "/v1/images/generations"
