"""Load the shared real-payload fixtures (``<repo>/../shared/fixtures/jira``), skipping when absent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

JIRA_FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "jira"


def fixture_path(relative: str) -> Path:
    path = JIRA_FIXTURES / relative
    if not path.exists():
        pytest.skip(f"shared fixture {relative} is not available")
    return path


def load_json(relative: str) -> Any:
    return json.loads(fixture_path(relative).read_text(encoding="utf-8"))


def load_python_response(relative: str) -> Any:
    """Load an atlassian-python-api response file (a Python snippet, see the fixtures README)."""
    namespace: dict[str, Any] = {"true": True, "false": False, "null": None, "responses": {}}
    exec(fixture_path(relative).read_text(encoding="utf-8"), namespace)  # noqa: S102 - vetted fixture
    return namespace["responses"][None]


def webhook_fixture_names() -> list[str]:
    root = JIRA_FIXTURES / "webhooks"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(JIRA_FIXTURES)) for p in root.rglob("*.json"))
