import hashlib
import hmac

import pytest

from connectors.jira.webhook import (
    SUPPORTED_EVENTS,
    delivery_id,
    event_name,
    verify_signature,
    verify_url_token,
)
from connectors.records import PayloadError

BODY = b'{"webhookEvent":"jira:issue_updated"}'
SECRET = "It's a Secret to Everybody"


def _sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_valid_signature_is_accepted():
    assert verify_signature(SECRET, BODY, _sign(SECRET, BODY))


def test_uppercase_hex_and_method_are_accepted():
    header = _sign(SECRET, BODY).upper()
    assert verify_signature(SECRET, BODY, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),
        _sign("another secret", BODY),
        _sign(SECRET, BODY + b" "),
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no "sha256=" prefix
    ],
)
def test_bad_signatures_are_rejected(header):
    assert not verify_signature(SECRET, BODY, header)


def test_empty_secret_never_verifies():
    assert not verify_signature("", BODY, _sign("", BODY))


def test_url_token():
    assert verify_url_token("a" * 40, "a" * 40)
    assert not verify_url_token("a" * 40, "a" * 39 + "b")
    assert not verify_url_token("a" * 40, None)
    assert not verify_url_token("", "")


def test_delivery_id_prefers_atlassian_header_case_insensitively():
    headers = {"x-atlassian-webhook-identifier": "123-abc"}
    assert delivery_id(headers, BODY) == "123-abc"


def test_delivery_id_falls_back_to_body_hash():
    assert delivery_id({}, BODY) == "sha256:" + hashlib.sha256(BODY).hexdigest()
    assert delivery_id({"X-Atlassian-Webhook-Identifier": " "}, BODY).startswith("sha256:")
    assert delivery_id({}, BODY) != delivery_id({}, BODY + b"x")


def test_event_name():
    assert event_name({"webhookEvent": "comment_created"}) == "comment_created"
    assert "jira:issue_deleted" in SUPPORTED_EVENTS
    with pytest.raises(PayloadError, match="webhookEvent"):
        event_name({})
    with pytest.raises(PayloadError, match="JSON object"):
        event_name([])  # type: ignore[arg-type]
