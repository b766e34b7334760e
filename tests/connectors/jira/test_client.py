"""JiraClient's HTTP policy: paging calls, timeouts, rate limits, retries, the wait cap, fatal errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
import respx

from connectors.jira.client import JiraClient, JiraError

BASE = "https://acme.atlassian.net"
DC = "https://jira.acme.example"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(sleeps: Sleeps, **kwargs) -> JiraClient:
    kwargs.setdefault("email", "bot@acme.example")
    kwargs.setdefault("token", "secret-token")
    return JiraClient(kwargs.pop("base_url", BASE), sleep=sleeps, now=lambda: NOW, **kwargs)


@respx.mock(assert_all_called=True)
def test_cloud_search_pages_by_token_with_explicit_fields_and_basic_auth(respx_mock, sleeps):
    def answer(request: httpx.Request) -> httpx.Response:
        assert (
            request.headers["Authorization"] == "Basic " + base64.b64encode(b"bot@acme.example:secret-token").decode()
        )
        assert request.extensions["timeout"]["read"] == 12.0
        token = request.url.params.get("nextPageToken")
        if token is None:
            return httpx.Response(200, json={"issues": [{"key": "P-1"}], "nextPageToken": "t2", "isLast": False})
        assert token == "t2"
        return httpx.Response(200, json={"issues": [{"key": "P-2"}], "isLast": True})

    route = respx_mock.get(f"{BASE}/rest/api/3/search/jql").mock(side_effect=answer)
    client = _client(sleeps, timeout=12.0)
    first = client.search_page("project = P", ("summary", "status"), max_results=50)
    second = client.search_page("project = P", ("summary", "status"), next_page_token=first["nextPageToken"])
    assert [first["issues"][0]["key"], second["issues"][0]["key"]] == ["P-1", "P-2"]
    params = route.calls[0].request.url.params
    assert (params["jql"], params["fields"], params["maxResults"]) == ("project = P", "summary,status", "50")
    assert "startAt" not in params
    assert client.requests_made == 2 and sleeps == []


@respx.mock(assert_all_called=True)
def test_datacenter_search_uses_startat_and_bearer_token(respx_mock, sleeps):
    route = respx_mock.get(f"{DC}/rest/api/2/search").mock(
        return_value=httpx.Response(200, json={"issues": [], "startAt": 100, "total": 100})
    )
    client = _client(sleeps, base_url=DC, email=None, token="pat", deployment="datacenter")
    client.search_page("project = P", ("summary",), start_at=100, expand="changelog")
    request = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer pat"
    assert (request.url.params["startAt"], request.url.params["expand"]) == ("100", "changelog")


@respx.mock(assert_all_called=True)
def test_429_waits_as_retry_after_says(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[{"id": "1"}])]
    )
    client = _client(sleeps)
    assert client.statuses() == [{"id": "1"}]
    assert sleeps == [7.0] and client.requests_made == 2


@respx.mock(assert_all_called=True)
def test_429_waits_until_iso_rate_limit_reset(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[
            httpx.Response(429, headers={"X-RateLimit-Reset": "2024-03-01T12:00:42Z"}),
            httpx.Response(200, json=[]),
        ]
    )
    _client(sleeps).statuses()
    assert sleeps == [42.0]


@respx.mock(assert_all_called=True)
def test_503_without_headers_backs_off(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json=[])]
    )
    _client(sleeps).statuses()
    assert sleeps == [1.0, 2.0]


@respx.mock(assert_all_called=True)
def test_5xx_is_retried_with_backoff_then_succeeds(respx_mock, sleeps):
    respx_mock.post(f"{BASE}/rest/api/3/changelog/bulkfetch").mock(
        side_effect=[httpx.Response(502), httpx.Response(500), httpx.Response(200, json={"issueChangeLogs": []})]
    )
    client = _client(sleeps)
    assert client.bulk_changelog_page(["1"], ["status"]) == {"issueChangeLogs": []}
    assert sleeps == [1.0, 2.0] and client.requests_made == 3


@respx.mock(assert_all_called=True)
def test_persistent_5xx_gives_up_with_a_retriable_error(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(return_value=httpx.Response(500))
    client = _client(sleeps, max_retries=2)
    with pytest.raises(JiraError, match="after 3 attempts") as info:
        client.statuses()
    assert info.value.permanent is False
    assert client.requests_made == 3 and sleeps == [1.0, 2.0]


@respx.mock(assert_all_called=True)
def test_transport_errors_are_retried(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[httpx.ConnectTimeout("slow"), httpx.Response(200, json=[])]
    )
    client = _client(sleeps)
    client.statuses()
    assert sleeps == [1.0] and client.requests_made == 2


@respx.mock(assert_all_called=True)
def test_a_wait_longer_than_the_cap_fails_clearly_instead_of_hanging(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    client = _client(sleeps, max_wait_seconds=300)
    with pytest.raises(JiraError, match="wait 3600s.*more than the 300s") as info:
        client.statuses()
    assert info.value.permanent is False and info.value.status is None
    assert sleeps == [] and client.requests_made == 1


@pytest.mark.parametrize(("status", "hint"), [(400, "rejected the request"), (401, "credentials"), (403, "browse")])
@respx.mock(assert_all_called=True)
def test_client_errors_are_permanent_and_not_retried(respx_mock, sleeps, status, hint):
    respx_mock.get(f"{BASE}/rest/api/3/search/jql").mock(
        return_value=httpx.Response(status, json={"errorMessages": ["The value 'X' does not exist"], "errors": {}})
    )
    client = _client(sleeps)
    with pytest.raises(JiraError, match=hint) as info:
        client.search_page("project = X", ("summary",))
    assert info.value.permanent and info.value.status == status
    assert "does not exist" in info.value.message
    assert client.requests_made == 1 and sleeps == []


@respx.mock(assert_all_called=True)
def test_issue_or_none_treats_404_as_gone(respx_mock, sleeps):
    respx_mock.get(f"{BASE}/rest/api/3/issue/P-9").mock(return_value=httpx.Response(404))
    assert _client(sleeps).issue_or_none("P-9") is None


def test_unknown_deployment_is_refused():
    with pytest.raises(ValueError, match="cloud"):
        JiraClient(BASE, deployment="server")  # type: ignore[arg-type]


@respx.mock(assert_all_called=True)
def test_rate_limit_headers_tell_what_remains_after_every_answer(respx_mock, sleeps, caplog):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[
            httpx.Response(200, json=[], headers={"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "349"}),
            httpx.Response(200, json=[]),  # an answer without the headers leaves the last count standing
            httpx.Response(
                429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-NearLimit": "true", "Retry-After": "2"}
            ),
            httpx.Response(200, json=[], headers={"X-RateLimit-Remaining": "60", "X-RateLimit-NearLimit": "true"}),
        ]
    )
    client = _client(sleeps)
    assert (client.rate_limit_remaining, client.rate_limit_near) == (None, False)  # unknown until Jira says
    client.statuses()
    assert (client.rate_limit_remaining, client.rate_limit_limit, client.rate_limit_near) == (349, 350, False)
    client.statuses()
    assert client.rate_limit_remaining == 349
    with caplog.at_level("WARNING", logger="connectors.jira.client"):
        client.statuses()  # a 429 counts too, then the retry's answer
    assert (client.rate_limit_remaining, client.rate_limit_near, sleeps) == (60, True, [2.0])
    assert [r.getMessage() for r in caplog.records] == [
        f"Jira says less than 20% of its rate-limit budget remains ({BASE})."
    ]


@respx.mock(assert_all_called=True)
def test_datacenter_rate_limit_headers_are_read_too(respx_mock, sleeps):
    headers = {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "17", "X-RateLimit-Interval-Seconds": "1",
               "X-RateLimit-FillRate": "10", "Retry-After": "0"}  # fmt: skip
    respx_mock.get(f"{DC}/rest/api/2/status").mock(return_value=httpx.Response(200, json=[], headers=headers))
    client = _client(sleeps, base_url=DC, email=None, token="pat", deployment="datacenter")
    client.statuses()
    assert (client.rate_limit_remaining, client.rate_limit_limit) == (17, 20)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-RateLimit-Reset": "2024-03-01T12:05Z"}, 300.0),  # Cloud's documented yyyy-MM-ddTHH:mmZ
        ({"RateLimit-Reset": "30"}, 30.0),  # seconds to wait
        ({"RateLimit-Reset": str(int(NOW.timestamp()) + 12)}, 12.0),  # as large as an epoch time: one
        ({"X-RateLimit-Reset": "whenever", "RateLimit-Reset": "9"}, 9.0),
        ({"Retry-After": "4", "RateLimit-Reset": "30"}, 4.0),  # Retry-After wins
    ],
)
@respx.mock(assert_all_called=True)
def test_429_waits_as_the_reset_headers_say(respx_mock, sleeps, headers, wait):
    respx_mock.get(f"{BASE}/rest/api/3/status").mock(
        side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json=[])]
    )
    _client(sleeps).statuses()
    assert sleeps == [wait]
