from datetime import UTC, datetime

import pytest

from connectors.http import (
    ApiRoot,
    MemoryETagCache,
    RetryPolicy,
    links,
    next_link,
    rate_limit_wait,
    retry_after_seconds,
)

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


REAL_MIDDLE_PAGE = (  # recorded from api.github.com in @octokit/fixtures, scenario paginate-issues
    '<https://api.github.com/repositories/1000/issues?per_page=3&page=1>; rel="prev", '
    '<https://api.github.com/repositories/1000/issues?per_page=3&page=3>; rel="next", '
    '<https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel="last", '
    '<https://api.github.com/repositories/1000/issues?per_page=3&page=1>; rel="first"'
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://x/a?page=2>; rel="next", <https://x/a?page=5>; rel="last"', "https://x/a?page=2"),
        ('<https://x/a?page=1>; rel="prev", <https://x/a?page=1>; rel="first"', None),
        (REAL_MIDDLE_PAGE, "https://api.github.com/repositories/1000/issues?per_page=3&page=3"),
        ("<https://x/a?page=3>; rel=next", "https://x/a?page=3"),
        ("<https://x/a?page=3>;rel=next", "https://x/a?page=3"),
        ('  <https://x/a?page=3>  ;  rel = "next"  ,<https://x/a?page=9>;rel="last"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; REL="Next"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; rel="prev next"', "https://x/a?page=3"),  # one link, two relation types
        ('<https://x/a?page=9>; rel="last", <https://x/a?page=3>; rel="next"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; title="a, b; rel=last"; rel="next"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; title="<https://x/evil>; rel=next"; rel="last"', None),
        ('<https://x/a?page=3>; rel="next", <https://x/a?page=4>; rel="next"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; rel="last"; rel="next"', None),  # only the first rel counts
        ("<?page=2>; rel=next", "?page=2"),  # relative: the client resolves it against the page's URL
        ('<https://x/a?page=3>; rel="nextpage"', None),
        ("rel=next", None),
        ("", None),
        (None, None),
    ],
)
def test_next_link(header, expected):
    assert next_link(header) == expected


def test_links_by_relation_type():
    assert links(REAL_MIDDLE_PAGE) == {
        rel: f"https://api.github.com/repositories/1000/issues?per_page=3&page={page}"
        for rel, page in (("prev", 1), ("next", 3), ("last", 5), ("first", 1))
    }


@pytest.mark.parametrize(
    ("base", "url", "inside"),
    [
        ("https://api.github.com", "https://api.github.com/repositories/1296269/issues?page=2", True),
        ("https://api.github.com", "https://API.GitHub.com:443/repos/a/b/issues", True),
        ("https://api.github.com/", "https://api.github.com", True),
        ("https://api.github.com", "http://api.github.com/repos/a/b/issues", False),  # another scheme
        ("https://api.github.com", "https://api.github.com:8443/repos/a/b/issues", False),  # another port
        ("https://api.github.com", "https://evil.example/repos/a/b/issues", False),
        ("https://api.github.com", "https://api.github.com.evil.example/repos", False),
        ("https://api.github.com", "https://api.github.com@evil.example/repos", False),  # user info, not host
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/repositories/7/issues", True),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3", True),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3x/repos", False),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/admin/users", False),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/../admin", False),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/%2e%2e/admin", False),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/a%2F..%2F..%2Fadmin", False),
        ("http://127.0.0.1:4010", "http://127.0.0.1:4010/repos/a/b/issues", True),
        ("http://127.0.0.1:4010", "http://localhost:4010/repos/a/b/issues", False),
    ],
)
def test_api_root_contains_only_urls_under_it(base, url, inside):
    assert ApiRoot.of(base).contains(url) is inside


def test_api_root_reads_as_its_base_url():
    assert str(ApiRoot.of("https://api.github.com/")) == "https://api.github.com"
    assert str(ApiRoot.of("https://ghe.example.com:443/api/v3/")) == "https://ghe.example.com/api/v3"
    assert str(ApiRoot.of("http://127.0.0.1:4010")) == "http://127.0.0.1:4010"


def test_memory_etag_cache_forgets_on_none():
    cache = MemoryETagCache()
    cache.put("k", 'W/"1"')
    assert cache.get("k") == 'W/"1"'
    cache.put("k", None)
    assert cache.get("k") is None
