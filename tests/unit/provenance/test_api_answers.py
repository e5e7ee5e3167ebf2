"""A `/v1` answer carries the same marks as a download: an OpenAI SDK client gets a signed PNG."""

import base64

from bildgen.provenance.verify import State, verify
from bildgen.store import metadata
from tests.unit.api.conftest import bildgen  # noqa: F401  (the fixture: bildgen's /v1 on a port of its own)


def test_a_b64_json_answer_is_signed_and_marked_as_made_by_ai(bildgen):  # noqa: F811
    _anna, token = bildgen.user_and_token("anna")
    answer = bildgen.sdk(token).images.generate(
        model="demo", prompt="a signed answer", size="256x256", response_format="b64_json"
    )
    data = base64.b64decode(answer.data[0].b64_json)
    verdict = verify(data)
    assert verdict.state is State.VALID and verdict.made_with.startswith("bildgen ")
    assert b"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" in data
    assert metadata.read(data).prompt == "a signed answer"
