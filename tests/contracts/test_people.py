"""One person, one entry: an identity belongs to one person, whose role may differ per client (roles:)."""

from __future__ import annotations

import pytest

from app.contracts import ContractsError, parse_contracts
from metrics.model import Role

CLIENTS = """
clients:
  - name: acme
    github_repos: [acme/shop]
    jira_projects: [SHOP]
  - name: globex
    github_repos: [globex/portal]
    jira_projects: [PORTAL]
    unknown_authors: developer
"""

# Dana develops for acme and is the product owner (a client person) at globex.
DANA = """
people:
  - id: dana
    name: Dana Ivanova
    role: developer
    roles: {globex: client}
    github: Dana-Dev
    jira: "acc-dana"
    emails: [dana@example.com]
  - id: lee
    name: Lee Park
    role: client
    roles: {globex: developer}
    github: lee-park
  - id: ci
    name: CI bot
    role: bot
    github: acme-ci
"""


def _people(people: str) -> str:
    return "people:\n" + people + CLIENTS


@pytest.mark.parametrize(
    ("people", "message"),
    [
        (
            "  - {id: dana, name: Dana, role: developer, github: dana}\n"
            "  - {id: dana-2, name: Dana at Globex, role: client, github: Dana}\n",
            "pulse.yaml: people: the GitHub login 'dana' is listed for both 'dana' and 'dana-2'; list it once. "
            "A person with a different role at different clients is one entry with roles: per client",
        ),
        (
            "  - {id: dana, name: Dana, role: developer, jira: acc-1}\n"
            "  - {id: dana-po, name: Dana, role: client, jira: [acc-2, acc-1]}\n",
            "pulse.yaml: people: the Jira account id 'acc-1' is listed for both 'dana' and 'dana-po'; list it once.",
        ),
        (
            "  - {id: dana, name: Dana, role: developer, emails: [Dana@Example.com]}\n"
            "  - {id: olena, name: Olena, role: developer}\n"
            "  - {id: dana-po, name: Dana, role: client, emails: [dana@example.COM]}\n",
            "pulse.yaml: people: the e-mail 'dana@example.com' is listed for both 'dana' and 'dana-po'; list it once.",
        ),
    ],
)
def test_an_identity_listed_for_two_people_names_both(people, message):
    with pytest.raises(ContractsError) as info:
        parse_contracts(_people(people), "pulse.yaml")
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    "people",
    [
        "  - {id: dana, name: Dana, role: developer, github: dana, emails: [dana@example.com, DANA@example.com]}\n",
        "  - {id: dana, name: Dana, role: developer, jira: [acc-1, acc-1]}\n",
        # Jira account ids are compared exactly, as the roster compares them.
        "  - {id: dana, name: Dana, role: developer, jira: acc-a}\n"
        "  - {id: lee, name: Lee, role: client, jira: ACC-A}\n",
        "  - {id: dana, name: Dana, role: developer, github: dana}\n"
        "  - {id: lee, name: Lee, role: client, jira: dana}\n",
    ],
)
def test_an_identity_repeated_within_one_entry_or_across_kinds_is_accepted(people):
    parse_contracts(_people(people))


@pytest.mark.parametrize(
    ("client", "source", "identity", "email", "person", "role"),
    [
        ("acme", "github", "dana-dev", None, "dana", Role.DEVELOPER),
        ("globex", "github", "DANA-DEV", None, "dana", Role.CLIENT),
        ("acme", "jira", "acc-dana", None, "dana", Role.DEVELOPER),
        ("globex", "jira", "acc-dana", None, "dana", Role.CLIENT),
        ("globex", "jira", "acc-unknown", "Dana@Example.com", "dana", Role.CLIENT),
        ("acme", "github", "lee-park", None, "lee", Role.CLIENT),
        ("globex", "github", "lee-park", None, "lee", Role.DEVELOPER),
        ("acme", "github", "acme-ci", None, "ci", Role.BOT),
        ("acme", "github", "stranger", None, "github:stranger", Role.CLIENT),
        ("globex", "github", "stranger", None, "github:stranger", Role.DEVELOPER),
    ],
)
def test_resolve_gives_the_role_a_person_plays_for_that_client(client, source, identity, email, person, role):
    contracts = parse_contracts(DANA + CLIENTS)
    resolved = contracts.resolve(contracts.clients[client], source, identity, email=email)
    assert (resolved.person, resolved.role) == (person, role)


@pytest.mark.parametrize(
    ("client", "developers"),
    [("acme", ["dana"]), ("globex", ["lee"]), (None, ["dana", "lee"])],
)
def test_developers_per_client_and_for_any_client(client, developers):
    contracts = parse_contracts(DANA + CLIENTS)
    assert [p.id for p in contracts.developers(client)] == developers


@pytest.mark.parametrize(
    ("people", "person", "is_developer"),
    [
        (DANA, "dana", True),
        (DANA, "lee", True),
        (DANA, "ci", False),
        (DANA, "nobody", False),
        # Every client overrides the developer role: this person develops for no one.
        ("people:\n  - {id: kim, name: Kim, role: developer, roles: {acme: client, globex: bot}}\n", "kim", False),
    ],
)
def test_is_developer_means_a_developer_for_at_least_one_client(people, person, is_developer):
    assert parse_contracts(people + CLIENTS).is_developer(person) is is_developer


def test_without_clients_the_plain_role_decides_who_is_a_developer():
    contracts = parse_contracts("people:\n  - {id: dana, name: Dana, role: developer}\n")
    assert [p.id for p in contracts.developers()] == ["dana"] and contracts.is_developer("dana")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ("{globx: client}", "pulse.yaml: people[dana].roles: 'globx' is not a client in this file; "
                            "known clients: acme, globex"),
        ("{globx: client, initech: bot}", "pulse.yaml: people[dana].roles: 'globx', 'initech' are not clients "
                                          "in this file; known clients: acme, globex"),
        ("{globex: owner}", "pulse.yaml: people[dana].roles.globex: Input should be 'developer', 'client' or 'bot'"),
        ("[globex]", "pulse.yaml: people[dana].roles: Input should be a valid dictionary"),
    ],
)
def test_wrong_roles_name_the_person_and_the_client(roles, message):
    text = DANA.replace("roles: {globex: client}", f"roles: {roles}") + CLIENTS
    with pytest.raises(ContractsError) as info:
        parse_contracts(text, "pulse.yaml")
    assert str(info.value).startswith(message)
