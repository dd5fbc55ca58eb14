"""Property-based testing of the REST endpoint against its own OpenAPI schema
(schemathesis strategies driven by hypothesis): no generated request,
authorised or not, gets a 5xx, and every error is a JSON body."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import make_api

EXAMPLES_PER_OPERATION = 25


def _check(case, keys) -> None:
    for headers in ({"X-API-Key": keys["admin"]}, {"X-API-Key": keys["viewer"]}, {}):
        response = case.call(headers=headers)
        where = f"{case.method} {case.formatted_path}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
        if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
            assert "error" in response.json(), where
        assert "Traceback" not in response.text, where


def test_no_server_error_for_any_generated_request(tmp_path):
    api = make_api(f"sqlite:///{tmp_path / 'api.sqlite'}")
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 25
        for operation in operations:
            if operation.path.endswith("/stream"):
                continue  # an endless event stream; tested on its own with max_events

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                _check(case, api.keys)

            run()
    finally:
        api.client.close()
        api.db.close()
