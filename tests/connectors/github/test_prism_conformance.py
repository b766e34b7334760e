"""The GitHub sync against GitHub's own REST description (@octokit/openapi), served by Prism, its validating mock.

Prism (``--errors``) answers 422 naming the violation when a request breaks the description, so every request the
sync sends is checked, on api.github.com's description and on the newest GitHub Enterprise Server's. Its answers,
the description's examples and random schema-valid data from fixed seeds, must be read by the client and the
normalizers without a crash, and a whole sync over random data finishes. A normalizer refuses a schema-valid record
only where EXPECTED_REFUSALS says why (the sync keeps it in quarantine and goes on); any other refusal fails.

Prism loads only the operations the sync uses, cut out of the description with everything they refer to: the
whole api.github.com.json (13 MB) takes Prism 13 to 29 s to load on two cores, its .deref variant (73 MB) 26 s,
the subset about 2 s.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.github.client import GitHubClient, GitHubError
from connectors.github.normalize import (
    normalize_rest_comment,
    normalize_rest_issue,
    normalize_rest_issue_event,
    normalize_rest_review,
    normalize_rest_review_comment,
)
from connectors.github.shapes import time_field
from connectors.github.sync import STREAMS, GitHubSync
from connectors.records import PayloadError
from tests.conformance import npm_bin, npm_package

REPO = "octocat/Hello-World"
# The GETs the sync sends (connectors/github/streams.py). A request for anything else gets Prism's 404 and fails
# the validity test, which then says what to add here.
OPERATIONS = (
    "/repos/{owner}/{repo}/issues",
    "/repos/{owner}/{repo}/issues/comments",
    "/repos/{owner}/{repo}/pulls/comments",
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    "/repos/{owner}/{repo}/issues/events",
)
SEEDS = ("1", "2", "3", "4")
# An issue event's "event" is a free string in the description, so each name the sync measures is schema-valid.
MEASURED_EVENTS = (
    "labeled", "unlabeled", "assigned", "unassigned", "reopened", "closed", "merged", "ready_for_review",
    "convert_to_draft",
)  # fmt: skip
STARTUP_LIMIT = 60.0


def description_subset(source: Path, target: Path) -> None:
    """Write the GET operations in OPERATIONS of ``source`` to ``target``, with every component they refer to."""
    spec = json.loads(source.read_text(encoding="utf-8"))
    paths = {}
    for path in OPERATIONS:
        item = spec["paths"][path]
        paths[path] = {key: item[key] for key in ("get", "parameters") if key in item}
    components: dict[str, dict[str, Any]] = {}
    pending = [paths]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.removeprefix("#/components/").split("/", 1)
                if name not in components.setdefault(kind, {}):
                    components[kind][name] = spec["components"][kind][name]
                    pending.append(components[kind][name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    subset = {key: spec[key] for key in ("openapi", "info", "servers") if key in spec}
    target.write_text(json.dumps({**subset, "paths": paths, "components": components}), encoding="utf-8")


def newest_description(folder: Path, flavour: str) -> Path:
    """Return the description of ``flavour``: api.github.com, or the newest GitHub Enterprise Server's."""
    if flavour != "ghes":
        return folder / f"{flavour}.json"
    versions = {}
    for path in folder.glob("ghes-*.json"):
        match = re.fullmatch(r"ghes-(\d+)\.(\d+)\.json", path.name)
        if match:
            versions[int(match[1]), int(match[2])] = path
    if not versions:
        pytest.skip(f"@octokit/openapi has no GitHub Enterprise Server description in {folder}.")
    return versions[max(versions)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Prism:
    """A running Prism mock of one description."""

    flavour: str
    url: str


@pytest.fixture(scope="module", params=["api.github.com", "ghes"])
def prism(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    command = npm_bin("prism")
    source = newest_description(npm_package("@octokit/openapi") / "generated", request.param)
    folder = tmp_path_factory.mktemp(f"prism-{request.param}")
    spec, log = folder / "description.json", folder / "prism.log"
    description_subset(source, spec)
    port = free_port()
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own installed npm command, fixed arguments
            [str(command), "mock", str(spec), "--host", "127.0.0.1", "--port", str(port), "--errors",
             "--verboseLevel", "warn"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(process, url, log, started)
        yield Prism(f"{request.param} ({source.name})", url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], url: str, log: Path, started: float) -> None:
    while time.monotonic() - started < STARTUP_LIMIT:
        if process.poll() is not None:
            pytest.fail(f"Prism stopped while loading the description (exit {process.returncode}):\n{_tail(log)}")
        try:
            httpx.get(f"{url}/repos/{REPO}/issues", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(f"Prism did not listen within {STARTUP_LIMIT:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])


@dataclass(frozen=True)
class Exchange:
    url: httpx.URL
    sent: Mapping[str, str]  # the headers the client sent, before Accept was adjusted for Prism
    status: int
    violations: str | None


@dataclass
class PrismTransport(httpx.BaseTransport):
    """Send the client's requests to Prism and note each exchange; optionally ask for random data from a seed.

    Prism negotiates on the description's media type, ``application/json``, while GitHub documents
    ``application/vnd.github+json`` as the one to send (docs.github.com/en/rest/using-the-rest-api/
    getting-started-with-the-rest-api#accept), which Prism answers with 406; so Accept is adjusted here.
    Prism's Link header is its description's example, ``https://api.github.com/resource?page=2``; it is dropped
    unless ``keep_links``, since the client rightly refuses to follow it off the local mock.
    """

    seed: str | None = None
    keep_links: bool = False
    exchanges: list[Exchange] = field(default_factory=list)
    inner: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = dict(request.headers)
        request.headers["Accept"] = "application/json"
        if self.seed is not None:
            request.headers["Prefer"] = f"dynamic=true, seed={self.seed}"
        response = self.inner.handle_request(request)
        content = response.read()
        headers = response.headers
        self.exchanges.append(Exchange(request.url, sent, response.status_code, headers.get("sl-violations")))
        dropped = {"content-encoding", "content-length"} | (set() if self.keep_links else {"link"})  # read above
        kept = [(key, value) for key, value in headers.multi_items() if key.lower() not in dropped]
        return httpx.Response(response.status_code, headers=kept, content=content, request=request)


def make_client(prism: Prism, transport: PrismTransport) -> GitHubClient:
    return GitHubClient("test-token", base_url=prism.url, transport=transport, sleep=lambda seconds: None)


def operation_of(url: httpx.URL) -> str | None:
    for operation in OPERATIONS:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(operation))
        if re.fullmatch(pattern, url.path):
            return operation
    return None


@dataclass(frozen=True)
class SyncRecord:
    exchanges: list[Exchange]
    error: GitHubError | None


@pytest.fixture(scope="module")
def synced(prism: Prism) -> SyncRecord:
    """Run the sync twice over the description's examples: a first sync, then one from saved cursors."""
    transport = PrismTransport()
    with make_client(prism, transport) as client:
        try:
            for cursors in ({}, dict.fromkeys(STREAMS, datetime(2010, 1, 1, tzinfo=UTC))):
                for _ in GitHubSync(client, REPO, cursors, started_at=datetime.now(UTC)).iter_pages():
                    pass
        except GitHubError as error:  # Prism refused a request: the validity test says which and why
            return SyncRecord(transport.exchanges, error)
    return SyncRecord(transport.exchanges, None)


def test_every_request_the_sync_sends_is_valid_per_the_description(prism, synced):
    invalid = [f"GET {e.url} -> {e.status} {e.violations or ''}" for e in synced.exchanges if e.status >= 400]
    assert invalid == [], f"{prism.flavour}: requests the description does not allow:\n" + "\n".join(invalid)
    assert synced.error is None
    assert [e.violations for e in synced.exchanges if e.violations] == []
    assert {operation_of(e.url) for e in synced.exchanges} == set(OPERATIONS)
    assert any("since" in e.url.params for e in synced.exchanges)  # the incremental form was checked too
    assert {(e.sent["accept"], e.sent["x-github-api-version"]) for e in synced.exchanges} == {
        ("application/vnd.github+json", "2022-11-28")
    }


def test_next_link_in_prisms_answer_is_refused_off_the_mock(prism):
    transport = PrismTransport(keep_links=True)
    with make_client(prism, transport) as client:
        page = client.get_page(f"/repos/{REPO}/issues", {"per_page": 100})
        assert page.next_url is not None and not page.next_url.startswith(prism.url)
        with pytest.raises(GitHubError, match=rf"{re.escape(page.next_url)}.*GitHub API {re.escape(prism.url)}"):
            client.get_page(page.next_url)
    assert len(transport.exchanges) == 1


@dataclass(frozen=True)
class Reading:
    """One way the sync reads a record: its cursor field, then its normalizer; ``as_event`` renames an issue event."""

    what: str
    read: Callable[[Mapping[str, Any]], object]
    as_event: str | None = None


def readings(url: httpx.URL) -> list[Reading]:
    """Return how the sync reads each record of this listing."""
    operation = operation_of(url)
    if operation == "/repos/{owner}/{repo}/issues/events":

        def event(name: str | None) -> Callable[[Mapping[str, Any]], object]:
            def read(obj: Mapping[str, Any]) -> object:
                time_field(obj, "created_at", "issue_events")
                return normalize_rest_issue_event(REPO, obj if name is None else {**obj, "event": name})

            return read

        variants = [Reading("issue event", event(name), as_event=name) for name in MEASURED_EVENTS]
        return [Reading("issue event", event(None)), *variants]
    if operation == "/repos/{owner}/{repo}/pulls/{pull_number}/reviews":
        number = int(url.path.split("/")[-2])
        return [Reading("review", lambda obj: normalize_rest_review(REPO, number, obj))]
    normalizer = {
        "/repos/{owner}/{repo}/issues": normalize_rest_issue,
        "/repos/{owner}/{repo}/issues/comments": normalize_rest_comment,
        "/repos/{owner}/{repo}/pulls/comments": normalize_rest_review_comment,
    }[str(operation)]
    name = str(operation).removeprefix("/repos/{owner}/{repo}/")

    def read(obj: Mapping[str, Any]) -> object:
        time_field(obj, "updated_at", name)
        return normalizer(REPO, obj)

    return [Reading(name, read)]


# Schema-valid records the normalizers refuse on purpose: a comment whose issue_url (or pull_request_url) names no
# item number belongs to no item we could file it under. The sync keeps such a record in quarantine with this reason.
EXPECTED_REFUSALS = {
    ("issues/comments", "The GitHub comment's issue_url does not end with the item number: '<url>'."),
    ("pulls/comments", "The GitHub review comment's pull_request_url does not end with the item number: '<url>'."),
}


def _kind_of(error: PayloadError) -> str:
    # One line per kind of refusal, not per random value.
    return re.sub(r"-?\d+", "<number>", re.sub(r"https?://[^\s']*", "<url>", str(error)))


@pytest.mark.parametrize("mode", ["examples", *(f"seed {seed}" for seed in SEEDS)])
def test_prisms_answers_are_read_without_a_crash(prism, synced, mode):
    transport = PrismTransport(seed=None if mode == "examples" else mode.removeprefix("seed "))
    crashes, refused_as_given, read = [], [], 0
    refusals: set[tuple[str, str]] = set()  # (record, kind of refusal)
    with make_client(prism, transport) as client:
        # One request per operation: Prism's answer depends on the operation and the seed, not on the query.
        urls = {operation_of(e.url): e.url for e in reversed(synced.exchanges) if e.status < 400}
        for url in urls.values():
            page = client.get_page(str(url))  # a GitHubError here fails the test: the client could not read it
            for obj in page.items:
                for reading in readings(url):
                    try:
                        reading.read(obj)
                        read += 1
                    except PayloadError as error:
                        refusals.add((reading.what, _kind_of(error)))
                        if reading.as_event is None:
                            refused_as_given.append(f"{reading.what}: {error}")
                    except Exception as error:
                        where = f"{reading.what} (as {reading.as_event!r})" if reading.as_event else reading.what
                        crashes.append(f"{where} from GET {url.path}: {error!r} on {json.dumps(obj)[:400]}")
    assert [e for e in transport.exchanges if e.status >= 400] == []
    assert crashes == [], f"{prism.flavour}, {mode}: reading schema-valid records crashed:\n" + "\n".join(crashes)
    if mode == "examples":
        assert read > 0 and refused_as_given == [], f"{prism.flavour}: the description's own examples were refused"
    unexpected = sorted(f"{what}: {kind}" for what, kind in refusals if (what, kind) not in EXPECTED_REFUSALS)
    assert unexpected == [], f"{prism.flavour}, {mode}: schema-valid records refused:\n" + "\n".join(unexpected)



@pytest.mark.parametrize("seed", SEEDS)
def test_a_whole_sync_over_random_schema_valid_data_finishes_and_quarantines_what_it_cannot_read(prism, seed):
    """The sync itself, not only its normalizers: Prism's random answers never stop it; an odd record is rejected."""
    transport = PrismTransport(seed=seed)
    pages = []
    with make_client(prism, transport) as client:
        pages = list(GitHubSync(client, REPO, {}, started_at=datetime.now(UTC)).iter_pages())
    streams = {page.stream for page in pages}
    assert streams >= {"issues", "issue_comments", "review_comments", "issue_events"}
    rejected = [r for page in pages for r in page.batch.rejected]
    kinds = {(r.kind, _kind_of(PayloadError(r.reason))) for r in rejected}
    by_listing = dict(EXPECTED_REFUSALS)
    allowed = {("comment", by_listing["issues/comments"]), ("review_comment", by_listing["pulls/comments"])}
    assert kinds <= allowed, f"{prism.flavour}, seed {seed}: unexpected refusals: {sorted(kinds - allowed)}"
    assert all(r.source == "github" and r.scope == REPO and r.body for r in rejected)

