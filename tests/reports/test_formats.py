"""UTC text with Z, CSV that spreadsheets cannot run, promises in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.contracts import parse_contracts
from app.reports.formats import csv_text, utc_text
from app.reports.promises import promise_words


def test_utc_text_writes_z_and_keeps_fractions_only_when_present():
    kyiv = timezone(timedelta(hours=2))
    assert utc_text(datetime(2026, 3, 2, 9, 0, tzinfo=kyiv)) == "2026-03-02T07:00:00Z"
    assert utc_text(datetime(2026, 3, 2, 7, 0, 0, 250000, tzinfo=UTC)) == "2026-03-02T07:00:00.250000Z"
    assert utc_text(None) is None
    with pytest.raises(ValueError, match="no time zone"):
        utc_text(datetime(2026, 3, 2, 7, 0))  # noqa: DTZ001


def test_csv_neutralizes_formulas_and_writes_times_in_utc():
    text = csv_text(["a", "b", "c", "d"], [{"a": "=1+1", "b": "-2", "c": datetime(2026, 3, 2, tzinfo=UTC), "d": None},
                                           {"a": "plain", "b": 3, "c": True}])
    assert text.splitlines() == ["a,b,c,d", "'=1+1,'-2,2026-03-02T00:00:00Z,", "plain,3,true,"]


def test_promises_in_words_follow_each_calendar():
    contracts = parse_contracts("""
clients:
  - name: acme
    calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00", holidays: UA}
    targets: {response_time: 30m, production_bug_fix: 1h30m}
    bug_fix_calendar: 24/7
""")
    assert promise_words(contracts.clients["acme"]) == {
        "responsiveness": "answer within 30 minutes, Mon\u2013Fri 09:00\u201318:00 Europe/Kyiv time, public "
                          "holidays of UA",
        "bug_fix": "fix production bugs within 90 minutes, around the clock",
    }
