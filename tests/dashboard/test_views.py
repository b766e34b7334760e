"""View models on SQLite and PostgreSQL: the dashboard shows the API's own figures, judged by the contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import ClockRow
from app.dashboard.client import client_page
from app.dashboard.developer import developer_page
from app.dashboard.evidence import evidence_page
from app.dashboard.filters import Filters
from app.dashboard.overview import client_weeks, developer_lines, overview, running_now
from app.dashboard.views import Status, urgency
from app.reports.clocks import ClockFilter, open_clock_views
from app.reports.scorecards import client_scorecard, developer_scorecard
from app.store.histories import clock_to_row
from metrics.model import Clock, ClockKind, ClockState
from tests.conftest import AUTH

TOKYO_CONTRACTS = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
clients:
  - name: tokyo
    github_repos: [tokyo/app]
    calendar: {timezone: Asia/Tokyo, working_hours: "24/7"}
"""


def test_running_clocks_show_time_left_and_overdue_ones_before_calm_ones(story, factory, contracts):
    with factory() as session:
        running, hidden = running_now(session, contracts, Filters(), story.now)
    assert hidden == 0
    assert [(r.key, r.state, r.left_words) for r in running] == [
        ("acme/shop#5", ClockState.BREACHED, "overdue by 1 h 30 min"),
        ("acme/shop#4", ClockState.RUNNING, "20 min left"),
    ]
    assert running[0].developer_name == "Unassigned"
    assert running[1].developer_name == "Olena Koval"
    assert running[1].item_href == "/items/github/acme/shop/4"
    assert running[1].due == story.now + timedelta(minutes=20)


def test_an_at_risk_clock_goes_above_an_overdue_one(story, factory, contracts):
    with factory() as session:
        running, _ = running_now(session, contracts, Filters(), story.now + timedelta(minutes=15))
    # #4 is 25 min into its 30 min target: past the contract's 75 %, so at risk, and on top.
    assert [(r.key, r.state) for r in running] == [("acme/shop#4", ClockState.AT_RISK),
                                                  ("acme/shop#5", ClockState.BREACHED)]


def test_running_clocks_follow_the_filters_and_the_limit(story, factory, contracts):
    with factory() as session:
        olena, _ = running_now(session, contracts, Filters(developer="olena"), story.now)
        first, hidden = running_now(session, contracts, Filters(), story.now, limit=1)
    assert [r.key for r in olena] == ["acme/shop#4"]
    assert ([r.key for r in first], hidden) == (["acme/shop#5"], 1)


def test_developer_lines_are_the_scorecard_figures_judged_by_the_thresholds(story, factory, contracts):
    with factory() as session:
        lines = {line.key: line for line in developer_lines(session, contracts, Filters(), Filters().span(story.now),
                                                          story.now)}
    assert set(lines) == {"olena", "marco"}
    olena, marco = lines["olena"], lines["marco"]
    assert (olena.responsiveness.attainment, olena.responsiveness.status) == (1.0, Status.HOLDING)
    assert olena.responsiveness.counts_text == "2 met, 0 late, 1 open"
    assert (olena.bug_fix.attainment, olena.bug_fix.median, olena.bug_fix.status) == (1.0, "2 h", Status.HOLDING)
    assert (marco.responsiveness.attainment_text, marco.responsiveness.status) == ("0 %", Status.BROKEN)
    assert marco.responsiveness.median == "45 min"
    assert (marco.bug_fix.status, marco.bug_fix.label) == (Status.NO_DATA, "No clocks")
    assert olena.href == "/developers/olena"


def test_the_client_card_puts_this_week_beside_last_week(story, factory, contracts):
    with factory() as session:
        weeks = client_weeks(session, contracts, Filters(), story.now)
    (acme,) = weeks
    answers, fixes = acme.promises
    assert answers.words.startswith("answer within 30 minutes")
    assert fixes.name == "Production bugs fixed"
    # The seeded history is three days old: in this week or last, depending on the weekday.
    assert answers.this_week.clocks + answers.last_week.clocks == 5
    assert acme.open_clocks == 2
    assert acme.status in {Status.BROKEN, Status.SLIPPING}


def test_a_developer_filter_shows_only_clients_that_developer_worked_for(story, factory, contracts):
    with factory() as session:
        weeks = client_weeks(session, contracts, Filters(developer="olena"), story.now)
    (acme,) = weeks
    answers = acme.promises[0]
    assert answers.this_week.clocks + answers.last_week.clocks == 3
    assert answers.this_week.breached + answers.last_week.breached == 0


def test_the_developer_page_shows_the_api_scorecard(story, client, factory, contracts):
    api = client.get("/v1/developers/olena", headers=AUTH).json()
    with factory() as session:
        page = developer_page(session, contracts, "olena", Filters(), story.now)
        card = developer_scorecard(session, contracts, "olena", Filters().span(story.now), story.now)
    for promise in ("responsiveness", "bug_fix"):
        cell = getattr(page, promise)
        assert (cell.attainment, cell.met, cell.breached) == (api[promise]["attainment"], api[promise]["met"],
                                                             api[promise]["breached"])
        assert cell.median == (api[promise]["median"] or "–")
    assert len(page.weeks) == len(card["trend"])
    assert [line.key for line in page.per_client] == ["acme"]
    assert [r.key for r in page.running] == ["acme/shop#4"]
    assert page.plain.status is Status.NO_DATA
    assert [(s.name, s.text, s.ratings) for s in page.scores] == [
        ("Responsiveness", "–", 0), ("Fix speed", "–", 0), ("Clarity", "–", 0)]
    assert str(page.chart).startswith("<svg")


def test_the_developer_page_narrows_to_one_client(story, factory, contracts):
    with factory() as session:
        whole = developer_page(session, contracts, "olena", Filters(), story.now)
        acme = developer_page(session, contracts, "olena", Filters(client="acme"), story.now)
    assert acme.responsiveness == whole.responsiveness
    assert acme.weeks == whole.weeks


def test_the_client_page_lists_breaches_with_links_to_their_evidence(story, factory, contracts):
    with factory() as session:
        page = client_page(session, contracts, "acme", Filters(), story.now)
        card = client_scorecard(session, contracts, "acme", Filters().span(story.now), story.now)
    assert page.contract.promises.responsiveness.startswith("answer within 30 minutes")
    assert page.responsiveness.breached == card["responsiveness"]["breached"] == 2
    assert [(b.key, b.kind) for b in page.breaches] == [("acme/shop#5", ClockKind.RESPONSE),
                                                       ("acme/shop#2", ClockKind.RESPONSE)]
    late = page.breaches[1]
    assert (late.state_label, late.over_words, late.developer_name) == ("Late", "15 min", "Marco Rossi")
    assert late.item_href == "/items/github/acme/shop/2"
    assert late.anchor == "clock-github-acme-shop-2-response-0"
    assert late.external_url == "https://github.com/acme/shop/issues/2"
    assert page.more_breaches is None
    assert page.team.name == "acme"
    assert {line.promise for line in page.team.lines} == {"Responsiveness", "Fix speed", "Clarity"}
    assert {g.name for g in page.alignment} == {"Olena Koval", "Marco Rossi"}


def test_breaches_page_with_a_cursor(story, factory, contracts, monkeypatch):
    monkeypatch.setattr("app.dashboard.client.BREACHES_SHOWN", 1)
    with factory() as session:
        first = client_page(session, contracts, "acme", Filters(), story.now)
        second = client_page(session, contracts, "acme", Filters(), story.now, cursor=first.more_breaches)
    assert [b.key for b in first.breaches] == ["acme/shop#5"]
    assert first.more_breaches is not None
    assert [b.key for b in second.breaches] == ["acme/shop#2"]


def test_the_evidence_page_marks_the_activities_that_started_and_stopped_each_clock(story, factory, contracts):
    with factory() as session:
        page = evidence_page(session, contracts, "github", "acme/shop/2")
        missing = evidence_page(session, contracts, "github", "acme/shop/99")
    assert missing is None
    assert page is not None
    (clock,) = page.clocks
    assert (clock.kind_words, clock.state_label) == ("Answer", "Late")
    assert clock.anchor == "clock-github-acme-shop-2-response-0"
    assert [(s.role, s.activity_id) for s in clock.steps] == [("Start", "opened:acme/shop#2"), ("Stop", "comment:21")]
    anchors = {a.anchor for a in page.activities}
    assert all(s.on_page in anchors for s in clock.steps)
    cited = {a.activity.id: a.cited for a in page.activities}
    assert cited["comment:21"] == ["stopped answer clock #1"]


def test_the_whole_overview_builds_for_every_filter(story, factory, contracts):
    with factory() as session:
        for filters in (Filters(), Filters(period="7d"), Filters(client="acme", developer="marco"),
                        Filters(period="365d", developer="olena")):
            page = overview(session, contracts, filters, story.now)
            assert page.span.until == story.now
            assert page.this_week.since <= story.now


def test_the_database_ranks_running_clocks_as_urgency_does(story, client, factory, contracts):
    # Two more open clocks, so all four ranks meet: #6 older than #5 (both overdue), #7 just opened.
    from tests.conftest import post_github
    from tests.payloads import issue, issue_event

    for number, age in ((6, timedelta(hours=5)), (7, timedelta(minutes=1))):
        item = issue(number, "alice-acme", story.now - age, title=f"Item {number}", assignees=("marco-codes",))
        assert post_github(client, "issues", issue_event("opened", item, "alice-acme")).status_code in (200, 202)
    later = story.now + timedelta(minutes=15)
    with factory() as session:
        ranked, hidden = running_now(session, contracts, Filters(), later)
        views = open_clock_views(session, ClockFilter(), contracts, later)
    expected = [v.clock.item_key for v in sorted(views, key=lambda v: urgency(v.clock, later))]
    assert [line.key for line in ranked] == expected == ["acme/shop#4", "acme/shop#5", "acme/shop#6", "acme/shop#7"]
    assert [line.state for line in ranked] == [ClockState.AT_RISK, ClockState.BREACHED, ClockState.BREACHED,
                                               ClockState.RUNNING]
    assert hidden == 0


def test_a_clients_page_shows_its_own_weeks_and_says_so(factory):
    """Sunday 23:30 UTC is Monday morning in Tokyo: the client page counts it in Tokyo's week; a developer's, in UTC."""
    contracts = parse_contracts(TOKYO_CONTRACTS, "test pulse.yaml")
    started, now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC), datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    clock = Clock(kind=ClockKind.RESPONSE, source="github", item_key="tokyo/app#1", client="tokyo", seq=0,
                  developer="olena", started_at=started, stopped_at=started + timedelta(minutes=5),
                  elapsed_seconds=300, target_seconds=1800, running_since=None, deadline=None, at_risk_at=None,
                  evidence=())
    with transaction(factory) as session:
        session.execute(insert(ClockRow), [clock_to_row(clock)])
    with factory() as session:
        tokyo = client_page(session, contracts, "tokyo", Filters(period="7d"), now)
        olena = developer_page(session, contracts, "olena", Filters(period="7d"), now)
        olena_at_tokyo = developer_page(session, contracts, "olena", Filters(period="7d", client="tokyo"), now)
    assert (tokyo.week_time_zone, olena.week_time_zone, olena_at_tokyo.week_time_zone) == (
        "Asia/Tokyo", "UTC", "Asia/Tokyo")
    for page, week in ((tokyo, "2026-W10"), (olena, "2026-W09"), (olena_at_tokyo, "2026-W10")):
        assert [line.week for line in page.weeks if line.responsiveness.clocks] == [week]
