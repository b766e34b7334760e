"""Verify GitHub webhook deliveries and say which events and actions Delivery Pulse uses."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

_SIGNATURE_PREFIX = "sha256="

# Actions outside these sets (e.g. pull_request.synchronize, review_requested) carry no fact a promise is
# measured by. Their deliveries are answered 202 "ignored" and not stored at all, not even raw: a later version
# that reads more of them learns the past from the scheduled sync, which backfills from the REST API.
SUPPORTED_EVENTS: Mapping[str, frozenset[str]] = {
    "issues": frozenset(
        {
            "opened",
            "edited",
            "closed",
            "reopened",
            "assigned",
            "unassigned",
            "labeled",
            "unlabeled",
            "deleted",
            "transferred",
        }
    ),
    "issue_comment": frozenset({"created", "edited", "deleted"}),
    "pull_request": frozenset(
        {
            "opened",
            "closed",
            "reopened",
            "ready_for_review",
            "converted_to_draft",
            "assigned",
            "unassigned",
            "labeled",
            "unlabeled",
            "edited",
        }
    ),
    "pull_request_review": frozenset({"submitted", "edited", "dismissed"}),
    "pull_request_review_comment": frozenset({"created", "edited", "deleted"}),
}


def verify_signature(secret: str, body: bytes, signature_header: str | None) -> bool:
    """Return whether ``signature_header`` is the HMAC-SHA256 of the raw ``body`` under ``secret``."""
    # Only X-Hub-Signature-256 counts: the legacy sha1 X-Hub-Signature is weaker and never accepted.
    if not secret or not signature_header:
        return False
    header = signature_header.strip()
    if not header.startswith(_SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    received = header[len(_SIGNATURE_PREFIX) :].lower()
    return hmac.compare_digest(expected.encode(), received.encode())


def is_supported(event: str | None, action: str | None) -> bool:
    """Return whether an event and action become records (``ping`` and unknown ones do not)."""
    if not event or not isinstance(action, str) or not action:
        return False
    return action in SUPPORTED_EVENTS.get(event, frozenset())
