"""The weekly report on a small stored history, on both databases: figures, late items with links, flagged
messages, ratings, alignment and talking points, in Markdown and in HTML that parses."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from app.reports.weekly import WeeklyReportError, resolve_week, weekly_report
from app.reports.weekly_render import html, markdown, slack_text
from metrics.calendar import Calendar
from tests.reports.weekly.conftest import NOW, PUBLIC, rate

KYIV = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00")


def _report(factory, contracts, **kwargs):
    with factory() as session:
        return weekly_report(session, contracts, now=NOW, public_url=PUBLIC, **kwargs)


def test_the_last_full_week_is_the_clients_own():
    # Sunday 23:30 UTC is already Monday 01:30 in Kyiv: its last full week is the one that just ended.
    week = resolve_week(None, KYIV, datetime(2024, 3, 10, 23, 30, tzinfo=UTC))
    assert (week.name, week.since, week.until) == ("2024-W10", datetime(2024, 3, 3, 22, tzinfo=UTC),
                                                   datetime(2024, 3, 10, 22, tzinfo=UTC))
    assert resolve_week(None, Calendar.always_on(), datetime(2024, 3, 10, 23, 30, tzinfo=UTC)).name == "2024-W09"
    assert resolve_week("2024-w09", KYIV, NOW).since == datetime(2024, 2, 25, 22, tzinfo=UTC)


@pytest.mark.parametrize(("text", "message"), [
    ("2024-03", "'2024-03' is not a week; write an ISO week like 2026-W47."),
    ("2024-W54", "'2024-W54' is not a week"),
    ("2024-W12", "The week 2024-W12 has not begun yet"),
])
def test_a_week_that_is_no_week_is_refused_in_plain_words(text, message):
    with pytest.raises(WeeklyReportError, match=message):
        resolve_week(text, KYIV, NOW)


def test_the_clients_week_beside_the_week_before(history, factory, contracts):
    report = _report(factory, contracts, client="acme")
    assert (report.week.name, report.last_week.name, report.title) == (
        "2024-W10", "2024-W09", "Weekly one-on-one: acme, 2024-W10")
    answers, bugs = report.promise("responsiveness"), report.promise("bug_fix")
    assert (answers.this["clocks"], answers.this["met"], answers.this["breached"]) == (3, 1, 2)
    assert (answers.last["clocks"], answers.last["met"], answers.last["attainment"]) == (1, 1, 1.0)
    assert answers.this["median"] == "50 min" and answers.last["median"] == "5 min"
    assert (bugs.this["clocks"], bugs.this["breached"], bugs.this["median"]) == (1, 1, "4 h 30 min")

    late = {c.item_key: c for c in report.late}
    assert set(late) == {"acme/shop#3", "acme/shop#4", "acme/shop#5"}
    assert late["acme/shop#4"].outside_working_hours and not late["acme/shop#3"].outside_working_hours
    assert late["acme/shop#4"].started_local == "Sat 9 Mar 12:00 Europe/Kyiv time"
    assert late["acme/shop#4"].elapsed_seconds == 3600  # counted from Monday 09:00 in Kyiv
    assert late["acme/shop#5"].kind == "bug_fix" and late["acme/shop#5"].developer == "Olena Koval"
    assert late["acme/shop#3"].item_url == "https://github.com/acme/shop/issues/3"
    assert late["acme/shop#3"].evidence_url == (
        "https://pulse.example.com/items/github/acme/shop/3#clock-github-acme-shop-3-response-0")

    [flagged] = report.flagged
    assert flagged.item_key == "acme/shop#3" and flagged.developer == "Olena Koval"
    assert ("deploy", "put live") in {(t.term, t.suggestion) for t in flagged.terms}
    assert [(r.period, r.clarity, r.comment) for r in report.ratings] == [
        ("2024-W10", 2, "We often ask twice what a change means.")]  # the week before's rating is not this week's
    team = report.alignments[0]
    assert team.developer is None and [p.promise for p in team.promises] == ["responsiveness", "fix_speed", "clarity"]

    rules = [p.rule for p in report.talking_points]
    assert rules == ["breached_fix", "late_outside_hours", "worsening", "low_rating_comment", "flagged_term",
                     "flagged_term", "flagged_term"]
    texts = [p.text for p in report.talking_points]
    assert "1 of the 2 late answers was to messages sent outside acme's working hours" in texts[1]
    assert texts[2] == "Answers on time fell from 100 % last week to 33 %: find out what got in the way."


def test_a_developers_week_counts_only_their_clocks_in_utc_weeks(history, factory, contracts):
    report = _report(factory, contracts, developer="olena")
    assert report.week.timezone == "UTC" and report.name == "Olena Koval"
    assert report.promise("responsiveness").this["clocks"] == 3
    assert report.ratings == ()  # acme rated the team, not Olena
    assert [p.rule for p in report.talking_points][-1] == "no_ratings"
    assert report.talking_points[-1].text == ("No client rated Olena Koval this week: ask acme how working with "
                                              "Olena Koval went.")
    marco = _report(factory, contracts, developer="marco")
    assert marco.promise("responsiveness").this["clocks"] == 0 and marco.late == ()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "Say whose week to report"),
    ({"client": "initech"}, "No client named 'initech'; the contracts list acme."),
    ({"developer": "nobody"}, "No person with id 'nobody'"),
])
def test_a_report_that_cannot_be_made_says_why(factory, contracts, kwargs, message):
    with pytest.raises(WeeklyReportError, match=message):
        _report(factory, contracts, **kwargs)


class _Balanced(HTMLParser):
    """Check that every element opened is closed in order (void elements aside) and collect the links."""

    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.styled = 0
        self.forbidden: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "link", "style", "img", "iframe"):
            self.forbidden.append(tag)
        if tag == "a":
            self.links.append(attributes["href"])
        self.styled += "style" in attributes
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_markdown_and_html_say_the_same_from_the_same_data(history, factory, contracts):
    report = _report(factory, contracts, client="acme")
    md, page = markdown(report), html(report)
    assert md.startswith("# Weekly one-on-one: acme, 2024-W10\n")
    assert "| Answers on time | 33 % (1 of 3) | 100 % (1 of 1) |" in md
    assert "[evidence](<https://pulse.example.com/items/github/acme/shop/3#clock-github-acme-shop-3-response-0>)" in md
    assert "acme/shop\\#5" in md  # what a client wrote cannot turn into Markdown of its own
    parser = _Balanced()
    parser.feed(page)
    parser.close()
    assert parser.stack == [] and parser.forbidden == []
    assert parser.styled > 20  # styles inline: mail programs drop style sheets
    assert "https://pulse.example.com/items/github/acme/shop/3#clock-github-acme-shop-3-response-0" in parser.links
    assert "https://github.com/acme/shop/issues/5" in parser.links
    words = " ".join(" ".join(parser.text).split())
    for point in report.talking_points:
        assert point.text in words
        assert point.text.replace("#", "\\#") in md
    assert "We often ask twice what a change means." in words
    slack = slack_text(report)
    assert slack.startswith("*Weekly one-on-one: acme, 2024-W10*\n")
    assert "<https://pulse.example.com/clients/acme|Open the dashboard>" in slack


def test_html_escapes_what_clients_and_developers_wrote(client, factory, contracts):
    rate(factory, contracts, period="2024-W10", clarity=2, comment="<script>alert(1)</script> & more")
    report = _report(factory, contracts, client="acme")
    page = html(report)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "\\<script\\>" in markdown(report)


def test_a_months_rating_is_listed_once_in_the_week_its_month_ends_and_never_sways_a_weeks_verdict(
        history, factory, contracts):
    before = _report(factory, contracts, client="acme")
    rate(factory, contracts, period="2024-03", clarity=1, responsiveness=1, comment="March was hard.")
    rate(factory, contracts, period="2024-02", clarity=1, comment="February too.")  # ends on Thursday of W09
    week10 = _report(factory, contracts, client="acme")
    assert week10.ratings == before.ratings  # neither month ends in 2024-W10
    assert week10.alignments == before.alignments
    assert [(r.period, r.comment) for r in _report(factory, contracts, client="acme", week="2024-W09").ratings] == [
        ("2024-W09", "Last week was fine."), ("2024-02", "February too.")]
    with factory() as session:  # Mon 25 - Sun 31 March, read in April
        week13 = weekly_report(session, contracts, now=datetime(2024, 4, 2, tzinfo=UTC), public_url=PUBLIC,
                               client="acme", week="2024-W13")
    assert [(r.period, r.clarity) for r in week13.ratings] == [("2024-03", 1)]
    assert all(p.ratings == 0 for a in week13.alignments for p in a.promises), \
        "a month's rating is judged by the month's warning, not by a week's verdict"
