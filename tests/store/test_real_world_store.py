"""The real-world clock rules end to end: GitHub-shaped webhook histories, stored on both databases, each
delivered in order, shuffled and twice, and (where the REST listings can show it) the same history by sync.

Each case is a short story of one issue and the clocks it must leave: (kind, state, elapsed minutes,
credited person, notes). See README's "How the clocks count".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import respx
from sqlalchemy import select

from app.core.tables import ClockRow
from app.store.histories import row_to_clock
from app.sync.runner import Connectors, run_sync
from metrics.bug_fix import NOT_A_BUG
from metrics.response import ANSWER_DELETED, THREAD_CLOSED
from tests.conftest import make_settings, post_github
from tests.connectors.github.fake_github import API, FakeGitHub
from tests.payloads import REPO, comment_event, issue, issue_event, ts, user
from tests.store.records import clear, stored_rows

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday, inside acme's working hours (Kyiv)
DEV, CLIENT = "olena-dev", "alice-acme"


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


@dataclass
class Story:
    """One issue's history, step by step: (minute, what, who, detail)."""

    steps: list[tuple[int, str, str, object]]

    def webhooks(self) -> list[tuple[str, dict]]:
        labels: list[str] = []
        assignees: list[str] = []
        state, reason, closed = "open", None, None
        written: dict[int, int] = {}  # comment id -> the minute it was written
        out = [("issues", issue_event("opened", issue(7, CLIENT, T0), CLIENT))]
        for minute, what, who, detail in self.steps:
            extra: dict = {}
            if what == "label":
                labels.append(str(detail))
                extra = {"label": {"name": detail}}
            elif what == "unlabel":
                labels.remove(str(detail))
                extra = {"label": {"name": detail}}
            elif what == "assign":
                assignees.append(str(detail))
                extra = {"assignee": user(str(detail))}
            elif what == "close":
                state, reason, closed = "closed", detail, at(minute)
            elif what == "reopen":
                state, reason, closed = "open", None, None
            snapshot = issue(7, CLIENT, T0, labels=tuple(labels), assignees=tuple(assignees), state=state,
                             closed=closed, updated=at(minute), state_reason=reason)
            if what in ("comment", "delete"):
                cid, author = detail  # type: ignore[misc]
                action = "deleted" if what == "delete" else "created"
                written.setdefault(cid, minute)
                payload = comment_event(snapshot, cid, author, at(written[cid]), f"comment {cid}", action=action)
                payload["sender"] = user(who)
                out.append(("issue_comment", payload))
            else:
                action = {"label": "labeled", "unlabel": "unlabeled", "assign": "assigned", "close": "closed",
                          "reopen": "reopened"}[what]
                out.append(("issues", issue_event(action, snapshot, who, **extra)))
        return out

    def rest(self, fake: FakeGitHub) -> None:
        """The same history as the REST listings show it afterwards (deleted comments are gone there)."""
        final_payload = self.webhooks()[-1][1]
        final = final_payload["issue"]
        fake.issues.append(final)
        for n, (minute, what, who, detail) in enumerate(self.steps):
            if what == "comment":
                cid, author = detail  # type: ignore[misc]
                fake.comments.append({"id": cid, "user": user(author), "body": f"comment {cid}",
                                      "created_at": ts(at(minute)), "updated_at": ts(at(minute)),
                                      "html_url": f"{final['html_url']}#issuecomment-{cid}",
                                      "issue_url": f"{API}/repos/{REPO['full_name']}/issues/7",
                                      "author_association": "MEMBER"})
                continue
            event = {"id": 9000 + n, "actor": user(who), "created_at": ts(at(minute)), "issue": dict(final),
                     "event": {"label": "labeled", "unlabel": "unlabeled", "assign": "assigned", "close": "closed",
                               "reopen": "reopened"}[what]}
            if what in ("label", "unlabel"):
                event["label"] = {"name": detail, "color": "d73a4a"}
            elif what == "assign":
                event["assignee"], event["assigner"] = user(str(detail)), user(who)
            elif what == "close":
                event["commit_id"], event["state_reason"] = None, detail
            fake.events.append(event)


CASES = [
    ("closing the thread stops its pending reply, judged by its time",
     Story([(20, "close", CLIENT, "completed")]),
     [("response", "met", 20, None, (THREAD_CLOSED,))], True),
    ("a developer's close past the target leaves the breach standing",
     Story([(45, "close", DEV, "completed")]),
     [("response", "breached", 45, "olena", (THREAD_CLOSED,))], True),
    ("a production label removed and put back is one bug clock",
     Story([(5, "label", DEV, "production"), (10, "comment", DEV, (501, DEV)),
            (30, "unlabel", DEV, "production"), (90, "label", DEV, "production"),
            (120, "close", DEV, "completed")]),
     [("response", "met", 10, "olena", ()), ("bug_fix", "met", 55, None, ())], True),
    ("a production label removed for good cancels the bug clock",
     Story([(5, "label", DEV, "production"), (10, "comment", DEV, (501, DEV)),
            (40, "unlabel", DEV, "production")]),
     [("response", "met", 10, "olena", ()), ("bug_fix", "cancelled", 35, None, (NOT_A_BUG,))], True),
    ("a bug closed as not planned is cancelled, not met",
     Story([(5, "label", DEV, "production"), (10, "comment", DEV, (501, DEV)), (25, "close", DEV, "not_planned")]),
     [("response", "met", 10, "olena", ()), ("bug_fix", "cancelled", 20, None, ("closed as not planned",))], True),
    ("the assignee who held the bug is credited",
     Story([(1, "label", DEV, "production"), (2, "assign", DEV, DEV), (3, "comment", DEV, (501, DEV)),
            (60, "close", DEV, "completed")]),
     [("response", "met", 3, "olena", ()), ("bug_fix", "met", 59, "olena", ())], True),
    ("an answer deleted later still answered",
     Story([(10, "comment", DEV, (501, DEV)), (300, "delete", DEV, (501, DEV))]),
     [("response", "met", 10, "olena", (ANSWER_DELETED,))], False),
]


def _clocks(factory) -> list[tuple]:
    with factory() as s:
        clocks = [row_to_clock(r) for r in s.scalars(select(ClockRow).order_by(ClockRow.kind.desc(), ClockRow.seq))]
    later = T0 + timedelta(days=30)
    return [(c.kind.value, c.state_at(later).value, c.elapsed_seconds // 60, c.developer, c.notes) for c in clocks]


def _deliver(client, order) -> None:
    for event, payload in order:
        assert post_github(client, event, payload).status_code in (200, 202)


@pytest.mark.parametrize(("case", "story", "expected", "by_sync"), CASES, ids=[c[0] for c in CASES])
def test_real_world_rules_through_the_store(case, story, expected, by_sync, client, factory, contracts):
    history = story.webhooks()
    _deliver(client, history)
    assert _clocks(factory) == expected
    in_order = stored_rows(factory, received_deletions=True)

    clear(factory)
    shuffled = history + history  # every delivery twice, in a random order
    random.Random(11).shuffle(shuffled)
    _deliver(client, shuffled)
    assert _clocks(factory) == expected
    assert stored_rows(factory, received_deletions=True) == in_order

    if by_sync:
        clear(factory)
        fake = FakeGitHub(REPO["full_name"])
        story.rest(fake)
        with respx.mock(assert_all_called=False) as mock:
            fake.install(mock)
            summary = run_sync(factory=factory, contracts=contracts, source="github",
                               connectors=Connectors(make_settings(github_token="t"), factory))
        assert summary.status == "succeeded", summary.errors
        assert _clocks(factory) == expected
        assert stored_rows(factory, received_deletions=True) == in_order
