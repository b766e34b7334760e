"""GitHubClient: retries, rate-limit waits, the wait cap, ETags, request counting, and where the token may go."""

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from connectors.github.client import GitHubClient, GitHubError
from connectors.http import links
from tests.conformance import npm_package

from .fake_github import API as API_ROOT
from .fake_github import FakeGitHub

NOW = datetime(2024, 3, 4, 12, 0, 0, tzinfo=UTC)
URL = "https://api.github.com/repos/acme/shop/issues"
OK = httpx.Response(200, json=[{"id": 1}], headers={"x-ratelimit-remaining": "4999", "etag": 'W/"abc"'})


def make_client(**options):
    waits = []
    client = GitHubClient("secret-token", sleep=waits.append, now=lambda: NOW, **options)
    return client, waits


@pytest.fixture
def api():
    with respx.mock(assert_all_called=True) as mock:
        yield mock


def test_sends_auth_version_and_per_page_headers(api):
    route = api.get(URL).mock(return_value=OK)
    client, _ = make_client()
    page = client.get_page("/repos/acme/shop/issues", {"per_page": 100})
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer secret-token"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.url.params["per_page"] == "100"
    assert (page.items, page.etag, page.next_url) == ([{"id": 1}], 'W/"abc"', None)
    assert (client.requests_made, client.rate_limit_remaining) == (1, 4999)


def test_every_request_has_a_timeout(api):
    route = api.get(URL).mock(return_value=OK)
    client, _ = make_client(timeout=7.5)
    client.get_page(URL)
    assert route.calls.last.request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


def test_retries_5xx_with_backoff(api):
    api.get(URL).mock(side_effect=[httpx.Response(502), httpx.Response(503), OK])
    client, waits = make_client()
    assert client.get_page(URL).items == [{"id": 1}]
    assert waits == [1.0, 2.0]
    assert client.requests_made == 3


def test_retries_connection_errors(api):
    api.get(URL).mock(side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), OK])
    client, waits = make_client()
    assert client.get_page(URL).items == [{"id": 1}]
    assert waits == [1.0, 2.0]


def test_gives_up_after_max_attempts_with_a_retriable_error(api):
    api.get(URL).mock(return_value=httpx.Response(500))
    client, waits = make_client(max_attempts=3)
    with pytest.raises(GitHubError, match="after 3 attempts") as caught:
        client.get_page(URL)
    assert caught.value.permanent is False and caught.value.status == 500
    assert waits == [1.0, 2.0]


@pytest.mark.parametrize(("status", "hint"), [(401, "token is valid"), (404, "repository name"), (422, "422")])
def test_client_errors_are_permanent_and_not_retried(api, status, hint):
    api.get(URL).mock(return_value=httpx.Response(status, json={"message": "nope"}))
    client, waits = make_client()
    with pytest.raises(GitHubError, match=hint) as caught:
        client.get_page(URL)
    assert caught.value.permanent is True
    assert (waits, client.requests_made) == ([], 1)


def test_403_without_rate_limit_signs_is_a_permission_error(api):
    api.get(URL).mock(return_value=httpx.Response(403, json={"message": "Resource not accessible by integration"}))
    client, waits = make_client()
    with pytest.raises(GitHubError, match="can read this repository") as caught:
        client.get_page(URL)
    assert caught.value.permanent and waits == []


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limit_honours_retry_after(api, status):
    limited = httpx.Response(status, headers={"retry-after": "42"}, json={"message": "secondary rate limit"})
    api.get(URL).mock(side_effect=[limited, OK])
    client, waits = make_client()
    assert client.get_page(URL).items == [{"id": 1}]
    assert waits == [42.0]


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limit_waits_until_reset_when_nothing_remains(api, status):
    reset = int(NOW.timestamp()) + 300
    limited = httpx.Response(status, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    api.get(URL).mock(side_effect=[limited, OK])
    client, waits = make_client()
    client.get_page(URL)
    assert waits == [301.0]  # the reset second itself, plus one
    assert client.rate_limit_remaining == 4999


def test_secondary_rate_limit_without_headers_backs_off_from_a_minute(api):
    limited = httpx.Response(403, json={"message": "You have exceeded a secondary rate limit."})
    api.get(URL).mock(side_effect=[limited, limited, OK])
    client, waits = make_client()
    client.get_page(URL)
    assert waits == [60.0, 120.0]


def test_rate_limit_wait_beyond_the_cap_fails_clearly_without_sleeping(api):
    reset = int(NOW.timestamp()) + 3600
    limited = httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    api.get(URL).mock(return_value=limited)
    client, waits = make_client(max_wait_seconds=600)
    with pytest.raises(
        GitHubError, match=r"wait 3601 s, more than the 600 s cap.*after 2024-03-04 13:00:01 UTC"
    ) as caught:
        client.get_page(URL)
    assert caught.value.permanent is False  # retrying later helps
    assert (waits, client.requests_made) == ([], 1)


def test_conditional_request_304_means_nothing_new(api):
    route = api.get(URL).mock(return_value=httpx.Response(304, headers={"x-ratelimit-remaining": "4999"}))
    client, _ = make_client()
    page = client.get_page(URL, etag='W/"abc"')
    assert route.calls.last.request.headers["if-none-match"] == 'W/"abc"'
    assert (page.not_modified, page.items, page.etag) == (True, [], 'W/"abc"')
    assert (client.requests_made, client.not_modified) == (1, 1)


def test_link_header_gives_the_next_page(api):
    link = f'<{URL}?per_page=100&page=2>; rel="next", <{URL}?per_page=100&page=9>; rel="last"'
    api.get(URL).mock(return_value=httpx.Response(200, json=[], headers={"link": link}))
    client, _ = make_client()
    assert client.get_page(URL).next_url == f"{URL}?per_page=100&page=2"


def test_non_list_body_is_a_permanent_error(api):
    api.get(URL).mock(return_value=httpx.Response(200, json={"message": "odd"}))
    client, _ = make_client()
    with pytest.raises(GitHubError, match="not a list") as caught:
        client.get_page(URL)
    assert caught.value.permanent


def test_relative_next_link_is_read_against_the_page_it_came_with(api):
    api.get(URL).mock(return_value=httpx.Response(200, json=[], headers={"link": '<?per_page=100&page=2>; rel="next"'}))
    client, _ = make_client()
    assert client.get_page(URL).next_url == f"{URL}?per_page=100&page=2"


# Sync safety: the token goes only to the configured API root, whatever a Link header or a redirect says.

EVIL = "https://evil.example/repos/acme/shop/issues"


@pytest.fixture
def guarded():
    """A mock whose catch-all route stands for every other host; it must stay uncalled."""
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.mark.parametrize(
    "next_url",
    [
        EVIL + "?page=2",
        "http://api.github.com/repositories/1/issues?page=2",  # plain HTTP would show the token to the network
        "https://api.github.com:8443/repositories/1/issues?page=2",
        "https://api.github.com@evil.example/repositories/1/issues?page=2",
    ],
)
def test_next_link_off_the_api_root_ends_the_listing_with_an_error_and_no_request(guarded, next_url):
    link = f'<{next_url}>; rel="next"'
    guarded.get(URL).mock(return_value=httpx.Response(200, json=[{"id": 1}], headers={"link": link}))
    elsewhere = guarded.route().mock(return_value=httpx.Response(200, json=[]))
    client, _ = make_client()
    page = client.get_page(URL)
    assert page.items == [{"id": 1}]  # page one stands; the sync stores it before asking for the next
    with pytest.raises(GitHubError) as caught:
        client.get_page(page.next_url)
    message = str(caught.value)
    assert httpx.URL(next_url).host in message and "configured GitHub API https://api.github.com" in message
    assert caught.value.permanent
    assert not elsewhere.called and client.requests_made == 1


def test_next_link_outside_the_enterprise_base_path_is_refused():
    with respx.mock(assert_all_called=True) as mock:
        base = "https://ghe.example.com/api/v3"
        link = '<https://ghe.example.com/admin/dump?page=2>; rel="next"'
        first = httpx.Response(200, json=[], headers={"link": link})
        mock.get(f"{base}/repos/acme/shop/issues").mock(return_value=first)
        client, _ = make_client(base_url=base)
        page = client.get_page("/repos/acme/shop/issues")
        with pytest.raises(GitHubError, match=r"/admin/dump\?page=2.*outside the configured GitHub API .*/api/v3"):
            client.get_page(page.next_url)
        assert client.requests_made == 1


def test_enterprise_next_link_by_repository_id_is_followed():
    with respx.mock(assert_all_called=True) as mock:
        base = "https://ghe.example.com/api/v3"
        link = f'<{base}/repositories/7/issues?page=2>; rel="next", <{base}/repositories/7/issues?page=2>; rel="last"'
        first = httpx.Response(200, json=[], headers={"link": link})
        mock.get(f"{base}/repos/acme/shop/issues").mock(return_value=first)
        second = mock.get(f"{base}/repositories/7/issues").mock(return_value=httpx.Response(200, json=[{"id": 2}]))
        client, _ = make_client(base_url=base)
        page = client.get_page(client.get_page("/repos/acme/shop/issues").next_url)
        assert page.items == [{"id": 2}]
        assert second.calls.last.request.headers["authorization"] == "Bearer secret-token"


def moved(location: str, status: int = 301) -> httpx.Response:
    body = {"message": "Moved Permanently", "url": location, "documentation_url": "https://docs.github.com/v3/#http-redirects"}
    return httpx.Response(status, json=body, headers={"location": location})


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_another_host_is_not_followed_and_never_gets_the_token(guarded, status):
    # httpx alone would follow it without the Authorization header (httpx/_client.py, _redirect_headers);
    # we do not follow it at all: data from elsewhere is not GitHub's answer.
    guarded.get(URL).mock(return_value=moved(EVIL, status))
    elsewhere = guarded.route().mock(return_value=httpx.Response(200, json=[]))
    client, waits = make_client()
    with pytest.raises(GitHubError, match=r"redirected to https://evil\.example/.*configured GitHub API") as caught:
        client.get_page(URL)
    assert caught.value.permanent and waits == []
    assert not elsewhere.called and client.requests_made == 1


@pytest.mark.parametrize("status", [301, 302, 307])
def test_renamed_repository_redirect_is_followed_with_the_token(api, status):
    new = "https://api.github.com/repositories/1296269/issues?per_page=100"
    api.get(URL).mock(return_value=moved(new, status))
    target = api.get("https://api.github.com/repositories/1296269/issues").mock(return_value=OK)
    client, _ = make_client()
    page = client.get_page(URL, {"per_page": 100}, etag='W/"old"')
    assert page.items == [{"id": 1}]
    request = target.calls.last.request
    assert request.headers["authorization"] == "Bearer secret-token"
    assert request.headers["if-none-match"] == 'W/"old"'
    assert client.requests_made == 2  # the 301 is a request too


def test_endless_redirects_are_a_permanent_error(api):
    api.get(URL).mock(return_value=moved(URL))
    client, _ = make_client()
    with pytest.raises(GitHubError, match="redirected too many times") as caught:
        client.get_page(URL)
    assert caught.value.permanent


# GitHub's real shape, as recorded in @octokit/fixtures, and the fake the sync tests use.


def recorded(scenario: str) -> list[dict]:
    folder = npm_package("@octokit/fixtures") / "scenarios" / "api.github.com" / scenario
    return json.loads((folder / "normalized-fixture.json").read_text(encoding="utf-8"))


def rels(link: str | None) -> list[str]:
    return [rel for rel, _ in sorted(links(link).items(), key=lambda pair: pair[0])]


def test_client_pages_through_a_recorded_github_listing(api):
    exchanges = [exchange for exchange in recorded("paginate-issues") if exchange["method"] == "get"]
    for exchange in exchanges:
        path, _, query = exchange["path"].partition("?")
        headers = {"link": exchange["headers"]["link"], "content-type": "application/json"}
        api.get(f"{API_ROOT}{path}", params=query).mock(
            return_value=httpx.Response(exchange["status"], json=exchange["response"], headers=headers)
        )
    client, _ = make_client()
    pages = [client.get_page(exchanges[0]["path"])]
    while pages[-1].next_url:
        pages.append(client.get_page(pages[-1].next_url))
    assert [page.url.removeprefix(API_ROOT) for page in pages] == [exchange["path"] for exchange in exchanges]
    assert [item["number"] for page in pages for item in page.items] == [
        item["number"] for exchange in exchanges for item in exchange["response"]
    ]


def test_fake_github_pages_by_repository_id_like_the_recording():
    real = [exchange["headers"]["link"] for exchange in recorded("paginate-issues") if exchange["method"] == "get"]
    fake = FakeGitHub("acme/shop", per_page=3, repo_id=1000)
    fake.issues += [{"id": n, "updated_at": f"2024-03-04T10:{n:02}:00Z"} for n in range(1, 14)]  # 5 pages
    with respx.mock(assert_all_called=False) as mock:
        fake.install(mock)
        client, _ = make_client()
        page = client.get_page("/repos/acme/shop/issues", {"sort": "updated", "direction": "asc", "per_page": 3})
        ids = [item["id"] for item in page.items]
        while page.next_url:
            page = client.get_page(page.next_url)
            ids += [item["id"] for item in page.items]
        served = [response.headers.get("link") for _, response in mock.calls]
    assert ids == list(range(1, 14))
    assert [request.url.path for request in fake.requests] == ["/repos/acme/shop/issues"] + [
        "/repositories/1000/issues"
    ] * 4
    assert [rels(link) for link in served] == [rels(link) for link in real]
    assert links(served[1]) == {
        rel: f"{API_ROOT}/repositories/1000/issues?sort=updated&direction=asc&per_page=3&page={number}"
        for rel, number in (("prev", 1), ("next", 3), ("last", 5), ("first", 1))
    }


def test_fake_github_moves_a_renamed_repository_like_the_recording():
    real = next(exchange for exchange in recorded("rename-repository") if exchange["status"] == 301)
    fake = FakeGitHub("acme/shop", repo_id=1000)
    fake.former_names.append("acme/old-shop")
    answer = fake.respond(httpx.Request("GET", f"{API_ROOT}/repos/acme/old-shop"))
    assert answer.status_code == real["status"]
    assert answer.headers["location"] == real["headers"]["location"] == f"{API_ROOT}/repositories/1000"
    assert answer.json().keys() == real["response"].keys()
    assert answer.json()["message"] == real["response"]["message"] == "Moved Permanently"


def test_renamed_repository_listing_follows_the_301_and_the_id_links_with_the_token():
    fake = FakeGitHub("acme/shop", per_page=2, repo_id=1296269)
    fake.former_names.append("acme/old-shop")
    fake.issues += [{"id": n, "updated_at": f"2024-03-04T10:0{n}:00Z"} for n in range(1, 6)]
    with respx.mock(assert_all_called=False) as mock:
        fake.install(mock)
        client, _ = make_client()
        page = client.get_page("/repos/acme/old-shop/issues", {"sort": "updated", "direction": "asc", "per_page": 2})
        ids = [item["id"] for item in page.items]
        while page.next_url:
            page = client.get_page(page.next_url)
            ids += [item["id"] for item in page.items]
    assert ids == [1, 2, 3, 4, 5]
    assert [request.url.path for request in fake.requests] == ["/repos/acme/old-shop/issues"] + [
        "/repositories/1296269/issues"
    ] * 3
    assert {request.headers["authorization"] for request in fake.requests} == {"Bearer secret-token"}
    assert client.requests_made == 4
