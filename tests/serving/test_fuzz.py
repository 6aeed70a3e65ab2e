"""Fuzz the JSON API from its own OpenAPI schema: whatever arrives, never a 5xx.

Each operation gets a bounded number of generated requests (valid and invalid bodies, paths
and query strings), sent with a valid API key so they reach the handlers behind auth.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 20


def _fuzz(operation, api_key: str) -> set[int]:
    """Run the bounded examples for one operation; returns the status codes seen."""
    codes: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case) -> None:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {api_key}"}, checks=[not_a_server_error])
        codes.add(response.status_code)

    fuzz()
    return codes


def test_api_never_answers_with_a_server_error(app, api_key):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/conversations/score", "/v1/stats"}
    seen = {op.label: _fuzz(op, api_key) for op in operations}
    assert all(codes for codes in seen.values())
    assert any(code >= 400 for code in seen["POST /v1/conversations/score"])
    assert all(code < 500 for codes in seen.values() for code in codes)
