"""API test fixtures: a small, known history posted through the real webhook intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.core.tokens import configured_tokens
from tests.conftest import AUTH, TOKEN, post_github, settle
from tests.payloads import comment_event, issue, issue_event

READ_TOKEN = "reader-token-0123456789"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
ADMIN = AUTH


@dataclass(frozen=True)
class Story:
    """What the seeded history holds, for assertions."""

    t0: datetime
    now: datetime


@pytest.fixture
def app(app):
    """The shared app, also accepting a read-only token from PULSE_API_TOKENS."""
    app.state.api_tokens = configured_tokens([TOKEN, f"read:{READ_TOKEN}"])
    return app


def seed_story(client) -> Story:
    """Post a known history: three days ago, and a few clocks still running now.

    acme works 24/7 with a 30 min answer target and a 3 h bug-fix target (tests/conftest.py).
    #1 answered by olena in 12 min (met); #2 answered by marco in 45 min (breached);
    #3 a production bug: answered by olena in 5 min, fixed (closed) in 2 h (met);
    #4 opened 10 min ago, assigned to olena, unanswered (running);
    #5 opened 2 h ago, nobody assigned, unanswered (breached, still running).
    """
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = (now - timedelta(days=3)).replace(minute=0, second=0)

    def post(event: str, payload: dict) -> None:
        r = post_github(client, event, payload, wait=False)  # processed together, as a burst is, and waited for once
        assert r.status_code in (200, 202), r.text

    one = issue(1, "alice-acme", t0, title="Checkout button does nothing on Safari")
    post("issues", issue_event("opened", one, "alice-acme"))
    post("issue_comment", comment_event(one, 11, "olena-dev", t0 + timedelta(minutes=12)))

    two = issue(2, "alice-acme", t0 + timedelta(hours=1), title="=HYPERLINK(\"http://evil\")")
    post("issues", issue_event("opened", two, "alice-acme"))
    post("issue_comment", comment_event(two, 21, "marco-codes", t0 + timedelta(hours=1, minutes=45)))

    t3 = t0 + timedelta(hours=2)
    three = issue(3, "alice-acme", t3, title="Orders fail", labels=("production",), assignees=("olena-dev",))
    post("issues", issue_event("opened", three, "alice-acme"))
    post("issue_comment", comment_event(three, 31, "olena-dev", t3 + timedelta(minutes=5)))
    closed = issue(3, "alice-acme", t3, title="Orders fail", labels=("production",), assignees=("olena-dev",),
                   state="closed", closed=t3 + timedelta(hours=2), state_reason="completed")
    post("issues", issue_event("closed", closed, "olena-dev"))

    four = issue(4, "alice-acme", now - timedelta(minutes=10), title="Banner is stale", assignees=("olena-dev",))
    post("issues", issue_event("opened", four, "alice-acme"))
    five = issue(5, "alice-acme", now - timedelta(hours=2), title="Invoice totals look wrong")
    post("issues", issue_event("opened", five, "alice-acme"))
    settle(client.app)
    return Story(t0=t0, now=now)


@pytest.fixture
def story(client) -> Story:
    return seed_story(client)


@pytest.fixture
def contracts_file(tmp_path):
    """A contracts file equal to the test contracts, for reloads."""
    from tests.conftest import CONTRACTS_YAML

    path = tmp_path / "pulse.yaml"
    path.write_text(CONTRACTS_YAML, encoding="utf-8")
    return path
