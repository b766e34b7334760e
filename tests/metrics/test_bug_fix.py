from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.calendar import Calendar
from metrics.clocks import compute_clocks
from metrics.model import ClockKind, ClockState, EvidenceRole, FixLink, Role
from tests.metrics.builders import T0, ev, item, kyiv, mins, policy

DEV = Role.DEVELOPER
START, PAUSE, RESUME, STOP = EvidenceRole.START, EvidenceRole.PAUSE, EvidenceRole.RESUME, EvidenceRole.STOP
OPEN_ID = "opened:acme/app#1"
KYIV_OFFICE = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")


def status(id, at, frm, to, category="indeterminate"):
    return ev(id, at, "status", DEV, **{"from": frm, "to": to, "category": category})


def change(id, at, kind, frm, to):
    return ev(id, at, kind, DEV, **{"from": frm, "to": to})


def fix(at, author="pat", pr="acme/app#9"):
    return FixLink(pr_key=pr, merged_at=at, author=author, activity_id=f"merged:{pr}", url=f"https://x.test/{pr}")


def bug_clocks(history, **kw):
    return [c for c in compute_clocks(history, policy(**kw)) if c.kind is ClockKind.BUG_FIX]


def summary(clock):
    """(seq, evidence trail, elapsed seconds, stopped?, credited developer) of a bug clock."""
    trail = [(e.role, e.activity_id) for e in clock.evidence]
    return clock.seq, trail, clock.elapsed_seconds, clock.stopped, clock.developer


CASES = [
    (
        "created as a bug, closed as completed, credited to the assignee then",
        item(
            [ev("a1", mins(5), "assigned", assignee="ann"), ev("x1", mins(60), "closed", reason="completed")],
            labels=("production",),
            assignees=("ann",),
        ),
        [(0, [(START, OPEN_ID), (STOP, "x1")], 3600, True, "ann")],
    ),
    (
        "labelled a production bug after creation, case-insensitively",
        item(
            [ev("l1", mins(30), "labeled", label="Production"), ev("x1", mins(90), "closed", reason=None)],
            labels=("Production", "frontend"),
        ),
        [(0, [(START, "l1"), (STOP, "x1")], 3600, True, None)],
    ),
    (
        "a reopen resumes the same clock",
        item(
            [
                ev("x1", mins(60), "closed", reason="completed"),
                ev("r1", mins(120), "reopened"),
                ev("x2", mins(150), "closed", reason="completed"),
            ],
            labels=("production",),
        ),
        [(0, [(START, OPEN_ID), (STOP, "x1"), (RESUME, "r1"), (STOP, "x2")], 5400, True, None)],
    ),
    (
        "a waiting-for-client status pauses the clock (case-insensitively)",
        item(
            [
                status("s1", mins(30), "To Do", "WAITING FOR CLIENT"),
                status("s2", mins(90), "WAITING FOR CLIENT", "In Progress"),
                status("s3", mins(120), "In Progress", "Done", "done"),
            ],
            source="jira",
            issue_type="Bug",
            priority="High",
            status="Done",
        ),
        [(0, [(START, OPEN_ID), (PAUSE, "s1"), (RESUME, "s2"), (STOP, "s3")], 3600, True, None)],
    ),
    (
        "created in a waiting status: started and paused at once",
        item([], labels=("production",), status="Waiting for client"),
        [(0, [(START, OPEN_ID), (PAUSE, OPEN_ID)], 0, False, None)],
    ),
    (
        "Jira retype and reprioritize make it a bug at the second change",
        item(
            [
                change("t1", mins(10), "type_changed", "Task", "Bug"),
                change("p1", mins(20), "priority_changed", "Medium", "High"),
                change("z1", mins(80), "resolution", None, "Fixed"),
            ],
            source="jira",
            issue_type="Bug",
            priority="High",
            resolution="Fixed",
        ),
        [(0, [(START, "p1"), (STOP, "z1")], 3600, True, None)],
    ),
    (
        "a listed type with an unlisted priority is not a production bug",
        item([], source="jira", issue_type="bug", priority="Low"),
        [],
    ),
    (
        "the merge of a fixing pull request stops it, credited to the PR author when unassigned",
        item([ev("x1", mins(46), "closed", reason="completed")], labels=("production",), fixed_by=(fix(mins(45)),)),
        [(0, [(START, OPEN_ID), (STOP, "merged:acme/app#9")], 2700, True, "pat")],
    ),
    (
        "the assignee at resolution is credited even if unassigned later",
        item(
            [
                ev("a1", mins(5), "assigned", assignee="ann"),
                ev("x1", mins(60), "closed", reason="completed"),
                ev("u1", mins(70), "unassigned", assignee="ann"),
            ],
            labels=("production",),
            fixed_by=(fix(mins(59)),),
        ),
        [(0, [(START, OPEN_ID), (STOP, "merged:acme/app#9")], 3540, True, "ann")],
    ),
    (
        "no longer a bug pauses the clock; a bug again resumes the same one",
        item(
            [ev("u1", mins(30), "unlabeled", label="production"), ev("l1", mins(60), "labeled", label="production")],
            labels=("production",),
            assignees=("ann",),
        ),
        [(0, [(START, OPEN_ID), (PAUSE, "u1"), (RESUME, "l1")], 1800, False, "ann")],
    ),
    (
        "a closed item labelled later starts no clock until it is reopened",
        item(
            [
                ev("x1", mins(10), "closed", reason="completed"),
                ev("l1", mins(20), "labeled", label="production"),
                ev("r1", mins(30), "reopened"),
            ],
            labels=("production",),
        ),
        [(0, [(START, "r1")], 0, False, None)],
    ),
    (
        "a cleared Jira resolution resumes the clock",
        item(
            [change("z1", mins(30), "resolution", None, "Done"), change("z2", mins(50), "resolution", "Done", None)],
            source="jira",
            issue_type="Bug",
            priority="Highest",
        ),
        [(0, [(START, OPEN_ID), (STOP, "z1"), (RESUME, "z2")], 1800, False, None)],
    ),
    (
        "a status leaving the done category resumes; done again stops once",
        item(
            [
                status("s1", mins(30), "In Progress", "Done", "done"),
                change("z1", mins(30), "resolution", None, "Done"),
                status("s2", mins(40), "Done", "To Do", "new"),
                change("z2", mins(40), "resolution", "Done", None),
                status("s3", mins(70), "To Do", "Done", "done"),
            ],
            source="jira",
            issue_type="Bug",
            priority="High",
            status="Done",
        ),
        [(0, [(START, OPEN_ID), (STOP, "s1"), (RESUME, "s2"), (STOP, "s3")], 3600, True, None)],
    ),
    (
        "a reopen into a waiting status resumes and pauses at once",
        item(
            [
                status("s1", mins(30), "In Progress", "Done", "done"),
                status("s2", mins(40), "Done", "Waiting for client"),
                status("s3", mins(50), "Waiting for client", "In Progress"),
            ],
            source="jira",
            issue_type="Bug",
            priority="High",
            status="In Progress",
        ),
        [(0, [(START, OPEN_ID), (STOP, "s1"), (RESUME, "s2"), (PAUSE, "s2"), (RESUME, "s3")], 1800, False, None)],
    ),
    (
        "a pull request labelled a bug stops at its own merge",
        item(
            [ev("x1", mins(25), "closed", reason=None), ev("m1", mins(25), "merged", fixes=[])],
            labels=("production",),
            kind="pull_request",
        ),
        [(0, [(START, OPEN_ID), (STOP, "m1")], 1500, True, None)],
    ),
    ("not a bug: no bug clock", item([ev("x1", mins(5), "closed", reason="completed")], labels=("docs",)), []),
]


@pytest.mark.parametrize(("case", "history", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bug_fix_clocks(case, history, expected):
    assert [summary(c) for c in bug_clocks(history)] == expected


def test_a_running_bug_clock_has_deadlines_a_paused_one_has_none():
    running = item([status("s1", mins(30), "To Do", "In Progress")], labels=("production",), status="In Progress")
    [clock] = bug_clocks(running, bug_fix=3 * 3600, at_risk=0.5)
    assert (clock.running_since, clock.at_risk_at, clock.deadline) == (T0, mins(90), mins(180))
    assert clock.state_at(mins(89)) is ClockState.RUNNING
    assert clock.state_at(mins(90)) is ClockState.AT_RISK
    assert clock.state_at(mins(181)) is ClockState.BREACHED

    paused = item(
        [status("s1", mins(30), "To Do", "Waiting for client")], labels=("production",), status="Waiting for client"
    )
    [clock] = bug_clocks(paused)
    assert (clock.elapsed_seconds, clock.running_since, clock.deadline, clock.at_risk_at) == (1800, None, None, None)
    assert clock.state_at(mins(10_000)) is ClockState.PAUSED


def test_deadlines_after_a_pause_count_only_the_remaining_time():
    history = item(
        [
            status("s1", mins(60), "To Do", "Waiting for client"),
            status("s2", mins(600), "Waiting for client", "In Progress"),
        ],
        labels=("production",),
        status="In Progress",
    )
    [clock] = bug_clocks(history, bug_fix=3 * 3600, at_risk=0.75)
    assert clock.elapsed_seconds == 3600
    assert clock.running_since == mins(600)
    assert clock.at_risk_at == mins(600 + 75)  # 135 min at risk, 60 already spent
    assert clock.deadline == mins(600 + 120)


def test_a_paused_clock_past_its_target_is_breached():
    history = item(
        [status("s1", mins(200), "To Do", "Waiting for client")], labels=("production",), status="Waiting for client"
    )
    [clock] = bug_clocks(history, bug_fix=3 * 3600)
    assert clock.state_at(mins(10_000)) is ClockState.BREACHED


def test_the_bug_fix_calendar_counts_working_time():
    start = kyiv(2026, 2, 13, 17)  # Friday 17:00 Kyiv
    history = item(
        [ev("x1", kyiv(2026, 2, 16, 11), "closed", reason="completed")], created_at=start, labels=("production",)
    )
    [clock] = bug_clocks(history, bug_calendar=KYIV_OFFICE)
    assert clock.elapsed_seconds == 3 * 3600
    assert clock.state_at(kyiv(2026, 2, 20)) is ClockState.MET


def test_bug_evidence_carries_times_and_urls():
    history = item([ev("x1", mins(60), "closed", url="https://x.test/c", reason=None)], labels=("production",))
    [clock] = bug_clocks(history)
    assert [(e.at, e.url) for e in clock.evidence] == [(T0, history.url), (mins(60), "https://x.test/c")]
    assert clock.clock_id == "github:acme/app#1:bug_fix:0"
    assert clock.stopped_at == mins(60) and clock.started_at == T0


def test_a_fix_merged_before_the_item_became_a_bug_does_not_stop_a_later_clock():
    history = item(
        [ev("l1", mins(30), "labeled", label="production")], labels=("production",), fixed_by=(fix(mins(10)),)
    )
    [clock] = bug_clocks(history)
    assert summary(clock) == (0, [(START, "l1")], 0, False, None)


def test_response_and_bug_clocks_come_together_response_first():
    history = item(
        [ev(OPEN_ID, T0, "opened", Role.CLIENT), ev("c1", mins(5), "comment", DEV)],
        labels=("production",),
    )
    kinds = [c.kind for c in compute_clocks(history, policy())]
    assert kinds == [ClockKind.RESPONSE, ClockKind.BUG_FIX]
    assert T0 + timedelta(minutes=5) == mins(5)
