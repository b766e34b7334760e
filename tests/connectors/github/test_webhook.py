import hashlib
import hmac

import pytest

from connectors.github.webhook import SUPPORTED_EVENTS, is_supported, verify_signature

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
KNOWN = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_known_vector_verifies():
    assert verify_signature(SECRET, BODY, KNOWN)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=" + "0" * 64,
        "sha256=",
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
    ],
)
def test_wrong_missing_or_legacy_signature_is_rejected(header):
    assert not verify_signature(SECRET, BODY, header)


def test_body_is_checked_byte_for_byte():
    assert not verify_signature(SECRET, BODY + b" ", KNOWN)
    assert not verify_signature("another secret", BODY, KNOWN)


def test_empty_secret_never_verifies():
    signature = "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert not verify_signature("", BODY, signature)


@pytest.mark.parametrize(
    ("event", "action", "expected"),
    [
        ("issues", "opened", True),
        ("issues", "transferred", True),
        ("issue_comment", "deleted", True),
        ("pull_request", "closed", True),
        ("pull_request", "synchronize", False),
        ("pull_request", "review_requested", False),
        ("pull_request_review", "dismissed", True),
        ("pull_request_review_comment", "edited", True),
        ("ping", None, False),
        ("push", None, False),
        ("star", "created", False),
        (None, "opened", False),
    ],
)
def test_is_supported(event, action, expected):
    assert is_supported(event, action) is expected


def test_supported_events_cover_the_brief():
    assert set(SUPPORTED_EVENTS) == {
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
    }
