"""The survey: key: off by default, plain spans for reminders and link lifetimes, a bad value refused at start."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, parse_contracts

BASE = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
  - {id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, emails: [alice@acme.test]}
  - {id: bob, name: Bob Stone, role: client, clients: [acme], github: bob-acme}
clients:
  - name: acme
    github_repos: [acme/shop]
"""


def _survey(body: str):
    return parse_contracts(BASE + "    survey: " + body + "\n", "pulse.yaml").clients["acme"].spec.survey


def test_surveys_are_off_unless_switched_on():
    survey = parse_contracts(BASE).clients["acme"].spec.survey
    assert survey.enabled is False and survey.email is True and survey.every is None


def test_the_keys_read_in_plain_words():
    survey = _survey("{after_bug_fix: true, every: month, remind_after: 2 days, link_lifetime: 10 days, "
                     "slack_webhook: 'https://hooks.slack.test/x', people: [alice]}")
    assert survey.enabled and survey.after_bug_fix and survey.every == "month"
    assert survey.remind_after == 2 * 86400 and survey.link_lifetime == 10 * 86400
    assert survey.people == ["alice"] and survey.slack_webhook == "https://hooks.slack.test/x"
    assert _survey("{every: week, remind_after: off}").remind_after is None
    assert _survey("{every: week, remind_after: 36 hours}").remind_after == 36 * 3600
    assert _survey("{every: week, remind_after: 3d}").remind_after == 3 * 86400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{every: fortnight}", "clients[acme].survey.every: 'fortnight' is not how often to ask; write week or month"),
        ("{every: week, remind_after: soon}", "clients[acme].survey.remind_after: 'soon' is not a length of time; "
                                              "write it like 3 days, 36 hours or 3d, or off"),
        ("{every: week, link_lifetime: 200 days}", "is longer than 90 days"),
        ("{every: week, link_lifetime: off}", "clients[acme].survey.link_lifetime: cannot be off"),
        ("{every: week, slack_webhook: 'http://plain.test/x'}", "clients[acme].survey.slack_webhook"),
        ("{every: week, email: false}", "surveys are on but go nowhere: keep email: true or give slack_webhook:"),
        ("{every: week, remind_after: 20 days}", "remind_after must be shorter than link_lifetime"),
        ("{every: week, ask: [alice]}", "clients[acme].survey.ask: is not a known key"),
        ("{after_bug_fix: yes please}", "clients[acme].survey.after_bug_fix"),
        ("{every: week, people: [olena]}", "clients[acme].survey.people: 'olena' is not a person with role client "
                                           "at acme"),
        ("{every: week, people: [bob]}", "clients[acme].survey: surveys go by e-mail but no client contact of acme "
                                         "has an e-mail; add emails: to them, or give slack_webhook:"),
    ],
)
def test_a_bad_value_is_refused_with_the_key_and_what_to_write(body, message):
    with pytest.raises(ContractsError) as info:
        _survey(body)
    assert str(info.value).startswith("pulse.yaml: ")
    assert message in str(info.value)


def test_a_client_without_contacts_cannot_switch_surveys_on():
    text = BASE.replace("role: client, clients: [acme], github: alice-acme", "role: developer, github: alice-acme"
                        ).replace("role: client, clients: [acme], github: bob-acme", "role: bot, github: bob-acme")
    with pytest.raises(ContractsError, match="acme has no contact to ask"):
        parse_contracts(text + "    survey: {every: week}\n")
