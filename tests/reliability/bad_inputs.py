"""The bad-input catalogue: one row per kind of bad (or merely odd) webhook delivery and what it must get.

Expectations:
- ``refused``: a clear 4xx in ``codes`` whose detail names the problem (``words``); nothing stored.
- ``ignored``: 202 "ignored" (an event or action we do not use); nothing stored.
- ``duplicate``: 200 "duplicate" after ``first`` was accepted (the first body wins); nothing stored.
- ``stored``: odd but legitimate text, accepted and stored as one of ``stored_as`` (exactly as sent, or with
  what no database can hold replaced); no other table touched.

SQLite and PostgreSQL must answer alike: text PostgreSQL cannot hold (NUL) is cleaned for both, and an
identifier longer than its PostgreSQL column is refused on both.

``bug`` names a known fault (see ``KNOWN_BUGS``): the case is then a strict xfail on the dialects in ``bug_on``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.conftest import GITHUB_SECRET, JIRA_SECRET, sign
from tests.connectors.jira import payloads as jira
from tests.payloads import comment_event, issue, issue_event

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OVER_LIMIT = 25 * 1024 * 1024 + 1024  # just past the 25 MB default of PULSE_MAX_WEBHOOK_BYTES
_numbers = itertools.count(5000)

KNOWN_BUGS: dict[str, str] = {}  # name -> description of a fault a case still shows (none now)


@dataclass(frozen=True)
class Sent:
    """One HTTP request: method, path (with query), headers and the exact body."""

    path: str
    headers: dict[str, str]
    body: bytes | Callable[[], Iterator[bytes]]
    method: str = "POST"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], Sent]
    codes: frozenset[int] = frozenset({400})
    words: str = ""
    expect: str = "refused"
    first: Callable[[], Sent] | None = None
    stored_as: tuple[str, ...] = ()
    bug: str | None = None
    bug_on: tuple[str, ...] = ("sqlite", "postgresql")


def _body(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def github(event: str | None, payload: dict[str, Any] | bytes, *, delivery: str | None = None,
           secret: str = GITHUB_SECRET, signature: str | None = None, **headers: str) -> Sent:
    body = _body(payload)
    hdrs = {"X-GitHub-Delivery": delivery or f"bad-{next(_numbers)}", "X-GitHub-Hook-ID": "3",
            "X-Hub-Signature-256": sign(body, secret) if signature is None else signature,
            "Content-Type": "application/json"}
    if event is not None:
        hdrs["X-GitHub-Event"] = event
    hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
    return Sent("/webhooks/github", {k: v for k, v in hdrs.items() if v is not None}, body)


def jira_sent(payload: dict[str, Any] | bytes, *, identifier: str | None = None, secret: str = JIRA_SECRET,
              signature: str | None = None, query: str = "") -> Sent:
    body = _body(payload)
    hdrs = {"X-Hub-Signature": sign(body, secret) if signature is None else signature,
            "Content-Type": "application/json"}
    if identifier:
        hdrs["X-Atlassian-Webhook-Identifier"] = identifier
    return Sent(f"/webhooks/jira{query}", {k: v for k, v in hdrs.items() if v}, body)


def opened(issue_number: int | None = None, **issue_fields: Any) -> dict[str, Any]:
    """An issues/opened payload for a fresh issue; ``issue_fields`` override fields of the issue object."""
    item = issue(issue_number or next(_numbers), "alice-acme", T) | issue_fields
    return issue_event("opened", item, "alice-acme")


def commented(text: Any) -> dict[str, Any]:
    number = next(_numbers)
    return comment_event(issue(number, "alice-acme", T), number * 10, "olena-dev", T, text)


def jira_created(**fields: Any) -> dict[str, Any]:
    number = next(_numbers)
    item = jira.issue(f"SHOP-{number}", issue_id=str(number), reporter={"accountId": "acc-alice"})
    item["fields"].update(fields)
    return {"timestamp": 1772445600000, "webhookEvent": "jira:issue_created", "issue": item}


def jira_commented(text: Any, **comment_fields: Any) -> dict[str, Any]:
    number = next(_numbers)
    note = jira.comment(str(number), {"accountId": "acc-olena"}, text, "2026-03-02T10:00:00.000+0000",
                        issue_id=str(number)) | comment_fields
    return {"timestamp": 1772445600000, "webhookEvent": "comment_created", "comment": note,
            "issue": {"id": str(number), "key": f"SHOP-{number}", "self": f"{jira.BASE}/rest/api/2/issue/{number}",
                      "fields": {"summary": "Checkout", "issuetype": {"name": "Bug"}}}}


def _raw(payload: dict[str, Any], old: str, new: str) -> bytes:
    """The payload's JSON text with ``old`` replaced by ``new`` (for what json.dumps cannot write)."""
    text = json.dumps(payload)
    assert old in text
    return text.replace(old, new).encode()


def _without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    target = payload
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return payload


def _chunks(total: int) -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        yield b'{"action": "opened", "pad": "'
        for _ in range(total // (1024 * 1024) + 1):
            yield b"x" * 1024 * 1024
        yield b'"}'

    return body


def _sha1(body: bytes, secret: str) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _changed_after_signing() -> Sent:
    sent = github("issues", opened())
    return Sent(sent.path, sent.headers, sent.body.replace(b"Please help.", b"Please pay."))  # type: ignore[union-attr]


def _legacy_sha1_only() -> Sent:
    body = _body(opened())
    return github("issues", body, signature="", X_Hub_Signature=_sha1(body, GITHUB_SECRET))


def _jira_sha1() -> Sent:
    body = _body(jira_created())
    return jira_sent(body, signature=_sha1(body, JIRA_SECRET))


def _duplicate_github() -> tuple[Callable[[], Sent], Callable[[], Sent]]:
    number = next(_numbers)
    return (lambda: github("issues", opened(number), delivery=f"dup-{number}"),
            lambda: github("issues", opened(number, title="A different title"), delivery=f"dup-{number}"))


def _duplicate_jira(with_identifier: bool) -> tuple[Callable[[], Sent], Callable[[], Sent]]:
    payload = jira_created()
    key = payload["issue"]["key"]
    if not with_identifier:  # Data Center sends no identifier: the same body is recognized by its hash
        return (lambda: jira_sent(payload), lambda: jira_sent(payload))
    changed = json.loads(json.dumps(payload))
    changed["issue"]["fields"]["summary"] = "A different summary"
    return (lambda: jira_sent(payload, identifier=f"dup-{key}"), lambda: jira_sent(changed, identifier=f"dup-{key}"))


UNICODE = "Zahlung schlägt fehl 💳🔥 — ошибка оплаты — 支付失败 — مرحبا — e\u0301\u0301 — \U0001f9d1\u200d\U0001f4bb"
CONTROL = "line\r\nbreak\ttab \x01\x07\x1b[31mred\x1b[0m \u202eevil\u202c \ufeff \u2028"
SQL_TITLE = "'); DROP TABLE work_items; --"
SQL_COMMENT = "1; DELETE FROM activities WHERE '1'='1'; -- ' OR 1=1 /* \\' \" ` $$ ; SELECT pg_sleep(30);"
HUGE = "Checkout fails. " * 320_000  # ~5 MB: large, yet under the limit
_dup_gh, _dup_jira, _dup_dc = _duplicate_github(), _duplicate_jira(True), _duplicate_jira(False)


def _over_limit() -> bytes:
    return b'{"action": "opened", "pad": "' + b"x" * OVER_LIMIT + b'"}'


def _deep(prefix: bytes) -> bytes:
    return prefix + b'"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _form_encoded() -> Sent:
    from urllib.parse import quote_plus

    body = b"payload=" + quote_plus(json.dumps(opened())).encode()
    return github("issues", body, Content_Type="application/x-www-form-urlencoded")


def _jira_updated(**extra: Any) -> dict[str, Any]:
    payload = jira_created()
    payload.update(webhookEvent="jira:issue_updated", issue_event_type_name="issue_generic",
                   changelog={"id": str(next(_numbers)), "items": [jira.item("status", "1", "To Do", "3", "Done")]})
    payload.update(extra)
    return payload


def _jira_deleted_comment(timestamp: Any) -> dict[str, Any]:
    payload = jira_commented("gone")
    payload.update(webhookEvent="comment_deleted", timestamp=timestamp)
    return payload


IGNORED, DUPLICATE, STORED = "ignored", "duplicate", "stored"
SIG = frozenset({401})
FAR = "9999-12-31T23:00:00Z"

CASES: list[Case] = [
    # Signatures and secrets
    Case("gh-signature-missing", lambda: github("issues", opened(), signature=""), SIG, "signature"),
    Case("gh-signature-wrong", lambda: github("issues", opened(), signature="sha256=" + "0" * 64), SIG, "signature"),
    Case("gh-wrong-secret", lambda: github("issues", opened(), secret="not-the-secret"), SIG, "signature"),
    Case("gh-legacy-sha1-only", _legacy_sha1_only, SIG, "X-Hub-Signature-256"),
    Case("gh-signature-without-prefix",
         lambda: github("issues", b"{}", signature=sign(b"{}").removeprefix("sha256=")), SIG, "signature"),
    Case("gh-signature-prefix-only", lambda: github("issues", opened(), signature="sha256="), SIG, "signature"),
    Case("gh-body-changed-after-signing", _changed_after_signing, SIG, "signature"),
    Case("jira-signature-missing", lambda: jira_sent(jira_created(), signature=""), SIG, "signature"),
    Case("jira-wrong-secret", lambda: jira_sent(jira_created(), secret="not-the-secret"), SIG, "signature"),
    Case("jira-sha1-signature", _jira_sha1, SIG, "signature"),
    Case("jira-wrong-url-token", lambda: jira_sent(jira_created(), signature="", query="?token=nope"), SIG, "token"),
    # Bodies that are not JSON objects, or too big
    Case("gh-empty-body", lambda: github("issues", b""), words="empty"),
    Case("gh-truncated-json", lambda: github("issues", _body(opened())[:-40]), words="not valid JSON"),
    Case("gh-invalid-json", lambda: github("issues", b"{'action': 'opened'}"), words="not valid JSON"),
    Case("gh-json-array", lambda: github("issues", b"[1, 2]"), words="JSON object"),
    Case("gh-json-string", lambda: github("issues", b'"opened"'), words="JSON object"),
    Case("gh-invalid-utf8", lambda: github("issues", b'{"action": "opened", "x": "\xff\xfe"}'), words="JSON"),
    Case("gh-form-encoded-content-type", _form_encoded, words="JSON"),
    Case("gh-xml-content-type", lambda: github("issues", b"<issue/>", Content_Type="application/xml"),
         words="JSON"),
    Case("gh-huge-integer", lambda: github("issues", b'{"action": "opened", "n": ' + b"9" * 5000 + b"}"),
         words="JSON"),
    Case("gh-deeply-nested", lambda: github("issues", _deep(b'{"action": "opened", ')), words="JSON"),
    Case("gh-over-25-mb", lambda: github("issues", _over_limit()), frozenset({413}), "larger"),
    Case("gh-over-25-mb-chunked", lambda: Sent("/webhooks/github", github("issues", b"{}").headers,
                                               _chunks(OVER_LIMIT)), frozenset({413}), "larger"),
    Case("jira-empty-body", lambda: jira_sent(b""), words="empty"),
    Case("jira-truncated-json", lambda: jira_sent(_body(jira_created())[:-40]), words="not valid JSON"),
    Case("jira-deeply-nested", lambda: jira_sent(_deep(b'{"webhookEvent": "jira:issue_created", ')),
         words="JSON"),
    Case("jira-over-25-mb", lambda: jira_sent(_over_limit()), frozenset({413}), "larger"),
    # Events and actions we do not use, and a missing event
    Case("gh-unknown-event", lambda: github("deployment", {"action": "created", "deployment": {"id": 1}}),
         expect=IGNORED),
    Case("gh-unknown-action", lambda: github("issues", opened() | {"action": "pinned"}), expect=IGNORED),
    Case("gh-ping", lambda: github("ping", {"zen": "Keep it logically awesome.", "hook_id": 3}), expect=IGNORED),
    Case("gh-action-not-a-string", lambda: github("issues", opened() | {"action": 5}), expect=IGNORED),
    Case("gh-event-header-missing", lambda: github(None, opened()), words="X-GitHub-Event"),
    Case("jira-unknown-event", lambda: jira_sent({"timestamp": 1772445600000, "webhookEvent": "sprint_started"}),
         expect=IGNORED),
    Case("jira-webhook-event-missing", lambda: jira_sent(_without(jira_created(), "webhookEvent")),
         words="webhookEvent"),
    # Required fields missing
    Case("gh-issue-missing", lambda: github("issues", _without(opened(), "issue")), words="issue"),
    Case("gh-repository-missing", lambda: github("issues", _without(opened(), "repository")), words="repository"),
    Case("gh-created-at-missing", lambda: github("issues", _without(opened(), "issue", "created_at")),
         words="created_at"),
    Case("gh-comment-missing", lambda: github("issue_comment", _without(commented("x"), "comment")),
         words="comment"),
    Case("jira-issue-key-missing", lambda: jira_sent(_without(jira_created(), "issue", "key")), words="key"),
    Case("jira-issue-fields-missing", lambda: jira_sent(_without(jira_created(), "issue", "fields")),
         words="fields"),
    Case("jira-created-missing", lambda: jira_sent(_without(jira_created(), "issue", "fields", "created")),
         words="created"),
    Case("jira-comment-created-missing", lambda: jira_sent(_without(jira_commented("x"), "comment", "created")),
         words="created"),
    Case("jira-changelog-timestamp-missing", lambda: jira_sent(_without(_jira_updated(), "timestamp")),
         words="timestamp"),
    # Wrong types
    Case("gh-issue-is-a-list", lambda: github("issues", opened() | {"issue": [1, 2]}), words="issue must be an object"),
    Case("gh-created-at-is-a-boolean", lambda: github("issues", opened(created_at=True)), words="created_at"),
    Case("gh-number-is-not-a-number", lambda: github("issues", opened(number="abc")), words="number"),
    Case("gh-labels-are-numbers", lambda: github("issues", opened(labels=[1, 2])), words="labels"),
    Case("gh-labels-is-a-string", lambda: github("issues", opened(labels="production")), words="labels"),
    Case("gh-title-is-an-object", lambda: github("issues", opened(title={"text": "x"})), words="title"),
    Case("jira-fields-is-a-list", lambda: jira_sent(jira_created() | {"issue": {"key": "SHOP-1", "fields": [1]}}),
         words="fields"),
    Case("jira-webhook-event-is-a-number", lambda: jira_sent(jira_created() | {"webhookEvent": 5}),
         words="webhookEvent"),
    # Times without a zone, out of range, in the far future
    Case("gh-time-without-zone", lambda: github("issues", opened(created_at="2026-03-02T10:00:00")),
         words="time zone"),
    Case("gh-year-zero", lambda: github("issues", opened(created_at="0000-01-01T00:00:00Z")), words="created_at"),
    Case("gh-far-future", lambda: github("issues", opened(created_at=FAR, updated_at=FAR)), words="created_at"),
    Case("gh-far-future-with-offset", lambda: github("issues", opened(created_at="9999-12-31T23:00:00-14:00")),
         words="created_at"),
    Case("jira-time-without-zone", lambda: jira_sent(jira_created(created="2026-03-02T10:00:00.000")),
         words="time zone"),
    Case("jira-far-future", lambda: jira_sent(jira_created(created="9999-12-31T23:59:59.000+0000")),
         words="created"),
    Case("jira-timestamp-beyond-range", lambda: jira_sent(_jira_deleted_comment(10**20)), words="timestamp"),
    # NaN is not JSON (RFC 8259): the strict parser refuses the body
    Case("jira-timestamp-nan", lambda: jira_sent(_raw(_jira_deleted_comment(1), '"timestamp": 1', '"timestamp": NaN')),
         words="not valid JSON"),
    # Odd text: stored exactly, never a 5xx
    Case("gh-unicode", lambda: github("issue_comment", commented(UNICODE)), expect=STORED, stored_as=(UNICODE,)),
    Case("gh-control-characters", lambda: github("issue_comment", commented(CONTROL)), expect=STORED,
         stored_as=(CONTROL,)),
    Case("gh-5-mb-comment", lambda: github("issue_comment", commented(HUGE)), expect=STORED, stored_as=(HUGE,)),
    Case("gh-sql-looking-title", lambda: github("issues", opened(title=SQL_TITLE)), expect=STORED,
         stored_as=(SQL_TITLE,)),
    Case("jira-sql-looking-comment", lambda: jira_sent(jira_commented(SQL_COMMENT)), expect=STORED,
         stored_as=(SQL_COMMENT,)),
    Case("jira-unicode", lambda: jira_sent(jira_commented(UNICODE)), expect=STORED, stored_as=(UNICODE,)),
    Case("gh-nul-character", lambda: github("issue_comment", commented("before\x00after")), expect=STORED,
         stored_as=("beforeafter", "before\ufffdafter")),
    # A lone surrogate is no Unicode text: the strict parser refuses the body (a clean-up gate stands behind it)
    Case("gh-lone-surrogate", lambda: github("issue_comment", _raw(commented("HALF"), '"HALF"', '"bad \\ud800 half"')),
         words="not valid JSON"),
    Case("gh-250-character-login", lambda: github("issues", issue_event("opened", issue(next(_numbers), "a" * 250, T),
                                                                        "a" * 250)), words="longer"),
    Case("gh-300-character-delivery-id", lambda: github("issues", opened(), delivery="d" * 300), words="longer"),
    Case("jira-100-character-event-type", lambda: jira_sent(_jira_updated(issue_event_type_name="x" * 100)),
         expect=STORED),
    # The same delivery id again, with another body: the first one wins
    Case("gh-duplicate-id-other-body", _dup_gh[1], expect=DUPLICATE, first=_dup_gh[0]),
    Case("jira-duplicate-identifier-other-body", _dup_jira[1], expect=DUPLICATE, first=_dup_jira[0]),
    Case("jira-data-center-redelivery", _dup_dc[1], expect=DUPLICATE, first=_dup_dc[0]),
    # Not a delivery at all
    Case("gh-get-instead-of-post", lambda: Sent("/webhooks/github", {}, b"", method="GET"), frozenset({405}),
         "POST"),
]
