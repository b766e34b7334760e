"""Compatibility mode: the first response clock equals github/issue-metrics' "time to first response".

With ``unknown_authors: developer`` (everyone not on the roster is a developer) and a 24/7 calendar, an
item opened by a listed client gets its first response clock stopped by the first comment or review by
someone other than its author who is neither a bot nor an ignored user: issue-metrics' rule
(``measure_time_to_first_response`` and ``ignore_comment`` in github/issue-metrics), measured in wall
time from creation. ``reference_first_response`` restates that rule over plain tuples.

Known, intended differences (not exercised here): another listed client's comment is a response there
but not here (a client is not the team); a draft pull request is measured there from
``ready_for_review``, here from its opening; a review without text (a bare approval) is a response there
but not here (a message has words), and an internal or restricted comment is never one here.
The reviews below all have words, as issue-metrics' own test data does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.clocks import compute_clocks
from metrics.model import ClockKind, ItemEvent, Role
from metrics.stats import summarize
from tests.metrics.builders import T0, item, policy

CLIENT = "carol"  # the listed client who opens the items
BOTS = frozenset({"dependabot[bot]", "ci-bot"})
IGNORED = frozenset({"auditor"})
PEOPLE = [CLIENT, "dana", "erik", "stranger", "auditor", "dependabot[bot]", "ci-bot"]

Post = tuple[str, str, int]  # (kind: "comment" | "review", login, minutes after creation)


def reference_first_response(author: str, created_at: datetime, posts: list[Post]) -> timedelta | None:
    """Restate issue-metrics: earliest of the first kept comment and the first kept review, minus creation."""

    def kept(login: str) -> bool:
        return login not in IGNORED and login not in BOTS and login != author

    firsts = []
    for kind in ("comment", "review"):
        times = sorted(created_at + timedelta(minutes=m) for k, login, m in posts if k == kind and kept(login))
        if times:
            firsts.append(times[0])
    return min(firsts) - created_at if firsts else None


def role_of(login: str) -> Role:
    """Resolve people as the app does with unknown_authors: developer."""
    if login == CLIENT:
        return Role.CLIENT
    if login in BOTS:
        return Role.BOT
    if login in IGNORED:
        return Role.IGNORE
    return Role.DEVELOPER


def first_response_clock(posts: list[Post], kind: str = "pull_request"):
    events = [ItemEvent(id="opened:acme/app#1", at=T0, kind="opened", actor=CLIENT, role=Role.CLIENT)]
    events += [
        ItemEvent(id=f"{i:03d}", at=T0 + timedelta(minutes=m), kind=k, actor=login, role=role_of(login))
        for i, (k, login, m) in enumerate(posts)
    ]
    history = item(events, author=CLIENT, author_role=Role.CLIENT, kind=kind)
    clocks = [c for c in compute_clocks(history, policy()) if c.kind is ClockKind.RESPONSE]
    return clocks[0]


def measured(posts: list[Post]) -> timedelta | None:
    clock = first_response_clock(posts)
    return timedelta(seconds=clock.elapsed_seconds) if clock.stopped else None


CASES = [
    ("a developer comment", [("comment", "dana", 15)], 15),
    ("a bot comment first", [("comment", "ci-bot", 1), ("comment", "dependabot[bot]", 2), ("comment", "dana", 30)], 30),
    ("the author's own follow-ups", [("comment", CLIENT, 2), ("comment", CLIENT, 5), ("comment", "erik", 40)], 40),
    ("a review before any comment", [("review", "dana", 12), ("comment", "erik", 20)], 12),
    ("a comment before any review", [("comment", "erik", 8), ("review", "dana", 12)], 8),
    ("the author's own review", [("review", CLIENT, 3), ("review", "dana", 25)], 25),
    ("an ignored user first", [("comment", "auditor", 3), ("review", "auditor", 4), ("review", "erik", 50)], 50),
    ("someone not on the roster", [("comment", "stranger", 7)], 7),
    ("only bots and the author", [("comment", "ci-bot", 1), ("comment", CLIENT, 9)], None),
    ("nothing at all", [], None),
]


@pytest.mark.parametrize(("case", "posts", "minutes"), CASES, ids=[c[0] for c in CASES])
def test_first_response_matches_issue_metrics(case, posts, minutes):
    expected = reference_first_response(CLIENT, T0, posts)
    assert expected == (None if minutes is None else timedelta(minutes=minutes))
    assert measured(posts) == expected


def test_an_unanswered_item_is_a_running_clock_not_a_gap():
    clock = first_response_clock([("comment", "ci-bot", 1)])
    assert (clock.stopped, clock.running_since) == (False, T0)


def test_summary_durations_match_issue_metrics_stats():
    # issue-metrics reports round(numpy average / median / percentile 90) over the answered items.
    answered = [case[1] for case in CASES if case[2] is not None]
    clocks = [first_response_clock(posts) for posts in answered]
    seconds = sorted(c.elapsed_seconds for c in clocks)
    assert seconds == [420, 480, 720, 900, 1500, 1800, 2400, 3000]
    stats = summarize(clocks, T0 + timedelta(days=1))
    # By hand: mean 11220 / 8 = 1402.5; median (900 + 1500) / 2 = 1200; p90 at rank 6.3: 2400 + 0.3 * 600.
    assert (round(stats.mean_seconds), round(stats.median_seconds), round(stats.p90_seconds)) == (1402, 1200, 2580)


posts_strategy = st.lists(
    st.tuples(st.sampled_from(["comment", "review"]), st.sampled_from(PEOPLE), st.integers(0, 10_000)),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(posts_strategy)
def test_first_response_matches_issue_metrics_on_random_threads(posts):
    assert measured(posts) == reference_first_response(CLIENT, T0, posts)
