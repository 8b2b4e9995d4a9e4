"""Schemathesis against /openapi.json on the live server: no 5xx, every response as the
schema documents it, and the ledger verifies afterwards. Bounded: a few examples per
operation, with an admin's token (routes it may not use answer a documented 403)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from affidavit.api import ApiSettings
from tests.api.conftest import Live

EXAMPLES = 4
# Schema-valid requests the Governor refuses on meaning (an unknown vendor, a case that
# does not exist) answer a documented 4xx, so "positive data acceptance" is not checked.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def api_settings() -> ApiSettings:
    # Long polls must not hold a generated request for a minute.
    return ApiSettings(rate_per_s=0, max_body_bytes=64 * 1024, poll_interval_s=0.02, max_wait_s=0.1)


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_api_keeps_its_schema_under_generated_input(live: Live, who: str) -> None:
    with live.client() as anyone:
        raw = anyone.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.update(base_url=live.url)
    headers = {"Authorization": f"Bearer {live.tokens[who]}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        if operation.path == "/v1/events":
            continue  # an endless stream; tested in test_service

        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])
    assert failures == [], "\n\n".join(failures)
    live.gov.ledger.verify()
