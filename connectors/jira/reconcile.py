"""Find which stored Jira issues still exist: deleted issues never appear in an ``updated`` search."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors.jira.client import JiraClient
from connectors.jira.jql import jql_string
from connectors.jira.search import search_pages
from connectors.jira.shapes import plain_key

_KEYS_PER_PAGE = {"cloud": 5000, "datacenter": 1000}  # key-only searches page widest
_BULK_ISSUES = 100  # POST /issue/bulkfetch takes up to 100 issues


def existing_keys(client: JiraClient, project: str, keys: Iterable[str]) -> set[str]:
    """Return which of ``keys`` still exist, under that key, in ``project``.

    Lists the project's keys (the cheapest search), then fetches each key the listing lacks directly,
    since the search index can lag a freshly created issue. A moved issue answers under its new key,
    so its old key counts as gone.
    """
    wanted = set(keys)
    listed = {k for k in project_keys(client, project) if k in wanted}
    return listed | _confirm(client, sorted(wanted - listed))


def project_keys(client: JiraClient, project: str) -> Iterator[str]:
    """Yield every issue key of ``project`` the search shows."""
    jql = f"project = {jql_string(project)} ORDER BY key ASC"
    for issues in search_pages(client, jql, ("key",), page_size=_KEYS_PER_PAGE[client.deployment]):
        yield from (key for i in issues if (key := plain_key(i.get("key"))))


def _confirm(client: JiraClient, keys: list[str]) -> set[str]:
    found: set[str] = set()
    if client.is_cloud:
        for i in range(0, len(keys), _BULK_ISSUES):
            found |= {str(issue.get("key")) for issue in client.bulk_issues(keys[i : i + _BULK_ISSUES])}
    else:
        for key in keys:
            issue = client.issue_or_none(key)
            if issue is not None:
                found.add(str(issue.get("key")))
    return found & set(keys)
