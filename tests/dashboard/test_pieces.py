"""Pure pieces of the dashboard: filters and links, statuses, words, and the SVG chart."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.contracts import AlignmentSpec
from app.dashboard.auth import login_url, safe_target
from app.dashboard.charts import trend_chart
from app.dashboard.filters import Filters, last_week, read_filters, this_week, week_start
from app.dashboard.views import Status, anchor, item_href, percent, promise_status, worst
from app.reports.figures import NO_CLOCKS
from metrics.wording import week_name

SPEC = AlignmentSpec(good_attainment=0.9, poor_attainment=0.7)


@pytest.mark.parametrize(("share", "status"), [
    (None, Status.NO_DATA), (1.0, Status.HOLDING), (0.9, Status.HOLDING), (0.8999, Status.SLIPPING),
    (0.7, Status.SLIPPING), (0.6999, Status.BROKEN), (0.0, Status.BROKEN),
])
def test_a_promise_holds_slips_or_breaks_at_the_contracts_thresholds(share, status):
    assert promise_status(share, SPEC) is status


def test_the_worst_status_wins_and_no_data_only_when_nothing_is_known():
    assert worst([Status.HOLDING, Status.BROKEN, Status.NO_DATA]) is Status.BROKEN
    assert worst([Status.NO_DATA, Status.HOLDING]) is Status.HOLDING
    assert worst([]) is Status.NO_DATA


@pytest.mark.parametrize(("share", "text"), [(None, "–"), (1.0, "100 %"), (0.999, "99 %"), (0.7091, "71 %"),
                                             (0.29, "29 %"), (0.0, "0 %")])
def test_a_share_never_rounds_up_to_a_clean_record(share, text):
    assert percent(share) == text


@pytest.mark.parametrize(("source", "key", "href"), [
    ("github", "acme/shop#12", "/items/github/acme/shop/12"),
    ("jira", "SHOP-45", "/items/jira/SHOP-45"),
    ("github", "odd key#x", "/items/github/odd%20key%23x"),
])
def test_work_item_links_need_no_encoded_hash(source, key, href):
    assert item_href(source, key) == href


def test_clock_anchors_are_valid_html_ids():
    assert anchor("github:acme/shop#12:response:0") == "clock-github-acme-shop-12-response-0"
    assert anchor("jira:SHOP-45:bug_fix:1") == "clock-jira-SHOP-45-bug_fix-1"


def test_filters_are_read_from_the_query_and_unknown_values_are_dropped_with_a_notice(contracts):
    known = read_filters({"period": "7d", "client": "acme", "developer": "olena"}, contracts, lambda p: p == "olena")
    assert (known.period, known.client, known.developer, known.notices) == ("7d", "acme", "olena", ())
    odd = read_filters({"period": "2y", "client": "nobody", "developer": "ghost\x00"}, contracts, lambda p: True)
    assert (odd.period, odd.client, odd.developer) == ("30d", None, None)
    assert len(odd.notices) == 3
    assert "'nobody'" in odd.notices[1]
    assert read_filters({"client": "", "developer": ""}, contracts, lambda p: False) == Filters()


def test_filters_write_shareable_links_leaving_defaults_out():
    filters = Filters(period="7d", client="acme", developer="github:some one")
    assert filters.query() == "?period=7d&client=acme&developer=github%3Asome+one"
    assert filters.query(client=None) == "?period=7d&developer=github%3Asome+one"
    assert Filters().query() == ""
    assert Filters(period="30d", client="acme").query(client=None) == ""


def test_weeks_start_on_monday_at_midnight_utc():
    sunday_night = datetime(2026, 3, 8, 23, 59, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    assert week_start(sunday_night) == datetime(2026, 3, 2, tzinfo=UTC)
    assert week_start(monday) == monday
    assert (this_week(monday).since, this_week(monday).until) == (monday, monday)
    assert (last_week(monday).since, last_week(monday).until) == (datetime(2026, 3, 2, tzinfo=UTC), monday)


def test_the_period_ends_now_to_the_second():
    now = datetime(2026, 3, 9, 12, 0, 0, 123456, tzinfo=UTC)
    span = Filters(period="7d").span(now)
    assert (span.since, span.until) == (datetime(2026, 3, 2, 12, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC))


@pytest.mark.parametrize(("target", "safe"), [
    (None, "/"), ("", "/"), ("/", "/"), ("/clients/acme?period=7d", "/clients/acme?period=7d"),
    ("//evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example", "/"), ("/a\r\nSet-Cookie: x", "/"),
    ("javascript:alert(1)", "/"),
])
def test_after_sign_in_only_paths_on_this_site_are_followed(target, safe):
    assert safe_target(target) == safe


def test_the_login_link_carries_the_page_to_return_to():
    assert login_url("/") == "/login"
    assert login_url("/clients/acme?period=7d") == "/login?next=/clients/acme%3Fperiod%3D7d"
    assert login_url("/", expired=True) == "/login?expired=1"


def _week(day: date, answers: float | None, fixes: float | None) -> dict:
    empty = NO_CLOCKS.as_dict()
    return {"week": week_name(day), "starts_on": day,
            "responsiveness": {**empty, "attainment": answers, "met": 9, "breached": 1},
            "bug_fix": {**empty, "attainment": fixes, "met": 1, "breached": 0}}


def test_the_chart_draws_both_promises_names_every_point_and_breaks_lines_at_empty_weeks():
    weeks = [_week(date(2026, 2, 2), 0.9, None), _week(date(2026, 2, 9), None, 1.0),
             _week(date(2026, 2, 16), 0.5, 1.0), _week(date(2026, 2, 23), 1.0, 0.75)]
    svg = str(trend_chart(weeks, good=0.9, title="Olena <Koval> & co", chart_id="t"))
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="t-title t-desc"' in svg
    assert "Olena &lt;Koval&gt; &amp; co" in svg
    assert "Week of 16 Feb: 50 % answers on time (9 met, 1 late)" in svg
    assert "holding at 90 %" in svg
    assert svg.count("<circle") == 3 and svg.count("<rect") == 3
    answers = svg.split('class="series series-answers"')[1].split("</g><g class=\"series")[0]
    assert answers.count("<path") == 1  # 16 Feb to 23 Feb; 2 Feb stands alone after the empty week


def test_the_chart_of_an_empty_period_still_draws_its_axes():
    svg = str(trend_chart([], good=0.9, title="Nothing yet"))
    assert "<path" not in svg and "0%" in svg and "100%" in svg


def test_clock_times_are_said_in_the_clients_own_time_and_in_utc():
    from types import SimpleNamespace

    from app.contracts import parse_contracts
    from app.dashboard.rendering import when_at

    contracts = parse_contracts("""
clients:
  - name: kyiv
    calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00"}
    targets: {response_time: 30m, production_bug_fix: 3h}
  - name: everywhere
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h}
""", "test")
    context = {"request": SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(contracts=contracts)))}
    moment = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    assert when_at(context, moment, "kyiv") == "Mon 2 Mar 10:05 Europe/Kyiv time (08:05 UTC)"
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already Tuesday in Kyiv
    assert when_at(context, late, "kyiv") == "Tue 3 Mar 01:30 Europe/Kyiv time (Mon 2 Mar 23:30 UTC)"
    assert when_at(context, moment, "everywhere") == "Mon 2 Mar 08:05 UTC"
    assert when_at(context, moment, "a client no longer in the contracts") == "Mon 2 Mar 08:05 UTC"
