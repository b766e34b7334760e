"""Jira webhook intake helpers: verify a delivery, name it, and read its event.

Jira Cloud signs webhooks registered with a secret as ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the
raw body>`` (https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks).
Webhooks that cannot be signed (Data Center, legacy system webhooks) are protected by a long random
token in the URL query (``?token=...``) instead. Both comparisons run in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from connectors.records import PayloadError

SIGNATURE_HEADER = "X-Hub-Signature"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"
_SIGNATURE_PREFIX = "sha256="

SUPPORTED_EVENTS = frozenset(
    {
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
        "comment_updated",
        "comment_deleted",
    }
)


def verify_signature(secret: str, body: bytes, signature_header: str | None) -> bool:
    """Return whether ``signature_header`` is the HMAC-SHA256 of ``body`` under ``secret``."""
    if not secret or not signature_header:
        return False
    method, sep, given = signature_header.strip().partition("=")
    if not sep or method.strip().lower() != "sha256":
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def verify_url_token(expected: str, given: str | None) -> bool:
    """Return whether the URL ``token`` query value equals the configured one."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """Return the delivery's identifier: Jira's header, else a content hash of the body."""
    for name, value in headers.items():
        if name.lower() == DELIVERY_HEADER.lower() and value and value.strip():
            return value.strip()
    # Data Center sends no identifier; a retried delivery carries the same body, so the hash dedupes it.
    return "sha256:" + hashlib.sha256(body).hexdigest()


def event_name(payload: Mapping[str, Any]) -> str:
    """Return the payload's ``webhookEvent`` (e.g. ``jira:issue_updated``)."""
    if not isinstance(payload, Mapping):
        raise PayloadError("The Jira webhook payload is not a JSON object.")
    name = payload.get("webhookEvent")
    if not isinstance(name, str) or not name:
        raise PayloadError("The Jira webhook payload has no webhookEvent field.")
    return name
