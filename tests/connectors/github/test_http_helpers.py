from datetime import UTC, datetime

import pytest

from connectors.http import MemoryETagCache, RetryPolicy, next_link, rate_limit_wait, retry_after_seconds

NOW = datetime(2024, 3, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        (" 0 ", 0.0),
        ("Mon, 04 Mar 2024 12:01:30 GMT", 90.0),
        ("Mon, 04 Mar 2024 11:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value, expected):
    assert retry_after_seconds(value, NOW) == expected


def test_rate_limit_wait_prefers_retry_after_then_reset():
    reset = str(int(NOW.timestamp()) + 10)
    assert rate_limit_wait({"retry-after": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, NOW) == 5
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, NOW) == 11
    assert rate_limit_wait({"x-ratelimit-remaining": "12", "x-ratelimit-reset": reset}, NOW) is None
    assert rate_limit_wait({}, NOW) is None


def test_backoff_doubles_up_to_its_ceiling():
    policy = RetryPolicy(base_delay=1, max_delay=5)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert [policy.rate_limit_backoff(n) for n in range(1, 4)] == [60, 120, 240]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://x/a?page=2>; rel="next", <https://x/a?page=5>; rel="last"', "https://x/a?page=2"),
        ('<https://x/a?page=1>; rel="prev", <https://x/a?page=1>; rel="first"', None),
        ("<https://x/a?page=3>; rel=next", "https://x/a?page=3"),
        (None, None),
    ],
)
def test_next_link(header, expected):
    assert next_link(header) == expected


def test_memory_etag_cache_forgets_on_none():
    cache = MemoryETagCache()
    cache.put("k", 'W/"1"')
    assert cache.get("k") == 'W/"1"'
    cache.put("k", None)
    assert cache.get("k") is None
