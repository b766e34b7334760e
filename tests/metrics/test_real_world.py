"""The clock rules on ordinary, messy histories: internal notes, closed threads, wordless reviews, deletes,
label flips, no-fix resolutions, reopens and credit (README's "How the clocks count").

Each row is one history and what its clocks must be: (state at the end, elapsed minutes, credited developer,
notes). The same rules through real-shaped payloads, delivered in order, shuffled and twice, are in
tests/store/test_real_world_store.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.bug_fix import NOT_A_BUG
from metrics.clocks import compute_clocks
from metrics.model import ClockKind, ClockState, EvidenceRole, FixLink, ItemHistory, Role
from metrics.response import ANSWER_DELETED, QUESTION_DELETED, QUESTION_WITHDRAWN, THREAD_CLOSED
from metrics.stats import summarize
from tests.metrics.builders import T0, ev, item, mins, msg, policy

CLIENT, DEV, BOT = Role.CLIENT, Role.DEVELOPER, Role.BOT
MET, BREACHED, RUNNING, CANCELLED = ClockState.MET, ClockState.BREACHED, ClockState.RUNNING, ClockState.CANCELLED
LATER = T0 + timedelta(days=30)
TEAM = frozenset({"dev", "ann", "bob"})


def outcome(history: ItemHistory, kind: ClockKind, **options):
    clocks = [c for c in compute_clocks(history, policy(**options)) if c.kind is kind]
    return [(c.state_at(LATER), c.elapsed_seconds // 60, c.developer, c.notes) for c in clocks]


def jira(events, **kw):
    return item(events, source="jira", key="ACME-1", issue_type="Bug", priority="High", **kw)


def status(id, at, frm, to, category="indeterminate"):
    return ev(id, at, "status", DEV, **{"from": frm, "to": to, "category": category})


def change(id, at, kind, frm, to):
    return ev(id, at, kind, DEV, **{"from": frm, "to": to})


RESPONSE_CASES = [
    # 1. Only public messages count.
    ("an internal note is no answer",
     item([msg("c1", mins(1), CLIENT), msg("n1", mins(5), DEV, public=False), msg("d1", mins(41), DEV)],
          author="dev", author_role=DEV),
     [(BREACHED, 40, "dev", ())]),
    ("a client's internal comment asks nothing",
     item([msg("c1", mins(1), CLIENT, public=False)], author="dev", author_role=DEV),
     []),
    # 2. Closing the thread ends its pending reply.
    ("closed by the client within target: met",
     item([ev("x1", mins(20), "closed", CLIENT, reason="completed")], assignees=("ann",)),
     [(MET, 20, "ann", (THREAD_CLOSED,))]),
    ("closed past the target: the breach stands",
     item([ev("x1", mins(50), "closed", DEV, actor="bob", reason="completed")], assignees=("ann",)),
     [(BREACHED, 50, "bob", (THREAD_CLOSED,))]),
    ("a Jira status in the done category closes it",
     jira([status("s1", mins(10), "To Do", "Done", "done")]),
     [(MET, 10, "dev", (THREAD_CLOSED,))]),
    ("the pull request's merge closes it",
     item([ev("m1", mins(15), "merged", DEV, actor="ann", fixes=[])], kind="pull_request"),
     [(MET, 15, "ann", (THREAD_CLOSED,))]),
    ("the client's last word sent with the close asks for no answer",
     item([msg("d1", mins(5), DEV), msg("c1", mins(60), CLIENT), ev("x1", mins(60), "closed", CLIENT)]),
     [(MET, 5, "dev", ())]),
    ("a message after the close starts a new clock",
     item([ev("x1", mins(10), "closed", CLIENT), msg("c1", mins(100), CLIENT), msg("d1", mins(110), DEV)]),
     [(MET, 10, None, (THREAD_CLOSED,)), (MET, 10, "dev", ())]),
    # 3. A message has words.
    ("a client's wordless approval asks nothing",
     item([msg("r1", mins(5), CLIENT, kind="review", has_body=False)], author="dev", author_role=DEV,
          kind="pull_request"),
     []),
    ("a developer's wordless approval answers nothing",
     item([msg("r1", mins(5), DEV, kind="review", has_body=False), msg("d1", mins(25), DEV)], kind="pull_request"),
     [(MET, 25, "dev", ())]),
    # 4. Deleting does not rewrite history.
    ("an answer deleted later still answered",
     item([msg("d1", mins(10), DEV, deleted_at=mins(300), deleted_by="dev")]),
     [(MET, 10, "dev", (ANSWER_DELETED,))]),
    ("a question withdrawn by its author in time: cancelled",
     item([msg("c1", mins(1), CLIENT, deleted_at=mins(11), deleted_by="carol")], author="dev", author_role=DEV),
     [(CANCELLED, 10, None, (QUESTION_WITHDRAWN,))]),
    ("a question deleted after its target: the breach stands",
     item([msg("c1", mins(1), CLIENT, deleted_at=mins(61), deleted_by="carol")], author="dev", author_role=DEV),
     [(BREACHED, 60, None, (QUESTION_DELETED,))]),
    ("a question deleted by someone else: the clock runs on",
     item([msg("c1", mins(1), CLIENT, deleted_at=mins(5), deleted_by="dev")], author="dev", author_role=DEV,
          assignees=("ann",)),
     [(BREACHED, 0, "ann", (QUESTION_DELETED,))]),
    ("a question deleted after its answer: the clock stands",
     item([msg("c1", mins(1), CLIENT, deleted_at=mins(30), deleted_by="carol"), msg("d1", mins(6), DEV)],
          author="dev", author_role=DEV),
     [(MET, 5, "dev", (QUESTION_DELETED,))]),
    ("a withdrawn question leaves its follow-up a question of its own",
     item([msg("c1", mins(1), CLIENT, deleted_at=mins(10), deleted_by="carol"), msg("c2", mins(4), CLIENT),
           msg("d1", mins(24), DEV)], author="dev", author_role=DEV),
     [(CANCELLED, 9, None, (QUESTION_WITHDRAWN,)), (MET, 20, "dev", ())]),
    # 9. Credit only to developers.
    ("an open clock goes to the first assignee who is a developer",
     item([], assignees=("dependabot", "carol", "bob"), developers=TEAM),
     [(BREACHED, 0, "bob", ())]),
    ("an open clock with only a bot and a client assigned goes to nobody",
     item([], assignees=("dependabot", "carol"), developers=TEAM),
     [(BREACHED, 0, None, ())]),
]


@pytest.mark.parametrize(("case", "history", "expected"), RESPONSE_CASES, ids=[c[0] for c in RESPONSE_CASES])
def test_response_rules(case, history, expected):
    assert outcome(history, ClockKind.RESPONSE) == expected


BUG_CASES = [
    # 5. One cycle per bug, however its labels flicker.
    ("a label removed and put back is one clock, paused in between",
     item([ev("u1", mins(30), "unlabeled", label="production"), ev("l1", mins(90), "labeled", label="production"),
           ev("x1", mins(120), "closed", reason="completed")], labels=("production",)),
     [(MET, 60, None, ())], {}),
    ("a priority dropping and coming back is one clock",
     jira([change("p1", mins(20), "priority_changed", "High", "Low"),
           change("p2", mins(50), "priority_changed", "Low", "High"),
           change("z1", mins(70), "resolution", None, "Fixed")], resolution="Fixed"),
     [(MET, 40, None, ())], {}),
    # 6. Not a production bug after all.
    ("the label removed for good: cancelled at the removal",
     item([ev("u1", mins(30), "unlabeled", label="production"), ev("x1", mins(500), "closed", reason="completed")]),
     [(CANCELLED, 30, None, (NOT_A_BUG,))], {}),
    ("closed while not a bug, labelled again later: cancelled, and no new clock until a reopen",
     item([ev("u1", mins(30), "unlabeled", label="production"), ev("x1", mins(60), "closed", reason="completed"),
           ev("l1", mins(90), "labeled", label="production")], labels=("production",)),
     [(CANCELLED, 30, None, (NOT_A_BUG,))], {}),
    ("retyped to a task and resolved: cancelled",
     jira([change("t1", mins(15), "type_changed", "Bug", "Task"), change("z1", mins(600), "resolution", None, "Done")],
          resolution="Done"),
     [(CANCELLED, 15, None, (NOT_A_BUG,))], {}),
    # 7. Closed without a fix.
    ("GitHub: closed as not planned",
     item([ev("x1", mins(20), "closed", reason="not_planned")], labels=("production",)),
     [(CANCELLED, 20, None, ("closed as not planned",))], {}),
    ("GitHub: closed as duplicate",
     item([ev("x1", mins(400), "closed", reason="duplicate")], labels=("production",)),
     [(CANCELLED, 400, None, ("closed as duplicate",))], {}),
    ("Jira: resolved as Won't Fix",
     jira([status("s1", mins(10), "To Do", "Done", "done"), change("z1", mins(10), "resolution", None, "Won't Fix")],
          status="Done", resolution="Won't Fix"),
     [(CANCELLED, 10, None, ("resolved as Won't Fix",))], {}),
    ("Jira: resolved as Fixed is met", jira([change("z1", mins(10), "resolution", None, "Fixed")], resolution="Fixed"),
     [(MET, 10, None, ())], {}),
    ("Jira: the contract's own no-fix list",
     jira([change("z1", mins(10), "resolution", None, "Not a bug")], resolution="Not a bug"),
     [(CANCELLED, 10, None, ("resolved as Not a bug",))], {"no_fix_resolutions": frozenset({"not a bug"})}),
    ("a no-fix close reopened and then fixed is met",
     item([ev("x1", mins(20), "closed", reason="not_planned"), ev("r1", mins(30), "reopened"),
           ev("x2", mins(60), "closed", reason="completed")], labels=("production",)),
     [(MET, 50, None, ())], {}),
    # 8. Reopen: the same clock by default, a new cycle by option.
    ("a reopen resumes the same clock",
     item([ev("x1", mins(20), "closed", reason="completed"), ev("r1", mins(100), "reopened"),
           ev("x2", mins(130), "closed", reason="completed")], labels=("production",)),
     [(MET, 50, None, ())], {}),
    ("with reopen: new_cycle a reopen starts a new clock",
     item([ev("x1", mins(20), "closed", reason="completed"), ev("r1", mins(100), "reopened"),
           ev("x2", mins(130), "closed", reason="completed")], labels=("production",)),
     [(MET, 20, None, ()), (MET, 30, None, ())], {"reopen_new_cycle": True}),
    # 9. Credit: the developer who held it longest while it ran; never a bot or a client person.
    ("credited to the longest holder",
     item([ev("a1", mins(0), "assigned", assignee="ann"), ev("a2", mins(10), "assigned", assignee="bob"),
           ev("u1", mins(10), "unassigned", assignee="ann"), ev("x1", mins(60), "closed", reason="completed")],
          labels=("production",), assignees=("bob",), developers=TEAM),
     [(MET, 60, "bob", ())], {}),
    ("a bot holder is never credited",
     item([ev("a1", mins(0), "assigned", assignee="dependabot"), ev("a2", mins(50), "assigned", assignee="ann"),
           ev("x1", mins(60), "closed", reason="completed")],
          labels=("production",), assignees=("dependabot", "ann"), developers=TEAM),
     [(MET, 60, "ann", ())], {}),
    ("an open clock goes to whoever holds it now",
     item([ev("a1", mins(0), "assigned", assignee="ann"), ev("u1", mins(100), "unassigned", assignee="ann"),
           ev("a2", mins(100), "assigned", assignee="bob")],
          labels=("production",), assignees=("bob",), developers=TEAM),
     [(BREACHED, 0, "bob", ())], {}),
    ("held only by a client person: the fixing pull request's author",
     item([ev("a1", mins(0), "assigned", assignee="carol"), ev("x1", mins(61), "closed", reason="completed")],
          labels=("production",), assignees=("carol",), developers=TEAM,
          fixed_by=(FixLink("acme/app#9", mins(60), "dev", "merged:acme/app#9"),)),
     [(MET, 60, "dev", ())], {}),
]


@pytest.mark.parametrize(("case", "history", "expected", "options"), BUG_CASES, ids=[c[0] for c in BUG_CASES])
def test_bug_fix_rules(case, history, expected, options):
    assert outcome(history, ClockKind.BUG_FIX, **options) == expected


def test_a_bug_clock_lists_each_holder_and_their_share():
    history = item([ev("a1", mins(0), "assigned", assignee="ann"), ev("a2", mins(40), "assigned", assignee="bob"),
                    ev("u1", mins(40), "unassigned", assignee="ann"), ev("x1", mins(60), "closed", reason=None)],
                   labels=("production",), assignees=("bob",), developers=TEAM)
    [clock] = [c for c in compute_clocks(history, policy()) if c.kind is ClockKind.BUG_FIX]
    assert clock.holders == (("ann", 2400), ("bob", 1200))
    assert clock.developer == "ann"


def test_a_cancelled_bug_clock_ends_where_it_stopped_being_one_with_the_reason_in_its_evidence():
    history = item([ev("u1", mins(30), "unlabeled", label="production")])
    [clock] = [c for c in compute_clocks(history, policy()) if c.kind is ClockKind.BUG_FIX]
    assert (clock.cancelled, clock.stopped_at, clock.deadline, clock.at_risk_at) == (True, mins(30), None, None)
    assert [(e.role, e.activity_id, e.note) for e in clock.evidence][-1] == (EvidenceRole.STOP, "u1", NOT_A_BUG)


def test_closing_before_an_answer_is_written_in_the_evidence():
    history = item([ev("x1", mins(20), "closed", CLIENT)])
    [clock] = [c for c in compute_clocks(history, policy()) if c.kind is ClockKind.RESPONSE]
    trail = [(e.role, e.note) for e in clock.evidence]
    assert trail == [(EvidenceRole.START, None), (EvidenceRole.STOP, THREAD_CLOSED)]


def test_cancelled_clocks_are_counted_apart_from_attainment_and_durations():
    withdrawn = item([msg("c1", mins(1), CLIENT, deleted_at=mins(5), deleted_by="carol")], author="dev",
                     author_role=DEV, key="acme/app#1")
    answered = item([msg("d1", mins(10), DEV)], key="acme/app#2")
    clocks = [c for h in (withdrawn, answered) for c in compute_clocks(h, policy())]
    stats = summarize(clocks, LATER)
    assert (stats.clocks, stats.met, stats.breached, stats.cancelled, stats.attainment) == (1, 1, 0, 1, 1.0)
    assert stats.median_seconds == 600


def test_clocks_that_start_before_the_contract_are_not_counted():
    history = item([msg("d1", mins(10), DEV), msg("c2", mins(600), CLIENT), msg("d2", mins(610), DEV)])
    clocks = compute_clocks(history, policy(since=mins(60)))
    assert [(c.started_at, c.elapsed_seconds) for c in clocks] == [(mins(600), 600)]
