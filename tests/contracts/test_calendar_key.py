"""calendar: takes a full calendar or the plain words 24/7; bug_fix_calendar: picks business or 24/7."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, parse_contracts
from metrics.calendar import Calendar

CONTRACT = """
clients:
  - name: acme
    github_repos: [acme/shop]
{keys}
"""
KYIV = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")
KYIV_KEYS = '    calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00", holidays: UA}'
ALWAYS = Calendar.always_on()


def _client(keys: str):
    return parse_contracts(CONTRACT.format(keys=keys), "pulse.yaml").clients["acme"]


@pytest.mark.parametrize(
    ("keys", "response", "bug_fix"),
    [
        ("    calendar: 24/7", ALWAYS, ALWAYS),
        ('    calendar: "24/7"\n    bug_fix_calendar: business', ALWAYS, ALWAYS),
        ("    calendar: 24/7\n    bug_fix_calendar: 24/7", ALWAYS, ALWAYS),
        ("    calendar: {timezone: UTC, working_hours: 24/7}", ALWAYS, ALWAYS),
        (KYIV_KEYS, KYIV, KYIV),
        (KYIV_KEYS + "\n    bug_fix_calendar: business", KYIV, KYIV),
        (KYIV_KEYS + "\n    bug_fix_calendar: 24/7", KYIV, ALWAYS),
    ],
)
def test_which_calendar_each_promise_counts_in(keys, response, bug_fix):
    client = _client(keys)
    assert (client.policy.response_calendar, client.policy.bug_fix_calendar) == (response, bug_fix)
    assert client.calendar == response


def test_the_words_24_7_are_the_same_contract_as_a_full_24_7_calendar_in_utc():
    short = _client("    calendar: 24/7")
    full = _client("    calendar: {timezone: UTC, working_hours: 24/7}")
    assert short.spec == full.spec and short.policy == full.policy
    assert short.calendar.is_always_on and short.calendar.describe() == "24/7"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("    calendar: business", "pulse.yaml: clients[acme].calendar: 'business' is not a calendar; write 24/7, "
                                   "or give timezone:, working_hours: and holidays:"),
        ("    calendar: 24x7", "pulse.yaml: clients[acme].calendar: '24x7' is not a calendar; write 24/7"),
        ("    calendar: {timezon: UTC}", "pulse.yaml: clients[acme].calendar.timezon: is not a known key"),
        ("    calendar: 24/7\n    bug_fix_calendar: always", "pulse.yaml: clients[acme].bug_fix_calendar: "
                                                               "Input should be 'business' or '24/7'"),
    ],
)
def test_a_wrong_calendar_names_the_client_and_says_what_to_write(keys, message):
    with pytest.raises(ContractsError) as info:
        _client(keys)
    assert str(info.value).startswith(message)
