"""Schemathesis sends what the OpenAPI schema at /v1/openapi.json allows, and much that it does not
(positive and negative cases for every operation): no answer may be a server error.

Driven through its Python API with Hypothesis rather than its pytest plugin, which does not run
under this project's pytest."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from bildgen.api import app as api_app
from bildgen.auth import throttle

EXAMPLES_PER_OPERATION = 25


def test_no_request_the_schema_allows_or_not_gets_a_server_error(bildgen, monkeypatch):
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
                case.call_and_validate(base_url=bildgen.base_url, headers=headers, checks=[not_a_server_error])

            no_server_error()
