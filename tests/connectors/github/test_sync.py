"""Incremental sync against a fake GitHub served by respx: paging, cursors, ETags."""

from datetime import UTC, datetime, timedelta

import pytest
import respx

from connectors.github.client import GitHubClient
from connectors.github.sync import STREAMS, GitHubSync

from .fake_github import API, FakeGitHub

REPO = "acme/shop"
WEB = f"https://github.com/{REPO}"
DEV = {"login": "dev-bob", "type": "User"}
CLIENT = {"login": "client-ann", "type": "User"}


def t(text: str) -> str:
    return f"2024-03-04T{text}Z"


def dt(text: str) -> datetime:
    return datetime.fromisoformat(t(text))


def issue(number: int, created: str, updated: str, *, pull: bool = False, user=CLIENT) -> dict:
    row = {
        "id": 1000 + number,
        "number": number,
        "title": f"Item {number}",
        "user": user,
        "labels": [],
        "assignees": [],
        "state": "open",
        "state_reason": None,
        "created_at": t(created),
        "updated_at": t(updated),
        "closed_at": None,
        "body": "Fixes #1" if pull else "It breaks",
        "html_url": f"{WEB}/{'pull' if pull else 'issues'}/{number}",
    }
    if pull:
        row["pull_request"] = {"url": f"{API}/repos/{REPO}/pulls/{number}", "merged_at": None}
    return row


def comment(comment_id: int, number: int, created: str, updated: str | None = None, user=DEV) -> dict:
    return {
        "id": comment_id,
        "user": user,
        "body": f"comment {comment_id}",
        "created_at": t(created),
        "updated_at": t(updated or created),
        "html_url": f"{WEB}/issues/{number}#issuecomment-{comment_id}",
        "issue_url": f"{API}/repos/{REPO}/issues/{number}",
    }


def review_comment(comment_id: int, number: int, created: str) -> dict:
    row = comment(comment_id, number, created)
    row.update(pull_request_url=f"{API}/repos/{REPO}/pulls/{number}", pull_request_review_id=None)
    return row


def review(review_id: int, submitted: str, state: str = "APPROVED") -> dict:
    return {"id": review_id, "user": DEV, "body": "", "state": state, "submitted_at": t(submitted), "html_url": WEB}


def event(event_id: int, name: str, created: str, subject: dict, **extra) -> dict:
    return {"id": event_id, "event": name, "actor": DEV, "created_at": t(created), "issue": subject, **extra}


class Runner:
    """Stand-in for the app's runner: store each page, then save its cursor."""

    def __init__(self):
        self.activities, self.items, self.cursors = {}, {}, dict.fromkeys(STREAMS)
        self.pages = []

    def sync(self, client, started_at):
        for page in GitHubSync(client, REPO, dict(self.cursors), started_at=started_at).iter_pages():
            self.pages.append(page)
            self.items.update((item.key, item) for item in page.batch.work_items)
            self.activities.update((activity.external_id, activity) for activity in page.batch.activities)
            if page.cursor is not None:
                self.cursors[page.stream] = page.cursor


def make_client():
    return GitHubClient("test-token", sleep=lambda seconds: pytest.fail(f"unexpected sleep {seconds}"))


@pytest.fixture
def github():
    fake = FakeGitHub(REPO)
    with respx.mock(assert_all_called=True) as mock:
        yield fake, mock


def history_until_noon(fake):
    one, two = issue(1, "10:00:00", "10:05:00"), issue(2, "10:20:00", "10:40:00", pull=True, user=DEV)
    four = issue(4, "10:45:00", "10:50:00", pull=True, user=DEV)
    three = issue(3, "11:59:00", "12:00:30")  # changed while the first sync runs
    fake.issues += [one, two, four, three]
    fake.comments += [comment(101, 1, "10:05:00")]
    fake.review_comments += [review_comment(401, 2, "10:30:00")]
    fake.reviews.update({2: [review(301, "10:30:00")], 4: [review(303, "10:50:00", "COMMENTED")]})
    fake.events += [
        event(9001, "labeled", "10:01:05", one, label={"name": "bug"}),
        event(9002, "subscribed", "10:01:06", one),
        event(9003, "merged", "10:40:00", two),
    ]
    return one, two


def test_two_passes_store_records_and_move_cursors(github):
    fake, mock = github
    one, two = history_until_noon(fake)
    fake.install(mock)
    runner, client = Runner(), make_client()
    runner.sync(client, started_at=datetime(2024, 3, 4, 12, 0, 10, 500000, tzinfo=UTC))

    assert sorted(runner.items) == [f"{REPO}#1", f"{REPO}#2", f"{REPO}#3", f"{REPO}#4"]
    assert sorted(runner.activities) == sorted(
        [f"opened:{REPO}#{n}" for n in (1, 2, 3, 4)]
        + ["comment:101", "review_comment:401", "review:301", "review:303"]
        + [f"labeled:{REPO}#1:2024-03-04T10:01:05Z:bug", f"merged:{REPO}#2:2024-03-04T10:40:00Z"]
    )
    assert runner.cursors == {
        "issues": dt("12:00:09"),  # #3 changed at 12:00:30, after the sync started: capped
        "reviews": dt("12:00:09"),
        "issue_comments": dt("10:05:00"),
        "review_comments": dt("10:30:00"),
        "issue_events": dt("10:40:00"),
    }
    assert client.requests_made == 6  # 4 listings + reviews of PRs #2 and #4

    # Second pass: a new comment on #1, a new review on PR #2, and #1 closed.
    one.update(updated_at=t("12:30:00"))
    two.update(updated_at=t("12:40:00"))
    fake.comments.append(comment(102, 1, "12:30:00", user=CLIENT))
    fake.reviews[2].append(review(302, "12:40:00", "CHANGES_REQUESTED"))
    fake.events.append(event(9004, "closed", "12:35:00", one, state_reason="completed"))
    fake.requests.clear()
    runner.sync(client, started_at=dt("13:00:00"))

    assert fake.paths() == [
        f"/repos/{REPO}/issues?state=all&sort=updated&direction=asc&per_page=100&since=2024-03-04T11%3A59%3A09Z",
        f"/repos/{REPO}/pulls/2/reviews?per_page=100",  # not #4: unchanged since the reviews cursor
        f"/repos/{REPO}/issues/comments?sort=updated&direction=asc&per_page=100&since=2024-03-04T10%3A04%3A00Z",
        f"/repos/{REPO}/pulls/comments?sort=updated&direction=asc&per_page=100&since=2024-03-04T10%3A29%3A00Z",
        f"/repos/{REPO}/issues/events?per_page=100",
    ]
    assert {"comment:102", "review:302", f"closed:{REPO}#1:2024-03-04T12:35:00Z"} <= set(runner.activities)
    assert dict(runner.activities["review:302"].data) == {"state": "changes_requested"}
    assert runner.cursors == {
        "issues": dt("12:40:00"),
        "reviews": dt("12:40:00"),
        "issue_comments": dt("12:30:00"),
        "review_comments": dt("10:30:00"),
        "issue_events": dt("12:35:00"),
    }
    assert client.requests_made == 6 + 5


def test_link_pagination_follows_next_until_the_last_page(github):
    fake, mock = github
    fake.per_page = 2
    fake.issues += [issue(n, "09:00:00", f"09:0{n}:00") for n in range(1, 6)]
    fake.comments.append(comment(101, 1, "09:10:00"))
    fake.review_comments.append(review_comment(401, 1, "09:10:00"))
    fake.events.append(event(9001, "reopened", "09:10:00", issue(1, "09:00:00", "09:01:00")))
    fake.install(mock)
    runner, client = Runner(), make_client()
    runner.sync(client, started_at=dt("12:00:00"))
    issue_pages = [page for page in runner.pages if page.stream == "issues"]
    assert [[item.key for item in page.batch.work_items] for page in issue_pages] == [
        [f"{REPO}#1", f"{REPO}#2"],
        [f"{REPO}#3", f"{REPO}#4"],
        [f"{REPO}#5"],
    ]
    assert [page.cursor for page in issue_pages] == [dt("09:02:00"), dt("09:04:00"), dt("09:05:00")]
    assert [path for path in fake.paths() if "/issues?" in path][1:] == [
        f"/repos/{REPO}/issues?state=all&sort=updated&direction=asc&per_page=100&page=2",
        f"/repos/{REPO}/issues?state=all&sort=updated&direction=asc&per_page=100&page=3",
    ]


def test_unchanged_repository_costs_one_conditional_request_per_listing(github):
    fake, mock = github
    history_until_noon(fake)
    fake.issues.pop()  # no change during the sync this time
    fake.install(mock)
    runner, client = Runner(), make_client()
    runner.sync(client, started_at=dt("12:00:00"))
    runner.sync(client, started_at=dt("12:10:00"))  # new since: answers 200 with the overlap only
    before, not_modified, saved = client.requests_made, client.not_modified, dict(runner.cursors)
    page_count = len(runner.pages)
    runner.sync(client, started_at=dt("12:20:00"))  # same URLs and ETags: all 304
    assert client.requests_made - before == 4
    assert client.not_modified - not_modified == 4
    assert len(runner.pages) == page_count  # nothing to store
    assert runner.cursors == saved
    assert all(request.headers.get("if-none-match") for request in fake.requests[-4:])


def test_304_on_page_one_of_a_multi_page_ascending_listing_is_not_trusted(github):
    fake, mock = github
    fake.per_page = 2
    fake.issues += [issue(n, "09:00:00", "09:00:00") for n in range(1, 4)]
    fake.comments.append(comment(101, 1, "09:10:00"))
    fake.review_comments.append(review_comment(401, 1, "09:10:00"))
    fake.events.append(event(9001, "reopened", "09:10:00", fake.issues[0]))
    fake.install(mock)
    runner, client = Runner(), make_client()
    runner.sync(client, started_at=dt("12:00:00"))
    runner.sync(client, started_at=dt("12:10:00"))
    issue_requests = [request for request in fake.requests if request.url.path.endswith("/issues")]
    # Every item shares one second, so the overlap re-reads all three: two pages, never conditional.
    assert not any(request.headers.get("if-none-match") for request in issue_requests)


def test_issue_events_are_read_back_to_the_cursor_and_move_it_only_at_the_end(github):
    fake, mock = github
    subject = issue(1, "09:00:00", "09:00:00")
    fake.issues.append(subject)
    fake.comments.append(comment(101, 1, "09:10:00"))
    fake.review_comments.append(review_comment(401, 1, "09:10:00"))
    fake.per_page = 2
    fake.events += [event(9000 + n, "labeled", f"10:0{n}:00", subject, label={"name": f"l{n}"}) for n in range(6)]
    fake.install(mock)
    runner = Runner()
    runner.cursors["issue_events"] = dt("10:03:30")
    runner.sync(make_client(), started_at=dt("12:00:00"))
    event_pages = [page for page in runner.pages if page.stream == "issue_events"]
    # Newest first: 10:05, 10:04 | 10:03 (inside the 60 s overlap), 10:02 (older: stop here).
    assert [page.cursor for page in event_pages] == [None, dt("10:05:00")]
    labels = [activity.data["label"] for page in event_pages for activity in page.batch.activities]
    assert labels == ["l5", "l4", "l3"]
    assert len([request for request in fake.requests if request.url.path.endswith("/events")]) == 2


def test_naive_cursor_or_start_is_refused():
    client = make_client()
    with pytest.raises(ValueError, match="issues"):
        GitHubSync(client, REPO, {"issues": datetime(2024, 3, 4)}, started_at=datetime.now(UTC))
    with pytest.raises(ValueError, match="started_at"):
        GitHubSync(client, REPO, {}, started_at=datetime(2024, 3, 4))


def test_cursor_never_moves_backwards(github):
    fake, mock = github
    fake.issues.append(issue(1, "09:00:00", "09:00:00"))
    fake.comments.append(comment(101, 1, "09:10:00"))
    fake.review_comments.append(review_comment(401, 1, "09:10:00"))
    fake.events.append(event(9001, "reopened", "09:10:00", fake.issues[0]))
    fake.install(mock)
    runner = Runner()
    runner.cursors.update(issues=dt("09:00:30"), reviews=dt("09:00:30"))
    runner.sync(make_client(), started_at=dt("12:00:00"))
    assert runner.cursors["issues"] == dt("09:00:30")  # the overlap re-read an older item
    assert runner.cursors["issues"] - timedelta(seconds=60) < dt("09:00:00")
