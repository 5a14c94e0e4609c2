"""A bounded property-based run of the whole OpenAPI document (schemathesis): schema-valid
and malformed requests on every operation, with an admin key, on both store backends.
No answer may be a 5xx, and every answer must match its documented status code, media
type, headers and schema (problem details included).

Two of schemathesis' checks do not apply here: "positive data acceptance" (a schema-valid
skill id that does not exist is a 422 the schema cannot express) and "negative data
rejection" (the shared pydantic models coerce lax JSON, e.g. ``false`` to ``0.0`` for a
number, as pydantic documents; such input is accepted, never a 5xx).

schemathesis' own pytest plugin does not support this pytest yet, so the operations are
driven here with its Hypothesis strategies; the checks are schemathesis' own."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.api.conftest import Keys

pytestmark = pytest.mark.slow

EXCLUDED = [positive_data_acceptance, negative_data_rejection]
#: Examples per operation, mode and backend: with about 35 operations, a few minutes.
EXAMPLES = 20


def test_no_server_error_and_responses_match_the_spec(app: FastAPI, keys: Keys) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = keys.auth("admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
            )
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

            try:
                run()
            except Unsatisfiable:
                continue  # no malformed request exists (a route without parameters)
            except BaseException as exc:  # every operation is tried; all failures are reported together
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
