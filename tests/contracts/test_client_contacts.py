"""Who a client's contacts are: the people its survey.people lists, else those with role client there who name it in
clients:; a person with role client who names no client is nobody's contact. Wrong entries are refused at start."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, parse_contracts

PEOPLE = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev, emails: [olena@team.test]}
  - {id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, emails: [alice@acme.test]}
  - {id: bob, name: Bob Lindqvist, role: client, clients: [globex], github: bob-globex, emails: [bob@globex.test]}
  - {id: carol, name: Carol Diaz, role: client, github: carol-x, emails: [carol@x.test]}
  - {id: dana, name: Dana Ivanova, role: developer, roles: {globex: client}, clients: [globex], github: dana-dev,
     emails: [dana@globex.test]}
"""
CLIENTS = """
clients:
  - name: acme
    github_repos: [acme/shop]
    survey: {ACME}
  - name: globex
    github_repos: [globex/portal]
    survey: {GLOBEX}
"""


def _contracts(acme: str = "{every: month}", globex: str = "{every: month}", people: str = PEOPLE):
    return parse_contracts(people + CLIENTS.replace("{ACME}", acme).replace("{GLOBEX}", globex), "pulse.yaml")


def _ids(contracts, client: str) -> list[str]:
    return [p.id for p in contracts.survey_contacts(client)]


def test_a_contact_belongs_to_the_clients_they_name_only():
    contracts = _contracts()
    assert _ids(contracts, "acme") == ["alice"]  # not bob, nor carol, though their role is client everywhere
    assert _ids(contracts, "globex") == ["bob", "dana"]  # dana: a developer at acme, globex's own person there
    alice, carol = contracts.people["alice"], contracts.people["carol"]
    assert alice.is_contact_of("acme") and not alice.is_contact_of("globex")
    assert not carol.is_contact_of("acme") and not carol.is_contact_of("globex")


def test_survey_people_choose_the_contacts_instead():
    contracts = _contracts(acme="{every: month, people: [carol]}")
    assert _ids(contracts, "acme") == ["carol"]  # listed by hand: alice is not asked either
    assert _ids(contracts, "globex") == ["bob", "dana"]


def test_without_surveys_a_client_may_have_no_contact():
    contracts = _contracts(acme="{}", globex="{}", people=PEOPLE.replace("clients: [acme], ", ""))
    assert _ids(contracts, "acme") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("clients: [acme], github: alice", "clients: [acme, initech], github: alice"),
         "people[alice].clients: 'initech' is not a client in this file; known clients: acme, globex"),
        (("role: developer, github: olena-dev", "role: developer, clients: [acme], github: olena-dev"),
         "people[olena].clients: 'olena' is a developer at acme, but clients: lists the clients a client contact "
         "works for; take acme out, or write roles: {acme: client} if 'olena' is acme's own person"),
        (("survey: {ACME}", "survey: {every: week, people: [zed]}"),
         "clients[acme].survey.people: 'zed' is not a person in people:; list the ids of acme's own contacts"),
        (("survey: {ACME}", "survey: {every: week, people: [olena]}"),
         "clients[acme].survey.people: 'olena' is not a person with role client at acme (a developer); list acme's "
         "own contacts only"),
        (("survey: {ACME}", "survey: {every: week, people: [bob]}"),
         "clients[acme].survey.people: 'bob' is a contact of globex, not of acme; add acme to their clients: if "
         "they work for acme too, or leave them out"),
        (("clients: [acme], github: alice", "github: alice"),
         "clients[acme].survey: surveys are on but acme has no contact to ask; write clients: [acme] on each of its "
         "people with role client, or list them in survey.people:"),
        (("survey: {ACME}", "survey: {}\n    report: {enabled: true, to: [bob]}"),
         "clients[acme].report.to: 'bob' is a client contact of globex; the weekly report is internal, so send it "
         "to an account manager"),
        (("survey: {ACME}", "survey: {}\n    report: {enabled: true, to: [dana]}"),
         "clients[acme].report.to: 'dana' is a client contact of globex; the weekly report is internal"),
        (("survey: {ACME}", "survey: {}\n    report: {enabled: true, to: [carol]}"),
         "clients[acme].report.to: 'carol' is a client person at acme; the weekly report is internal"),
    ],
)
def test_a_wrong_contact_is_refused_naming_the_person_and_what_to_write(change, message):
    old, new = change
    people, clients = PEOPLE, CLIENTS
    if old in people:
        people = people.replace(old, new)
    else:
        clients = clients.replace(old, new)
    text = people + clients.replace("{ACME}", "{every: month}").replace("{GLOBEX}", "{every: month}")
    with pytest.raises(ContractsError) as info:
        parse_contracts(text, "pulse.yaml")
    assert str(info.value).startswith("pulse.yaml: ")
    assert message in str(info.value)


def test_a_developer_may_still_get_the_report():
    contracts = _contracts(acme="{}\n    report: {enabled: true, to: [olena]}")
    assert contracts.clients["acme"].spec.report.to == ["olena"]
