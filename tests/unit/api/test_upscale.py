"""POST /v1/images/upscale: bildgen's extension, the studio's use case behind the API's answers and tasks."""

import base64
import io

from PIL import Image

from bildgen.store import gallery
from tests.unit.api.conftest import SMALL
from tests.unit.api.test_tasks import is_final, poll


def size_of(b64: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        return image.size


def test_an_image_from_an_earlier_answer_comes_back_four_times_larger_with_its_lineage(bildgen):
    anna, token = bildgen.user_and_token("anna")
    source = bildgen.sdk(token).images.generate(model="demo", prompt="a harbour", size=SMALL).data[0]

    with bildgen.http(token) as client:
        answer = client.post("images/upscale", json={"image": source.id, "scale": 4})

    assert answer.status_code == 200, answer.text
    [item] = answer.json()["data"]
    assert size_of(item["b64_json"]) == (1024, 1024)
    found = gallery.details(bildgen.services.engine, anna.id, item["id"])
    assert [image.id for image in found.made_from] == [source.id]
    assert found.generation.mode == "upscale"


def test_an_async_upscale_is_a_task_to_poll(bildgen):
    _, token = bildgen.user_and_token("anna")
    source = bildgen.sdk(token).images.generate(model="demo", prompt="a harbour", size=SMALL).data[0]
    with bildgen.http(token) as client:
        answer = client.post("images/upscale", json={"image": source.id, "scale": 2, "async": True})
        assert answer.status_code == 202, answer.text
        task = poll(client, answer.headers["Location"], is_final)
    assert task["status"] == "done", task
    assert size_of(task["result"]["data"][0]["b64_json"]) == (512, 512)


def test_someone_elses_image_is_not_found_and_a_too_large_upscale_names_the_limit(bildgen):
    _, anna_token = bildgen.user_and_token("anna")
    _, bert_token = bildgen.user_and_token("bert")
    source = bildgen.sdk(anna_token).images.generate(model="demo", prompt="a harbour", size="2048x2048").data[0]
    with bildgen.http(bert_token) as client:
        foreign = client.post("images/upscale", json={"image": source.id, "scale": 2})
    assert foreign.status_code == 404
    assert (foreign.json()["error"]["code"], foreign.json()["error"]["param"]) == ("not_found", "image")
    with bildgen.http(anna_token) as client:
        too_large = client.post("images/upscale", json={"image": source.id, "scale": 4})
        bad_scale = client.post("images/upscale", json={"image": source.id, "scale": 3})
    # A Refusal naming the field, mapped like every other: 400 with param "scale".
    assert too_large.status_code == 400
    assert (too_large.json()["error"]["code"], too_large.json()["error"]["param"]) == ("invalid_value", "scale")
    assert "4096 pixels a side" in too_large.json()["error"]["message"]
    assert bad_scale.status_code == 400


def test_upscalers_are_not_listed_as_models_to_generate_with(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        ids = [model["id"] for model in client.get("models").json()["data"]]
    assert "demo-upscaler" not in ids and "demo" in ids
