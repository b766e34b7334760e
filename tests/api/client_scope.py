"""A history with two clients and an internal note, and the tokens that see one client or all: for the client-scope
tests of the API and the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.contracts import Contracts, parse_contracts
from app.core.tokens import configured_tokens
from tests.api.conftest import READ_TOKEN, seed_story
from tests.conftest import CONTRACTS_YAML, TOKEN, post_github, post_jira, settle
from tests.connectors.jira import payloads as jira
from tests.payloads import REPO, comment_event, issue, issue_event

ACME_TOKEN = "acme-portal-token-0123456789"
GONE_TOKEN = "gone-portal-token-0123456789"
ACME = {"Authorization": f"Bearer {ACME_TOKEN}"}
OTHER_CLIENT = "globex"
SECRET_NOTE = "Internal: the client's budget is nearly spent, do not mention the discount"
JIRA_KEY = "SHOP-77"
GLOBEX_TITLE = "Globex portal login loops"

TWO_CLIENTS_YAML = CONTRACTS_YAML.replace(
    "  - {id: ci, name: CI bot, role: bot, github: acme-ci}",
    "  - {id: ci, name: CI bot, role: bot, github: acme-ci}\n"
    "  - {id: bob, name: Bob Lindqvist, role: client, github: bob-globex}",
) + """
  - name: globex
    github_repos: [globex/portal]
    unknown_authors: client
    calendar: 24/7
    targets: {response_time: 1h, production_bug_fix: 8h}
"""

ALICE = {"accountId": "acc-alice", "displayName": "Alice Meyer"}
OLENA = {"accountId": "acc-olena", "displayName": "Olena Koval"}


def two_clients() -> Contracts:
    return parse_contracts(TWO_CLIENTS_YAML, "two clients pulse.yaml")


def scoped_tokens(clients: list[str] | None = None) -> list:
    """The admin, read and acme tokens of PULSE_API_TOKENS, and one for a client that is later removed."""
    entries = [TOKEN, f"read:{READ_TOKEN}", f"client:acme:{ACME_TOKEN}", f"client:{OTHER_CLIENT}:{GONE_TOKEN}"]
    return configured_tokens(entries, clients)


def _jira_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def seed_two_clients(client) -> datetime:
    """Post the acme story, a breached globex question, and an acme Jira issue with an internal note."""
    story = seed_story(client)
    t = story.now - timedelta(days=2)
    glx = issue(9, "bob-globex", t, title=GLOBEX_TITLE)
    glx |= {"html_url": "https://github.com/globex/portal/issues/9",
            "url": "https://api.github.com/repos/globex/portal/issues/9"}
    repo = {**REPO, "id": 777, "name": "portal", "full_name": "globex/portal",
            "owner": {**REPO["owner"], "login": "globex"}}
    opened = issue_event("opened", glx, "bob-globex") | {"repository": repo}
    answered = comment_event(glx, 91, "olena-dev", t + timedelta(hours=3)) | {"repository": repo}
    for event, payload in (("issues", opened), ("issue_comment", answered)):
        assert post_github(client, event, payload, wait=False).status_code in (200, 202)
    start = story.now - timedelta(days=1)
    body = jira.issue(JIRA_KEY, issue_id="20077", reporter=ALICE, labels=(), issue_type="Task", priority="Low",
                      created=_jira_time(start), updated=_jira_time(start), description="Export is empty")
    created = {"timestamp": int(start.timestamp() * 1000), "webhookEvent": "jira:issue_created", "user": ALICE,
               "issue_event_type_name": "issue_created", "issue": body}
    assert post_jira(client, created, wait=False).status_code in (200, 202)
    minimal = {"id": "20077", "key": JIRA_KEY, "self": f"{jira.BASE}/rest/api/3/issue/20077",
               "fields": {"summary": f"Summary of {JIRA_KEY}"}}
    for cid, minutes, text, public in (("801", 5, SECRET_NOTE, False), ("802", 20, "Fixed the export.", True)):
        at = start + timedelta(minutes=minutes)
        note = {**jira.comment(cid, OLENA, text, _jira_time(at), issue_id="20077"), "jsdPublic": public}
        event = {"timestamp": int(at.timestamp() * 1000), "webhookEvent": "comment_created", "comment": note,
                 "issue": minimal}
        assert post_jira(client, event, wait=False).status_code in (200, 202)
    settle(client.app)  # posted as one burst, waited for once
    return story.now.astimezone(UTC)
