"""Schemathesis sends what the OpenAPI schema at /v1/openapi.json allows, and much that it does not
(positive and negative cases for every operation): no answer may be a 500 (a bug in bildgen), and
every refusal is in OpenAI's envelope. (A 502 says the image server failed: the demo renderer has
prompts it cannot draw.)

Driven through its Python API with Hypothesis rather than its pytest plugin, which does not run
under this project's pytest."""

import json
from urllib.parse import unquote

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from bildgen.api import app as api_app
from bildgen.auth import throttle

EXAMPLES_PER_OPERATION = 25


def no_bug_and_errors_in_the_envelope(response, case) -> None:
    assert response.status_code != 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    # A path with a line break (/v1/tasks/%0A) matches no Starlette route at all, bildgen's or Reflex's
    # mount around it: Starlette's own plain 404 answers before any of bildgen's code runs.
    if response.status_code >= 400 and not any(ord(char) < 32 for char in unquote(case.formatted_path)):
        try:
            error = json.loads(response.text)["error"]
        except ValueError:
            raise AssertionError(
                f"{case.method} {case.formatted_path}: {response.status_code} {response.headers} {response.text[:300]!r}"
            ) from None
        assert set(error) == {"message", "type", "param", "code"} and error["message"]


def test_no_request_the_schema_allows_or_not_meets_a_bug(bildgen, monkeypatch):
    # Schemathesis sends far more than 60 requests a minute with one token.
    monkeypatch.setattr(api_app, "API_REQUESTS", throttle.Bucket("api", capacity=100_000, refill_every_s=1))
    _, token = bildgen.user_and_token("fuzzer")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{bildgen.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} >= {
        "GET /models",
        "POST /images/generations",
        "POST /images/edits",
        "GET /tasks/{task_id}",
        "DELETE /tasks/{task_id}",
    }
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
            def no_server_error(case):
                no_bug_and_errors_in_the_envelope(case.call(base_url=bildgen.base_url, headers=headers), case)

            no_server_error()
