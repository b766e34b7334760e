"""production_bug: which Jira resolutions close a bug without a fix, and whether a reopen resumes its clock."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, parse_contracts
from app.contracts.schema import NO_FIX_RESOLUTIONS
from metrics.calendar import Calendar
from metrics.model import ClockPolicy

CONTRACT = """
clients:
  - name: acme
    github_repos: [acme/shop]
{keys}
"""
DEFAULT_NO_FIX = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce", "declined"})


def _policy(keys: str) -> ClockPolicy:
    return parse_contracts(CONTRACT.format(keys=keys), "pulse.yaml").clients["acme"].policy


@pytest.mark.parametrize(
    ("keys", "no_fix", "new_cycle"),
    [
        ("", DEFAULT_NO_FIX, False),
        ("    production_bug: {labels: [production]}", DEFAULT_NO_FIX, False),
        ("    production_bug: {reopen: resume}", DEFAULT_NO_FIX, False),
        ("    production_bug: {reopen: new_cycle}", DEFAULT_NO_FIX, True),
        ('    production_bug: {no_fix_resolutions: ["Won\'t Fix", "Not a Bug"]}', {"won't fix", "not a bug"}, False),
        ("    production_bug: {no_fix_resolutions: [DUPLICATE, duplicate]}", {"duplicate"}, False),
        ("    production_bug: {no_fix_resolutions: [], reopen: new_cycle}", frozenset(), True),
    ],
)
def test_no_fix_resolutions_and_reopen_fill_the_policy(keys, no_fix, new_cycle):
    policy = _policy(keys)
    assert policy.no_fix_resolutions == frozenset(no_fix)
    assert policy.reopen_new_cycle is new_cycle


def test_the_contract_default_is_the_clock_default():
    always = Calendar.always_on()
    clock_default = ClockPolicy(1, 1, 0.5, always, always).no_fix_resolutions
    assert frozenset(name.lower() for name in NO_FIX_RESOLUTIONS) == clock_default == DEFAULT_NO_FIX


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("    production_bug: {reopen: restart}",
         "pulse.yaml: clients[acme].production_bug.reopen: Input should be 'resume' or 'new_cycle'"),
        ('    production_bug: {no_fix_resolutions: ["Duplicate", " "]}',
         "pulse.yaml: clients[acme].production_bug.no_fix_resolutions: a resolution name is empty; "
         "write the names as Jira shows them, like Won't Fix"),
        ("    production_bug: {no_fix_resolutions: Duplicate}",
         "pulse.yaml: clients[acme].production_bug.no_fix_resolutions: Input should be a valid list"),
        ("    production_bug: {no_fix_resolution: [Duplicate]}",
         "pulse.yaml: clients[acme].production_bug.no_fix_resolution: is not a known key"),
    ],
)
def test_a_wrong_option_names_the_client_and_the_key(keys, message):
    with pytest.raises(ContractsError) as info:
        _policy(keys)
    assert str(info.value).startswith(message)
