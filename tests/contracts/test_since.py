"""since: a client's first day counts from the start of that day in the client's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.contracts import ContractsError, parse_contracts

CONTRACT = """
clients:
  - name: acme
    github_repos: [acme/shop]
{keys}
"""


def _policy(keys: str):
    return parse_contracts(CONTRACT.format(keys=keys), "pulse.yaml").clients["acme"].policy


@pytest.mark.parametrize(
    ("keys", "since"),
    [
        ("    since: 2026-03-01\n    calendar: {timezone: Asia/Tokyo}", datetime(2026, 2, 28, 15, tzinfo=UTC)),
        ("    since: 2026-03-01\n    calendar: {timezone: Europe/Kyiv}", datetime(2026, 2, 28, 22, tzinfo=UTC)),
        ("    since: 2026-07-01\n    calendar: {timezone: Europe/Kyiv}", datetime(2026, 6, 30, 21, tzinfo=UTC)),
        # New York moves its clocks at 02:00 that Sunday: midnight is still standard time.
        ("    since: 2026-03-08\n    calendar: {timezone: America/New_York}", datetime(2026, 3, 8, 5, tzinfo=UTC)),
        ("    since: 2026-03-09\n    calendar: {timezone: America/New_York}", datetime(2026, 3, 9, 4, tzinfo=UTC)),
        # Havana skips midnight that Sunday: the day begins at 01:00 local time.
        ("    since: 2026-03-08\n    calendar: {timezone: America/Havana}", datetime(2026, 3, 8, 5, tzinfo=UTC)),
        ('    since: "2026-03-01"\n    calendar: {timezone: Asia/Tokyo}', datetime(2026, 2, 28, 15, tzinfo=UTC)),
        ("    since: 2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("    since: 2026-03-01\n    calendar: 24/7", datetime(2026, 3, 1, tzinfo=UTC)),
        ("    since: 2026-03-01\n    calendar: {timezone: Asia/Tokyo}\n    bug_fix_calendar: 24/7",
         datetime(2026, 2, 28, 15, tzinfo=UTC)),
        ("    calendar: {timezone: Asia/Tokyo}", None),
        ("    since: null", None),
    ],
)
def test_since_is_the_start_of_that_local_day_in_utc(keys, since):
    assert _policy(keys).since == since


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("March 1st", "pulse.yaml: clients[acme].since: 'March 1st' is not a day; write it like 2026-03-01"),
        ("2026-3-1", "pulse.yaml: clients[acme].since: '2026-3-1' is not a day; write it like 2026-03-01"),
        ("2026-03-01 09:00:00", "clients[acme].since: must be a day without a time of day; write it like 2026-03-01"),
        ('"2026-02-30"', "clients[acme].since: '2026-02-30' is not a day; write it like 2026-03-01"),
        ("20260301", "clients[acme].since: 20260301 is not a day; write it like 2026-03-01"),
        ("[2026-03-01]", "clients[acme].since: is not a day; write it like 2026-03-01"),
        ("2026-02-30", "pulse.yaml: a date in the file does not exist (day is out of range for month)"),
    ],
)
def test_a_wrong_since_names_the_client_and_how_to_write_a_day(since, message):
    with pytest.raises(ContractsError) as info:
        _policy(f"    since: {since}")
    assert message in str(info.value)
