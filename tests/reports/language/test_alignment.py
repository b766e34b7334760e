"""Alignment: delivery figures beside the client's scores, with a verdict and a sentence per promise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.contracts import AlignmentSpec
from app.reports.alignment import DeliveryFigure as Figure
from app.reports.alignment import Verdict, clock_figure, judge
from app.reports.plain_language import score_pending
from metrics.model import Clock, ClockKind
from metrics.stats import summarize
from tests.conftest import AUTH, post_github
from tests.payloads import comment_event, issue, issue_event
from tests.reports.language.conftest import READ, T0, Thread
from tests.reports.language.test_scoring import PLAIN

SPEC = AlignmentSpec()  # good 0.9, poor 0.7, happy 4, unhappy 3, plain pass share 0.8
FINE_UNHAPPY, HAPPY_POOR = Verdict.DELIVERY_FINE_CLIENT_UNHAPPY, Verdict.CLIENT_HAPPY_DELIVERY_POOR
AGREE, UNKNOWN = Verdict.AGREE, Verdict.NOT_ENOUGH_DATA


def _figure(promise: str, value: float | None) -> Figure:
    measure = {"responsiveness": "response_attainment", "fix_speed": "bug_fix_attainment",
               "clarity": "plain_pass_share"}[promise]
    return Figure(measure, value, 10, None if value is not None else "Only 2 of them; at least 5 are needed.")


@pytest.mark.parametrize(("promise", "delivery", "score", "verdict"), [
    ("responsiveness", 0.95, 2.5, FINE_UNHAPPY),
    ("responsiveness", 0.90, 3.0, FINE_UNHAPPY),  # both limits are inclusive
    ("responsiveness", 0.89, 3.0, AGREE),
    ("responsiveness", 0.95, 3.1, AGREE),
    ("responsiveness", 0.60, 4.5, HAPPY_POOR),
    ("responsiveness", 0.70, 4.5, AGREE),  # poor means below 70 %
    ("responsiveness", 0.69, 4.0, HAPPY_POOR),
    ("responsiveness", 0.69, 3.9, AGREE),
    ("responsiveness", 0.95, 4.5, AGREE),
    ("responsiveness", 0.50, 2.0, AGREE),  # both sides see trouble: they agree
    ("responsiveness", 0.80, 3.5, AGREE),
    ("responsiveness", None, 2.0, UNKNOWN),
    ("responsiveness", 0.95, None, UNKNOWN),
    ("fix_speed", 1.0, 2.0, FINE_UNHAPPY),
    ("fix_speed", 0.0, 5.0, HAPPY_POOR),
    ("clarity", 0.80, 3.0, FINE_UNHAPPY),  # plain language has one limit: the pass share
    ("clarity", 0.79, 4.0, HAPPY_POOR),
    ("clarity", 0.79, 3.0, AGREE),
    ("clarity", None, None, UNKNOWN),
])
def test_verdicts_follow_the_contracts_thresholds(promise, delivery, score, verdict):
    result = judge(promise, _figure(promise, delivery), score, 2, SPEC, client="acme")
    assert result.verdict is verdict
    assert result.client_score == score and result.ratings == 2


@pytest.mark.parametrize(("promise", "delivery", "score", "developer", "sentence"), [
    ("responsiveness", 0.95, 2.5, None,
     "Delivery figures say answers are on time (95 %), but acme rates responsiveness 2.5/5."),
    ("responsiveness", 0.6, 4.0, None,
     "acme rates responsiveness 4/5, but delivery figures say only 60 % of answers were on time."),
    ("fix_speed", 1.0, 2.0, "Olena Koval",
     "Delivery figures for Olena Koval say production bugs are fixed in time (100 %), but acme rates "
     "Olena Koval's fix speed 2/5."),
    ("clarity", 0.5, 4.333333, None,
     "acme rates clarity 4.3/5, but delivery figures say only 50 % of messages pass the plain-language check."),
    ("responsiveness", 0.95, 4.5, None,
     "No disagreement: 95 % of answers were on time, and acme rates responsiveness 4.5/5."),
    ("responsiveness", None, 2.0, None, "Only 2 of them; at least 5 are needed."),
    ("clarity", 0.9, None, "Olena Koval", "No rating of Olena Koval's clarity from acme in this period."),
    ("fix_speed", None, None, None,
     "Only 2 of them; at least 5 are needed. No rating of fix speed from acme in this period."),
])
def test_each_verdict_comes_with_a_plain_sentence(promise, delivery, score, developer, sentence):
    result = judge(promise, _figure(promise, delivery), score, 1, SPEC, client="acme", developer_name=developer)
    assert result.explanation == sentence


def test_a_stricter_contract_changes_the_verdict():
    strict = AlignmentSpec(good_attainment=0.99, happy_score=5)
    assert judge("responsiveness", _figure("responsiveness", 0.95), 2, 1, strict, client="acme").verdict is AGREE
    assert judge("responsiveness", _figure("responsiveness", 0.95), 2, 1, SPEC, client="acme").verdict is FINE_UNHAPPY


def _clock(kind: ClockKind, seq: int, elapsed: int, stopped: bool = True) -> Clock:
    start = T0 + timedelta(hours=seq)
    return Clock(kind=kind, source="github", item_key=f"acme/shop#{seq}", client="acme", seq=0, developer="olena",
                 started_at=start, stopped_at=start + timedelta(seconds=elapsed) if stopped else None,
                 elapsed_seconds=elapsed, target_seconds=1800, running_since=None if stopped else start,
                 deadline=None if stopped else start + timedelta(seconds=1800), at_risk_at=None, evidence=())


def test_attainment_needs_enough_decided_clocks():
    now = T0 + timedelta(days=2)

    def stats(clocks):
        return summarize(clocks, now)

    four = [_clock(ClockKind.RESPONSE, n, 600) for n in range(4)]
    assert clock_figure("responsiveness", stats(four)).value is None
    assert "Only 4 client messages answered or overdue" in clock_figure("responsiveness", stats(four)).note
    five = [*four, _clock(ClockKind.RESPONSE, 5, 3600)]
    figure = clock_figure("responsiveness", stats(five))
    assert (figure.value, figure.basis, figure.note) == (0.8, 5, None)
    overdue = [*five, _clock(ClockKind.RESPONSE, 6, 0, stopped=False)]  # still unanswered, past its target
    assert clock_figure("responsiveness", stats(overdue)).value == pytest.approx(4 / 6)
    assert clock_figure("fix_speed", stats([])).note == "No production bugs fixed or overdue in this period."
    assert clock_figure("fix_speed", stats([_clock(ClockKind.BUG_FIX, 1, 600)])).value == 1.0


URL = "/v1/metrics/alignment"
WEEK = {"since": "2024-03-04T00:00:00Z", "until": "2024-03-11T00:00:00Z"}


def _history(client, factory, contracts) -> None:
    """Week 2024-W10: 7 questions answered plainly by Olena in 10 minutes; a production bug Marco fixed late."""
    for n in range(1, 8):
        thread = Thread(client, n, at=T0 + timedelta(hours=n))
        thread.comment(100 + n, "olena-dev", T0 + timedelta(hours=n, minutes=10), PLAIN)
    bug = issue(20, "alice-acme", T0, title="Orders fail", labels=("production",))
    post_github(client, "issues", issue_event("opened", bug, "alice-acme"))
    post_github(client, "issue_comment", comment_event(bug, 200, "marco-codes", T0 + timedelta(minutes=5),
                                                       "On it: orders fail since the last release."))
    done = issue(20, "alice-acme", T0, title="Orders fail", labels=("production",), state="closed",
                 closed=T0 + timedelta(hours=5), state_reason="completed", assignees=("marco-codes",))
    post_github(client, "issues", issue_event("closed", done, "marco-codes"))
    with factory() as session, session.begin():
        score_pending(session, contracts)
    ratings = [
        {"client": "acme", "period": "2024-W10", "responsiveness": 2, "fix_speed": 4, "clarity": 2},
        {"client": "acme", "period": "2024-03", "responsiveness": 3, "comment": "Monthly view."},
        {"client": "acme", "developer": "olena", "period": "2024-W10", "responsiveness": 5, "clarity": 5},
        {"client": "acme", "period": "2024-W12", "responsiveness": 5},  # another week: not counted
    ]
    for rating in ratings:
        assert client.post("/v1/feedback", json=rating, headers=AUTH).status_code == 201


def _promises(block: dict) -> dict[str, dict]:
    return {p["promise"]: p for p in block["promises"]}


def test_alignment_sets_delivery_beside_the_clients_scores(client, factory, contracts):
    _history(client, factory, contracts)
    r = client.get(URL, params={**WEEK, "client": "acme"}, headers=READ)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["since"] == "2024-03-04T00:00:00Z" and [c["client"] for c in body["clients"]] == ["acme"]
    acme = body["clients"][0]
    assert acme["thresholds"]["good_attainment"] == 0.9
    team = _promises(acme["team"])

    answers = team["responsiveness"]
    assert answers["delivery"] == {"measure": "response_attainment", "value": 1.0, "basis": 8, "note": None}
    assert (answers["client_score"], answers["ratings"], answers["verdict"]) == (2.5, 2, "delivery_fine_client_unhappy")
    assert answers["explanation"] == ("Delivery figures say answers are on time (100 %), but acme rates "
                                      "responsiveness 2.5/5.")
    fixes = team["fix_speed"]
    assert (fixes["delivery"]["value"], fixes["delivery"]["basis"], fixes["verdict"]) == (
        0.0, 1, "client_happy_delivery_poor")
    clarity = team["clarity"]
    assert (clarity["delivery"]["value"], clarity["verdict"]) == (1.0, "delivery_fine_client_unhappy")
    assert len(acme["team"]["disagreements"]) == 3

    people = {d["developer"]: d for d in acme["developers"]}
    assert set(people) == {"olena", "marco"}
    olena = _promises(people["olena"])
    assert people["olena"]["name"] == "Olena Koval" and people["olena"]["disagreements"] == []
    assert (olena["responsiveness"]["verdict"], olena["clarity"]["verdict"]) == ("agree", "agree")
    assert olena["fix_speed"]["verdict"] == "not_enough_data"
    marco = _promises(people["marco"])
    assert marco["fix_speed"]["explanation"] == "No rating of Marco Rossi's fix speed from acme in this period."


def test_every_client_is_listed_and_empty_ones_say_why(client, factory, contracts):
    _history(client, factory, contracts)
    body = client.get(URL, params=WEEK, headers=READ).json()
    globex = {c["client"]: c for c in body["clients"]}["globex"]
    assert globex["developers"] == []
    assert {p["verdict"] for p in globex["team"]["promises"]} == {"not_enough_data"}
    assert _promises(globex["team"])["clarity"]["delivery"]["note"].startswith("Too little to judge yet")


def test_alignment_refuses_unknown_clients_and_backwards_periods(client):
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=READ).status_code == 200
    r = client.get(URL, params={"client": "nope"}, headers=READ)
    assert r.status_code == 404 and "known clients: acme, globex" in r.json()["detail"]
    r = client.get(URL, params={"since": WEEK["until"], "until": WEEK["since"]}, headers=READ)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "since"
