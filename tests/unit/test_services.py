from bildgen.store.models import GenerationStatus
from tests.jobs import generate
from tests.unit.conftest import make_user


def test_without_a_config_file_the_embedded_demo_server_answers_over_http(fresh_services):
    services = fresh_services.get_services()
    profile = services.catalog.default
    assert services.demo_server is not None
    assert profile.endpoint().base_url == services.demo_server.base_url
    assert profile.endpoint().base_url.startswith("http://127.0.0.1:")

    job = generate(services, make_user(services.engine), prompt="hello")
    assert job.status == GenerationStatus.DONE and len(job.images) == 1
    assert [entry["path"] for entry in services.demo_server.app.state.log.entries][-1] == "/v1/images/generations"
