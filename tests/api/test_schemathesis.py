"""Property-based checks of the whole API against its own OpenAPI schema (Schemathesis).

Every operation is called with examples from the schema, boundary values and generated parameters, with an
admin token and without one: no answer may be a server error, and every answer must match the documented
status codes, media types and schemas. Bounded and deterministic, so it runs in the normal suite; the
Schemathesis engine is driven directly (its pytest plugin does not support this pytest version).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from alembic import command
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from app.core.migrate import alembic_config
from app.core.tokens import SignInLimiter
from tests.api.conftest import seed_story
from tests.conftest import TOKEN

MAX_EXAMPLES = 12


@dataclass
class FuzzSummary:
    operations: set[str] = field(default_factory=set)
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (f"schemathesis: {len(self.operations)} operations, {self.cases} test cases, "
                f"{len(self.failures)} failures ({codes})")


def _config(headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "headers": headers,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # Valid-looking parameters can still break a rule the schema cannot state (since before until),
            # and the API answers that with a 422 problem.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "405", "422"]},
        },
    })


def run_schemathesis(app, headers: dict[str, str]) -> FuzzSummary:
    """Run every phase but the stateful one against the app in process; collect what failed."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(headers))
    summary = FuzzSummary()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            summary.operations.add(recorder.label)
            summary.cases += len(recorder.interactions)
            summary.statuses.update(i.response.status_code for i in recorder.interactions.values() if i.response)
            for checks in recorder.checks.values():
                summary.failures += [f"{recorder.label}: {c.name}: {c.failure_info.failure.title}"
                                     for c in checks if c.status == Status.FAILURE and c.failure_info]
        elif isinstance(event, events.NonFatalError):
            summary.failures.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return summary


@pytest.fixture
def fuzz_app(app, engine):
    """The API with a small known history and a current schema version (so /readyz answers 200)."""
    command.stamp(alembic_config(engine), "head")
    app.state.sign_in_limiter = SignInLimiter(attempts=10**6)  # fuzzing sends wrong tokens; the pause: test_hardening
    with TestClient(app) as http:
        seed_story(http)
    return app


def test_api_conforms_to_its_schema_with_a_token(fuzz_app):
    summary = run_schemathesis(fuzz_app, {"Authorization": f"Bearer {TOKEN}"})
    print(summary.line())
    assert not summary.failures, "\n".join(sorted(set(summary.failures)))
    assert len(summary.operations) == sum(len(ops) for ops in fuzz_app.openapi()["paths"].values())
    assert not any(code >= 500 for code in summary.statuses)
    assert summary.statuses[200] > 0


def test_api_conforms_to_its_schema_without_a_token(fuzz_app):
    summary = run_schemathesis(fuzz_app, {})
    print(summary.line())
    assert not summary.failures, "\n".join(sorted(set(summary.failures)))
    assert not any(code >= 500 for code in summary.statuses)
