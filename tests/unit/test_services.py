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


def test_only_profiles_served_by_the_embedded_demo_are_labelled_demo(fresh_services):
    """A real model an administrator adds beside the demo is not "Demo renderer — no AI model connected"."""
    services = fresh_services.get_services()
    demo = services.catalog.default
    real = demo.model_copy(update={"id": "real", "base_url": "http://127.0.0.1:9/v1"})
    elsewhere = demo.model_copy(update={"id": "x", "base_url": f"{services.demo_server.origin}0/v1"})
    assert services.runs_embedded_demo(demo)
    assert not services.runs_embedded_demo(real)
    assert not services.runs_embedded_demo(elsewhere)  # another port that starts with the same digits
