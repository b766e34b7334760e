from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.calendar import Calendar
from metrics.clocks import compute_clocks
from metrics.model import ClockKind, ClockState, EvidenceRole, Role
from tests.metrics.builders import T0, ev, item, kyiv, mins, msg, nyc, policy

CLIENT, DEV, BOT, IGNORE = Role.CLIENT, Role.DEVELOPER, Role.BOT, Role.IGNORE
KYIV_OFFICE = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")


def opened(at=T0, role=CLIENT, actor=None):
    return msg("opened:acme/app#1", at, role, actor, kind="opened")


def summary(clock):
    """(start id, stop id or None, elapsed seconds, credited developer) of a response clock."""
    ids = {e.role: e.activity_id for e in clock.evidence}
    return ids[EvidenceRole.START], ids.get(EvidenceRole.STOP), clock.elapsed_seconds, clock.developer


@pytest.mark.parametrize(
    ("case", "events", "assignees", "expected"),
    [
        (
            "client issue answered by a developer",
            [opened(), msg("c1", mins(10), DEV, "dana")],
            (),
            [("opened:acme/app#1", "c1", 600, "dana")],
        ),
        (
            "a bot comment is not an answer",
            [opened(), msg("b1", mins(1), BOT), msg("c1", mins(20), DEV)],
            (),
            [("opened:acme/app#1", "c1", 1200, "dev")],
        ),
        (
            "a client follow-up does not restart the clock",
            [opened(), msg("c1", mins(10), CLIENT), msg("c2", mins(15), CLIENT), msg("c3", mins(20), DEV)],
            (),
            [("opened:acme/app#1", "c3", 1200, "dev")],
        ),
        (
            "every client message is covered, not only the first",
            [opened(), msg("c1", mins(10), DEV), msg("c2", mins(30), CLIENT), msg("c3", mins(75), DEV)],
            (),
            [("opened:acme/app#1", "c1", 600, "dev"), ("c2", "c3", 2700, "dev")],
        ),
        (
            "a developer's second message answers nothing",
            [opened(), msg("c1", mins(10), DEV), msg("c2", mins(12), DEV)],
            (),
            [("opened:acme/app#1", "c1", 600, "dev")],
        ),
        (
            "a reply in the same second as the opening still answers it",
            [opened(), msg("0-early-id", T0, DEV)],
            (),
            [("opened:acme/app#1", "0-early-id", 0, "dev")],
        ),
        (
            "an unanswered message runs, unassigned",
            [opened()],
            (),
            [("opened:acme/app#1", None, 0, None)],
        ),
        (
            "a running clock is credited to the first assignee",
            [opened(), msg("c1", mins(5), CLIENT)],
            ("ann", "bob"),
            [("opened:acme/app#1", None, 0, "ann")],
        ),
        (
            "an empty review is not an answer, a review with a state is",
            [
                opened(),
                msg("r1", mins(5), DEV, kind="review", has_body=False),
                msg("r2", mins(15), DEV, kind="review", state="approved"),
            ],
            (),
            [("opened:acme/app#1", "r2", 900, "dev")],
        ),
        (
            "a review comment on a diff line answers",
            [opened(), msg("rc1", mins(7), DEV, kind="review_comment")],
            (),
            [("opened:acme/app#1", "rc1", 420, "dev")],
        ),
        (
            "ignored authors neither start nor stop",
            [opened(), msg("i1", mins(3), IGNORE), msg("c1", mins(4), DEV)],
            (),
            [("opened:acme/app#1", "c1", 240, "dev")],
        ),
        (
            "a developer's item has no clock until a client writes",
            [
                opened(role=DEV),
                msg("b1", mins(1), BOT),
                msg("i1", mins(2), IGNORE),
                msg("c1", mins(3), CLIENT),
                msg("c2", mins(9), DEV),
            ],
            (),
            [("c1", "c2", 360, "dev")],
        ),
        (
            "non-message activity is neither a start nor an answer",
            [
                opened(),
                ev("l1", mins(2), "labeled", DEV, label="bug"),
                ev("s1", mins(3), "status", DEV, to="Done"),
                msg("c1", mins(8), DEV),
            ],
            (),
            [("opened:acme/app#1", "c1", 480, "dev")],
        ),
    ],
)
def test_response_clocks(case, events, assignees, expected):
    clocks = compute_clocks(item(events, assignees=assignees), policy())
    response = [c for c in clocks if c.kind is ClockKind.RESPONSE]
    assert [summary(c) for c in response] == expected, case
    assert [c.seq for c in response] == list(range(len(expected)))


def test_missing_opened_activity_is_the_authors_message_at_creation():
    clocks = compute_clocks(item([msg("c1", mins(10), DEV)], author_role=CLIENT), policy())
    assert [summary(c) for c in clocks] == [("opened:acme/app#1", "c1", 600, "dev")]
    assert clocks[0].started_at == T0


def test_no_clock_for_an_item_opened_by_a_developer_without_client_messages():
    events = [opened(role=DEV), msg("c1", mins(10), DEV)]
    assert compute_clocks(item(events, author_role=DEV, author="dev"), policy()) == []


def test_friday_evening_message_answered_monday_morning_counts_working_time():
    events = [opened(kyiv(2026, 2, 13, 17, 50)), msg("c1", kyiv(2026, 2, 16, 9, 15), DEV)]
    [clock] = compute_clocks(item(events, created_at=kyiv(2026, 2, 13, 17, 50)), policy(calendar=KYIV_OFFICE))
    assert clock.elapsed_seconds == 25 * 60
    assert clock.state_at(kyiv(2026, 2, 16, 12)) is ClockState.MET


def test_a_message_over_a_daylight_saving_weekend_counts_working_time():
    new_york = Calendar.parse(timezone="America/New_York", working_hours="Mon-Fri 09:00-17:00", holidays="US")
    start = nyc(2026, 3, 6, 16, 45)  # Friday; clocks spring forward on Sunday
    [clock] = compute_clocks(item([opened(start)], created_at=start), policy(calendar=new_york))
    assert clock.deadline == nyc(2026, 3, 9, 9, 15)
    answered = [opened(start), msg("c1", nyc(2026, 3, 9, 9, 10), DEV)]
    [clock] = compute_clocks(item(answered, created_at=start), policy(calendar=new_york))
    assert clock.elapsed_seconds == 25 * 60


def test_a_message_before_a_public_holiday_waits_for_the_next_working_day():
    new_york = Calendar.parse(timezone="America/New_York", working_hours="Mon-Fri 09:00-17:00", holidays="US")
    start = nyc(2026, 7, 2, 16, 50)  # Thursday; Friday 3 July is Independence Day observed
    [clock] = compute_clocks(item([opened(start)], created_at=start), policy(calendar=new_york))
    assert clock.deadline == nyc(2026, 7, 6, 9, 20)


def test_evidence_keeps_the_message_and_the_answer_with_urls():
    events = [opened(), msg("c1", mins(10), DEV, url="https://example.test/c1")]
    [clock] = compute_clocks(item(events), policy())
    assert [(e.role, e.activity_id, e.at, e.url) for e in clock.evidence] == [
        (EvidenceRole.START, "opened:acme/app#1", T0, None),
        (EvidenceRole.STOP, "c1", mins(10), "https://example.test/c1"),
    ]
    assert clock.clock_id == "github:acme/app#1:response:0"
    assert (clock.started_at, clock.stopped_at, clock.running_since, clock.deadline) == (T0, mins(10), None, None)


@pytest.mark.parametrize(
    ("answer_after", "expected"),
    [(1799, ClockState.MET), (1800, ClockState.MET), (1801, ClockState.BREACHED)],
)
def test_a_clock_at_exactly_its_target_is_met(answer_after, expected):
    events = [opened(), msg("c1", T0 + timedelta(seconds=answer_after), DEV)]
    [clock] = compute_clocks(item(events), policy(response=1800))
    assert clock.state_at(T0 + timedelta(days=30)) is expected


@pytest.mark.parametrize(
    ("now_after", "expected"),
    [
        (0, ClockState.RUNNING),
        (1349, ClockState.RUNNING),
        (1350, ClockState.AT_RISK),
        (1800, ClockState.AT_RISK),
        (1801, ClockState.BREACHED),
        (10 * 86400, ClockState.BREACHED),
    ],
)
def test_a_running_clock_turns_at_risk_then_breached(now_after, expected):
    [clock] = compute_clocks(item([opened()]), policy(response=1800, at_risk=0.75))
    assert (clock.running_since, clock.at_risk_at, clock.deadline) == (
        T0,
        T0 + timedelta(seconds=1350),
        T0 + timedelta(seconds=1800),
    )
    assert clock.state_at(T0 + timedelta(seconds=now_after)) is expected


def test_a_target_reached_at_closing_time_breaches_only_when_work_resumes():
    # 30 working minutes from 17:30 end at 18:00; the clock is past its target only after 09:00 next day.
    start = kyiv(2026, 2, 9, 17, 30)
    [clock] = compute_clocks(item([opened(start)], created_at=start), policy(calendar=KYIV_OFFICE))
    assert clock.at_risk_at == kyiv(2026, 2, 9, 17, 52) + timedelta(seconds=30)  # 0.75 * 1800 s
    assert clock.deadline == kyiv(2026, 2, 10, 9)
    assert clock.state_at(kyiv(2026, 2, 9, 23)) is ClockState.AT_RISK
    assert clock.state_at(kyiv(2026, 2, 10, 9) + timedelta(seconds=1)) is ClockState.BREACHED
    answered = [opened(start), msg("c1", kyiv(2026, 2, 10, 9), DEV)]
    [clock] = compute_clocks(item(answered, created_at=start), policy(calendar=KYIV_OFFICE))
    assert clock.state_at(kyiv(2026, 2, 11)) is ClockState.MET


def test_a_deleted_item_has_no_clocks():
    assert compute_clocks(item([opened()], deleted=True), policy()) == []


def test_compute_clocks_is_deterministic():
    events = [opened(), msg("c1", mins(10), DEV), msg("c2", mins(30), CLIENT)]
    assert compute_clocks(item(events), policy()) == compute_clocks(item(events), policy())
