import copy
import json
from pathlib import Path

import pytest

WEBHOOKS = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "github" / "webhooks"


def webhook_fixture(event: str, name: str) -> dict:
    """Return a deep copy of a real webhook payload, skipping the test when fixtures are absent."""
    path = WEBHOOKS / event / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"GitHub webhook fixture {event}/{name}.json is not available")
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))
