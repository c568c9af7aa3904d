"""Schemathesis against the live `/openapi.json`: no 5xx, and every response matches its schema.

Bounded: a few examples per operation, as a user with raised limits (so 429s do not hide the rest).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.api.conftest import REGISTERED, raise_limits, register

MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def fuzz_schema(stack, api_server):
    import httpx

    with httpx.Client(base_url=api_server.url, timeout=10) as http:
        user = raise_limits(stack, register(http), http)
    schema = schemathesis.openapi.from_url(f"{api_server.url}/openapi.json")
    return schema, {"Authorization": f"Bearer {user.token}"}


def test_api_fuzz_finds_no_server_error_and_no_schema_violation(fuzz_schema):
    schema, headers = fuzz_schema
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers, timeout=10)
            if case.path == "/api/v1/auth/register" and response.status_code == 201:
                REGISTERED.add(response.json()["account_id"])  # deleted at the end of the session
            case.validate_response(response, headers=headers, checks=[
                not_a_server_error, response_schema_conformance, status_code_conformance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
