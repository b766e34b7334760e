"""Conformance with GitHub's own webhook examples and schemas (npm: @octokit/webhooks-examples, -schemas).

Every example of the subscribed events, in every flavour the package has (api.github.com and each GitHub Enterprise
Server), and a few hundred schema-valid variants of them (a fixed seed) are signed and posted to the real endpoint:
a supported action is accepted, any other action (and ping) is ignored, none is refused or a 5xx, and every accepted
delivery is processed, none left failed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.tables import IntakeQueue, RawDelivery
from connectors.github.webhook import SUPPORTED_EVENTS, is_supported
from tests.conformance import npm_package
from tests.conftest import settle, sign

from .conftest import WEBHOOKS
from .schema_variants import Example, WebhookSchemas, bases, examples

SEED = 16
PER_BASE = 3  # variants of each base (its two leanest, one random): about 300 in all
EVENTS = {*SUPPORTED_EVENTS, "ping"}


@dataclass(frozen=True)
class Posting:
    name: str
    event: str
    payload: dict
    changes: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        return "accepted" if is_supported(self.event, self.payload.get("action")) else "ignored"


@cache
def _schemas(schema_file: Path) -> WebhookSchemas:
    return WebhookSchemas(schema_file)


@cache
def _examples(folder: Path) -> tuple[Example, ...]:
    return tuple(examples(folder, EVENTS))


def official_examples() -> tuple[Example, ...]:
    return _examples(npm_package("@octokit/webhooks-examples"))


def schemas() -> WebhookSchemas:
    return _schemas(npm_package("@octokit/webhooks-schemas") / "schema.json")


def shared_fixtures() -> list[Example]:
    """The repository's real fixtures (../shared/fixtures), when that folder is there."""
    paths = sorted(WEBHOOKS.glob("*/*.json")) if WEBHOOKS.is_dir() else []
    loaded = [(path, json.loads(path.read_text(encoding="utf-8"))) for path in paths]
    return [Example("shared-fixtures", path.parent.name, body.get("action"), body) for path, body in loaded]


@pytest.fixture
def db_url(tmp_path):
    """SQLite only: what the endpoint answers does not depend on the database."""
    return f"sqlite:///{tmp_path / 'pulse.db'}"


def post_all(client, postings: Iterable[Posting]) -> list[str]:
    """Post every delivery, signed, then wait for the processing; return what went wrong, one line each."""
    wrong, accepted = [], 0
    for number, posting in enumerate(postings):
        body = json.dumps(posting.payload).encode()
        headers = {"X-GitHub-Event": posting.event, "X-GitHub-Delivery": f"conformance-{number}",
                   "X-GitHub-Hook-ID": "1", "X-Hub-Signature-256": sign(body), "Content-Type": "application/json"}
        r = client.post("/webhooks/github", content=body, headers=headers)
        answer = r.json().get("status") if r.status_code < 500 else None
        if r.status_code != 202 or answer != posting.expected:
            wrong.append(f"{posting.name}: {r.status_code} {r.text[:300]} (expected {posting.expected})")
        accepted += answer == "accepted"
    settle(client.app)
    with client.app.state.sessionmaker() as s:
        failed = s.execute(select(RawDelivery.delivery_id, RawDelivery.error).where(RawDelivery.status != "processed"))
        wrong.extend(f"delivery {delivery_id} not processed: {error}" for delivery_id, error in failed)
        stored = s.scalar(select(func.count()).select_from(RawDelivery))
        left = s.scalar(select(func.count()).select_from(IntakeQueue))
    if stored != accepted or left:
        wrong.append(f"{accepted} accepted, {stored} stored, {left} still queued")
    return wrong


def test_every_official_example_is_accepted_or_ignored(client):
    found = [*official_examples(), *shared_fixtures()]
    flavours = {e.flavour for e in found}
    assert "api.github.com" in flavours and any(f.startswith("ghes-") for f in flavours), flavours
    assert {e.event for e in found} == EVENTS
    # Unsupported actions are posted too (synchronize, locked, milestoned...): they must be ignored, not refused.
    assert any(not is_supported(e.event, e.action) for e in found if e.event != "ping")
    wrong = post_all(client, (Posting(e.name, e.event, dict(e.payload)) for e in found))
    assert not wrong, f"{len(wrong)} of {len(found)} examples went wrong:\n" + "\n".join(wrong)


@pytest.fixture(scope="module")
def variants() -> tuple[Posting, ...]:
    """The variants, made once (a module fixture also keeps the tests using it on one xdist worker)."""
    rng = random.Random(SEED)
    # Official examples only (the shared fixtures are copies of some): the same variants with or without them.
    found = [e for e in official_examples() if e.event != "ping"]
    made = []
    for name, event, action, payload in bases(schemas(), found):
        made.extend(Posting(v.name, event, v.payload, v.changes)
                    for v in schemas().variants(event, action, name, payload, rng, PER_BASE))
    return tuple(made)


def test_variants_reach_every_action_and_the_optional_fields_that_matter(variants):
    made = variants
    assert len(made) >= 250
    actions = {(p.event, p.payload["action"]) for p in made}
    assert actions == {(event, action) for event in SUPPORTED_EVENTS for action in schemas().actions(event)}
    changes = {change for p in made for change in p.changes}
    for needed in ("label dropped", "assignee dropped", "assignee null", "review.submitted_at null",
                   "issue.closed_at null", "issue.number integer 0", "pull_request.body null",
                   "sender.login empty text"):
        assert needed in changes, needed
    assert any("written" in change and change.endswith("z'") for change in changes)  # RFC 3339's lower case


def test_every_schema_valid_variant_is_accepted_or_ignored(client, variants):
    made = variants
    wrong = post_all(client, made)
    assert not wrong, f"{len(wrong)} of {len(made)} variants went wrong:\n" + "\n".join(wrong)
