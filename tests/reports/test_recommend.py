"""Each client's 0-10 recommendation: the newest score and the last quarter beside the one before, on the
overview and in GET /v1/clients (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.db import transaction
from app.core.tables import Feedback
from app.reports.recommend import NONE, recommendations
from tests.conftest import AUTH

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _rate(factory, monday: datetime, recommend: int | None, developer: str = "") -> None:
    with transaction(factory) as s:
        s.add(Feedback(client="acme", developer=developer, period_start=monday, period_end=monday + timedelta(days=7),
                       clarity=4, recommend=recommend, origin="survey", created_at=monday, updated_at=monday))


def test_latest_score_and_the_quarter_trend(factory):
    _rate(factory, datetime(2026, 1, 5, tzinfo=UTC), 5)  # 161 days back: the quarter before
    _rate(factory, datetime(2026, 2, 9, tzinfo=UTC), 6)
    _rate(factory, datetime(2026, 4, 20, tzinfo=UTC), 8)  # the last 91 days
    _rate(factory, datetime(2026, 6, 1, tzinfo=UTC), 9, developer="olena")
    _rate(factory, datetime(2026, 6, 8, tzinfo=UTC), None)  # rated, but not asked the 0-10 question
    with factory() as s:
        scores = recommendations(s, ["acme", "globex"], NOW)
    acme = scores["acme"]
    assert (acme.latest, acme.latest_period, acme.last_quarter, acme.quarter_before, acme.answers) == (
        9, "2026-W23", 8.5, 5.5, 2)
    assert acme.trend == "up" and scores["globex"] is NONE and NONE.trend == ""


def test_the_overview_and_the_api_show_it(app, client, factory):
    now = datetime.now(UTC)
    monday = datetime.combine((now - timedelta(days=now.weekday() + 7)).date(), datetime.min.time(), UTC)
    _rate(factory, monday - timedelta(weeks=16), 9)
    _rate(factory, monday, 7)
    body = client.get("/v1/clients", headers=AUTH).json()
    [acme] = [c for c in body["clients"] if c["name"] == "acme"]
    assert acme["recommend"]["latest"] == 7 and acme["recommend"]["trend"] == "down"
    assert acme["recommend"]["last_quarter"] == 7.0 and acme["recommend"]["quarter_before"] == 9.0
    client.cookies.clear()
    assert client.post("/login", data={"token": "test-token-0123456789"}, follow_redirects=False).status_code == 303
    page = client.get("/").text
    assert "Would recommend us:" in page and "<strong>7/10</strong>" in page
    assert "▼ last quarter 7.0 after 9.0" in page
