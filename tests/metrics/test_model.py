"""The clock policy says which calendar each kind of clock counts its working time in."""

from __future__ import annotations

from metrics.calendar import Calendar
from metrics.model import ClockKind
from tests.metrics.builders import policy

KYIV = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")


def test_each_kind_of_clock_counts_in_its_own_calendar():
    rules = policy(calendar=KYIV, bug_calendar=Calendar.always_on())
    assert rules.calendar_for(ClockKind.RESPONSE) is KYIV
    assert rules.calendar_for(ClockKind.BUG_FIX) == Calendar.always_on()


def test_bug_fixes_count_in_the_working_calendar_unless_the_contract_says_24_7():
    rules = policy(calendar=KYIV)
    assert rules.calendar_for(ClockKind.BUG_FIX) is KYIV
