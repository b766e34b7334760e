"""report: who gets the weekly one-on-one report and the disagreement warnings; off by default, refused when wrong."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, ReportSpec, parse_contracts

CONTRACT = """
people:
  - {{id: anna, name: Anna Berg, role: developer, emails: [anna@example.com]}}
  - {{id: noemail, name: No Mail, role: developer}}
  - {{id: alice, name: Alice Meyer, role: client, emails: [alice@acme.test]}}
clients:
  - name: acme
    github_repos: [acme/shop]
{keys}
"""


def _report(keys: str) -> ReportSpec:
    return parse_contracts(CONTRACT.format(keys=keys), "pulse.yaml").clients["acme"].spec.report


def test_the_report_is_off_by_default():
    spec = _report("")
    assert spec == ReportSpec()
    assert (spec.enabled, spec.to, spec.day, spec.channel, spec.slack_webhook, spec.disagreement_warnings) == (
        False, [], "monday", ["email"], None, True)


def test_a_full_report_key_is_read():
    spec = _report("    report: {enabled: true, to: [anna, pm@example.com], day: Friday, "
                   "channel: [email, slack_webhook], slack_webhook: 'https://hooks.slack.test/T1', "
                   "disagreement_warnings: false}")
    assert spec.to == ["anna", "pm@example.com"] and spec.day == "friday"
    assert spec.channel == ["email", "slack_webhook"] and spec.slack_webhook == "https://hooks.slack.test/T1"
    assert spec.disagreement_warnings is False


def test_one_channel_and_one_recipient_may_be_written_without_a_list():
    spec = _report("    report: {enabled: true, to: pm@example.com, channel: email}")
    assert spec.to == ["pm@example.com"] and spec.channel == ["email"]


@pytest.mark.parametrize(("keys", "message"), [
    ("    report: {day: someday}",
     "clients[acme].report.day: 'someday' is not a day of the week; write one of monday, tuesday, wednesday, "
     "thursday, friday, saturday, sunday"),
    ("    report: {channel: sms}", "clients[acme].report.channel: 'sms' is not a channel; write email, "
                                   "slack_webhook, or both"),
    ("    report: {channel: []}", "clients[acme].report.channel: names no channel"),
    ("    report: {to: ['Anna Berg']}", "clients[acme].report.to: 'Anna Berg' is neither a person id from people: "
                                         "nor an e-mail address like anna@example.com"),
    ("    report: {enabled: true}", "clients[acme].report: the report is switched on for e-mail but to: names "
                                    "nobody"),
    ("    report: {enabled: true, channel: slack_webhook}", "no slack_webhook: address is given"),
    ("    report: {slack_webhook: 'hooks.slack.test/T1'}", "clients[acme].report.slack_webhook:"),
    ("    report: {to: [nobody]}", "clients[acme].report.to: 'nobody' is not a person id in people:"),
    ("    report: {to: [alice]}", "'alice' is a client person at acme; the weekly report is internal"),
    ("    report: {to: [noemail]}", "'noemail' has no e-mail in people:"),
    ("    report: {enabeld: true}", "clients[acme].report.enabeld: is not a known key"),
])
def test_a_wrong_report_key_is_refused_at_start_in_plain_words(keys, message):
    with pytest.raises(ContractsError) as caught:
        _report(keys)
    assert message in str(caught.value)
    assert str(caught.value).startswith("pulse.yaml: ")


def test_a_person_without_e_mail_may_get_the_report_on_slack_only():
    spec = _report("    report: {enabled: true, to: [noemail], channel: slack_webhook, "
                   "slack_webhook: 'https://hooks.slack.test/T1'}")
    assert spec.to == ["noemail"]
