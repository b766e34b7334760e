"""GET /v1/metrics/plain-language: figures per developer, client or week, each with its messages and words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.api.plain_language import GroupBy, group_figures
from app.core.tables import MessageScore
from app.reports.language_figures import ScoreFilter, Shown, plain_language_figures
from app.reports.plain_language import score_pending
from metrics.calendar import Calendar
from tests.conftest import AUTH
from tests.reports.language.conftest import READ, T0, Thread
from tests.reports.language.test_scoring import CODE_ONLY, JARGON, PLAIN, UKRAINIAN

URL = "/v1/metrics/plain-language"


def _score(factory, contracts) -> None:
    with factory() as session, session.begin():
        score_pending(session, contracts, limit=1000)


def _history(client, factory, contracts) -> None:
    """Olena: 7 plain and 1 jargon message in week 10; Marco: 1 jargon and 1 Ukrainian message in week 11."""
    thread = Thread(client, 1)
    for n in range(1, 8):
        thread.comment(n, "olena-dev", T0 + timedelta(hours=n), PLAIN)
    thread.comment(8, "olena-dev", T0 + timedelta(hours=9), JARGON)
    later = Thread(client, 2, at=T0 + timedelta(days=7))
    later.comment(9, "marco-codes", T0 + timedelta(days=7, minutes=5), JARGON)
    later.comment(10, "marco-codes", T0 + timedelta(days=7, minutes=6), UKRAINIAN)
    later.comment(11, "marco-codes", T0 + timedelta(days=7, minutes=7), CODE_ONLY)
    _score(factory, contracts)


def _groups(api, **params) -> dict[str, dict]:
    r = api.get(URL, params=params, headers=READ)
    assert r.status_code == 200, r.text
    return {g["key"]: g for g in r.json()["groups"]}


def test_per_developer_shares_need_enough_words(client, factory, contracts):
    _history(client, factory, contracts)
    groups = _groups(client)

    olena, marco = groups["olena"], groups["marco"]
    assert olena["name"] == "Olena Koval"
    assert (olena["messages"], olena["scored_messages"], olena["passed_messages"]) == (8, 8, 7)
    assert olena["words"] >= 150 and olena["enough_data"] is True
    assert olena["pass_share"] == 0.875 and olena["note"] is None
    assert (marco["messages"], marco["scored_messages"], marco["skipped_messages"]) == (3, 1, 2)
    assert marco["pass_share"] is None and marco["enough_data"] is False
    assert "Too little to judge yet" in marco["note"] and "150 words" in marco["note"]


def test_a_lower_minimum_gives_a_share_for_fewer_words(client, factory, contracts):
    _history(client, factory, contracts)
    marco = _groups(client, min_words=10)["marco"]
    assert marco["pass_share"] == 0.0 and marco["enough_data"] is True


def test_every_figure_links_to_its_messages_and_flagged_words(client, factory, contracts):
    _history(client, factory, contracts)
    olena = _groups(client)["olena"]

    jargon = olena["shown_messages"][0]  # newest first
    assert jargon["activity_id"] == "comment:8"
    assert jargon["url"] == "https://github.com/acme/shop/issues/1#issuecomment-8"
    assert jargon["title"] == "Checkout is broken" and jargon["passes"] is False
    assert {"term": "idempotent", "count": 1, "suggestion": "safe to repeat"} in jargon["flagged"]
    assert jargon["reasons"]
    top = {t["term"]: t for t in olena["top_flagged"]}
    assert top["deploy"]["suggestion"] == "put live" and top["deploy"]["activity_ids"] == ["comment:8"]
    assert len(olena["shown_messages"]) == 8 and olena["messages_left_out"] == 0


def test_only_failing_messages_and_a_limit(client, factory, contracts):
    _history(client, factory, contracts)
    olena = _groups(client, show="failing")["olena"]
    assert [m["activity_id"] for m in olena["shown_messages"]] == ["comment:8"]
    assert olena["messages_left_out"] == 7
    limited = _groups(client, limit=2)["olena"]
    assert len(limited["shown_messages"]) == 2 and limited["messages_left_out"] == 6
    assert _groups(client, show="none")["olena"]["shown_messages"] == []


def test_group_by_client_and_week_with_filters(client, factory, contracts):
    _history(client, factory, contracts)
    assert set(_groups(client, group_by="client")) == {"acme"}
    weeks = _groups(client, group_by="week")
    assert set(weeks) == {"2024-W10", "2024-W11"}
    assert weeks["2024-W11"]["messages"] == 3
    only_marco = _groups(client, group_by="week", developer="marco")
    assert set(only_marco) == {"2024-W11"}
    since = (T0 + timedelta(days=7)).isoformat()
    assert set(_groups(client, since=since)) == {"marco"}
    assert _groups(client, client="globex") == {}
    assert _groups(client, client="a\x00b") == {}


def test_plain_language_needs_a_token_and_sane_parameters(client):
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=AUTH).status_code == 200
    r = client.get(URL, params={"since": "2024-03-05T00:00:00Z", "until": "2024-03-04T00:00:00Z"}, headers=READ)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "since"
    assert client.get(URL, params={"group_by": "planet"}, headers=READ).status_code == 422
    assert client.get(URL, params={"since": "2024-03-05T00:00:00"}, headers=READ).status_code == 422


def test_scorecard_figures_say_when_there_is_too_little(client, factory, contracts):
    _history(client, factory, contracts)
    with factory() as session:
        olena = plain_language_figures(session, ScoreFilter(client="acme", developer="olena"))
        marco = plain_language_figures(session, ScoreFilter(developer="marco"))
    assert olena["pass_share"] == 0.875 and olena["note"] is None
    assert olena["top_flagged"][0]["count"] == 1
    assert marco["pass_share"] is None and marco["note"].startswith("Too little to judge yet")


def _stored(at: datetime, n: int) -> MessageScore:
    return MessageScore(source="github", external_id=f"comment:{n}", item_key="tokyo/app#1", client="tokyo",
                        developer="olena", at=at, language="en", supported=True, words=20, jargon_share=0.0,
                        unexplained_acronyms=0, avg_words_per_sentence=10.0, readability_grade=6.0, passes=True,
                        flagged=[], reasons=[], scorer_version="1")


WEEKS = {
    "Tokyo's own weeks": ("Asia/Tokyo", {"2026-W10": 2}),
    "UTC weeks": ("UTC", {"2026-W09": 1, "2026-W10": 1}),
}


@pytest.mark.parametrize(("zone", "weeks"), WEEKS.values(), ids=WEEKS.keys())
def test_messages_count_in_the_week_they_were_written_in_the_calendars_time(factory, contracts, zone, weeks):
    """Sunday 23:30 and Monday 00:30 UTC: Monday morning in Tokyo, both in Tokyo's week 10."""
    with factory() as session, session.begin():
        session.add_all([_stored(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), 1),
                         _stored(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), 2)])
    with factory() as session:
        groups = group_figures(session, ScoreFilter(), GroupBy.WEEK, contracts, min_words=1, show=Shown.NONE,
                               limit=0, weeks=Calendar(timezone=zone))
    assert {g.key: g.messages for g in groups} == weeks
