"""A small, realistic demo history, written as GitHub webhook deliveries and fed through the real intake."""

from __future__ import annotations

import random
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DEMO_NAMESPACE = uuid.UUID("6f1d7d3e-2b1c-4d4e-9c51-3f0c2a7e9b10")


@dataclass(frozen=True)
class DemoDelivery:
    source: str
    event: str
    delivery_id: str
    payload: dict[str, Any]


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(login: str) -> dict[str, Any]:
    is_bot = login.endswith("[bot]")
    return {"login": login, "id": zlib.crc32(login.encode()) % 10_000_000, "type": "Bot" if is_bot else "User",
            "html_url": f"https://github.com/{login}", "site_admin": False}


@dataclass
class _Repo:
    full_name: str
    number: int = 0
    items: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def payload(self) -> dict[str, Any]:
        owner, name = self.full_name.split("/")
        return {"id": zlib.crc32(self.full_name.encode()) % 10_000_000, "name": name, "full_name": self.full_name,
                "owner": _user(owner), "html_url": f"https://github.com/{self.full_name}", "private": True}


class _Writer:
    """Build deliveries in the order GitHub would send them."""

    def __init__(self) -> None:
        self.out: list[DemoDelivery] = []
        self.comment_id = 1000  # GitHub comment and review ids are unique across repositories

    def emit(self, repo: _Repo, event: str, action: str, who: str, **body: Any) -> None:
        payload = {"action": action, **body, "repository": repo.payload, "sender": _user(who)}
        seq = len(self.out)
        guid = str(uuid.uuid5(DEMO_NAMESPACE, f"{repo.full_name}:{seq}:{event}:{action}"))
        self.out.append(DemoDelivery("github", event, guid, payload))

    def open_item(self, repo: _Repo, at: datetime, author: str, title: str, body: str,
                  labels: tuple[str, ...] = (), pr_fixes: int | None = None) -> int:
        repo.number += 1
        n = repo.number
        url = f"https://github.com/{repo.full_name}/{'pull' if pr_fixes is not None else 'issues'}/{n}"
        item = {"id": 5_000_000 + n, "number": n, "title": title, "html_url": url, "user": _user(author),
                "labels": [{"name": lb} for lb in labels], "state": "open", "assignee": None, "assignees": [],
                "created_at": _ts(at), "updated_at": _ts(at), "closed_at": None, "body": body,
                "author_association": "NONE", "comments": 0, "locked": False, "state_reason": None}
        if pr_fixes is not None:
            item.update({"merged": False, "merged_at": None, "draft": False,
                         "head": {"ref": f"fix-{pr_fixes}"}, "base": {"ref": "main"}})
            item["body"] = f"{body}\n\nFixes #{pr_fixes}"
            repo.items[n] = item
            self.emit(repo, "pull_request", "opened", author, number=n, pull_request=dict(item))
        else:
            repo.items[n] = item
            self.emit(repo, "issues", "opened", author, issue=dict(item))
        return n

    def comment(self, repo: _Repo, n: int, at: datetime, author: str, body: str) -> None:
        self.comment_id += 1
        cid = self.comment_id
        item = repo.items[n]
        item["updated_at"] = _ts(at)
        issue = dict(item)
        if "merged" in item:
            issue["pull_request"] = {"url": item["html_url"], "html_url": item["html_url"]}
        comment = {"id": cid, "html_url": f"{item['html_url']}#issuecomment-{cid}",
                   "user": _user(author), "created_at": _ts(at), "updated_at": _ts(at), "body": body,
                   "author_association": "MEMBER"}
        self.emit(repo, "issue_comment", "created", author, issue=issue, comment=comment)

    def label(self, repo: _Repo, n: int, at: datetime, who: str, name: str) -> None:
        item = repo.items[n]
        item["labels"] = [*item["labels"], {"name": name}]
        item["updated_at"] = _ts(at)
        self.emit(repo, "issues", "labeled", who, issue=dict(item), label={"name": name})

    def assign(self, repo: _Repo, n: int, at: datetime, who: str, assignee: str) -> None:
        item = repo.items[n]
        item["assignee"] = _user(assignee)
        item["assignees"] = [_user(assignee)]
        item["updated_at"] = _ts(at)
        self.emit(repo, "issues", "assigned", who, issue=dict(item), assignee=_user(assignee))

    def close(self, repo: _Repo, n: int, at: datetime, who: str) -> None:
        item = repo.items[n]
        item.update({"state": "closed", "closed_at": _ts(at), "updated_at": _ts(at), "state_reason": "completed"})
        self.emit(repo, "issues", "closed", who, issue=dict(item))

    def review(self, repo: _Repo, n: int, at: datetime, who: str, state: str, body: str) -> None:
        self.comment_id += 1
        item = repo.items[n]
        review = {"id": self.comment_id, "user": _user(who), "body": body, "state": state,
                  "submitted_at": _ts(at), "html_url": f"{item['html_url']}#pullrequestreview-{self.comment_id}"}
        self.emit(repo, "pull_request_review", "submitted", who, review=review, pull_request=dict(item))

    def merge(self, repo: _Repo, n: int, at: datetime, who: str) -> None:
        item = repo.items[n]
        item.update({"state": "closed", "closed_at": _ts(at), "updated_at": _ts(at), "merged": True,
                     "merged_at": _ts(at), "merged_by": _user(who)})
        self.emit(repo, "pull_request", "closed", who, number=n, pull_request=dict(item))


_QUESTIONS = [
    ("Checkout button does nothing on Safari", "When I click Pay on Safari nothing happens. Can you look?"),
    ("Invoice totals look wrong for March", "The March invoice shows VAT twice. Which number is right?"),
    ("Can we add a gift note field?", "Customers ask for a gift note at checkout. How long would it take?"),
    ("Search is slow on the catalogue page", "Search takes several seconds since Monday."),
    ("Export orders as a spreadsheet", "Our accountant needs the orders as a spreadsheet every month."),
    ("Password reset e-mail never arrives", "Two customers say the reset e-mail does not come."),
]
_ANSWERS = [
    "Thanks, I can see it. I'm looking into it now and will write back within the hour.",
    "Good catch. The total adds the tax twice; I'll fix it today and tell you when it's live.",
    "Yes, that is about two days of work. I can start tomorrow if you agree.",
    "I found the cause: the page loads every product at once. I'll make it load only what you see.",
]
_TECHNICAL_ANSWERS = [
    "Root cause is a race condition in the idempotency middleware; I'll hotfix the endpoint and redeploy via CI.",
    "The regression comes from the ORM upgrade: N+1 queries on the SKU endpoint. I'll refactor and add a DB index.",
    "LGTM from my side, it's a cache invalidation issue in the CDN layer, TTL is misconfigured. Will patch ASAP.",
]
_FOLLOW_UPS = ["Any news on this?", "One more detail: it only happens on mobile.", "Thanks! Does this need a release?"]


def _working_moment(day: datetime, rng: random.Random, first_hour: int, last_hour: int) -> datetime:
    return day + timedelta(hours=rng.randint(first_hour, last_hour - 1), minutes=rng.randint(0, 59))


def build_history(now: datetime, *, days: int = 35, seed: int = 7) -> list[DemoDelivery]:
    """Return the demo history as webhook deliveries, ending shortly before ``now``."""
    rng = random.Random(seed)
    w = _Writer()
    teams = {"acme/shop": (["olena", "marco", "dmytro"], ["alice-acme", "tom-acme"], (7, 14)),
             "globex/portal": (["priya", "marco"], ["bob-globex"], (14, 20))}
    logins = {"olena": "olena-dev", "marco": "marco-codes", "priya": "priya-n", "dmytro": "dshev"}
    repos = {name: _Repo(name) for name in teams}
    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for name, (devs, clients, (h0, h1)) in teams.items():
            repo = repos[name]
            for _ in range(rng.randint(1, 2)):
                at = _working_moment(day, rng, h0, h1)
                if at > now - timedelta(hours=3):
                    continue
                _conversation(w, repo, rng, at, [logins[d] for d in devs], clients, now)
            if rng.random() < 0.35:
                at = _working_moment(day, rng, h0, h1)
                if at < now - timedelta(hours=6):
                    _production_bug(w, repo, rng, at, [logins[d] for d in devs], clients)
    _open_now(w, repos["acme/shop"], now, "alice-acme")
    return w.out


def _conversation(w: _Writer, repo: _Repo, rng: random.Random, at: datetime, devs: list[str],
                  clients: list[str], now: datetime) -> None:
    title, body = rng.choice(_QUESTIONS)
    client = rng.choice(clients)
    dev = rng.choice(devs)
    n = w.open_item(repo, at, client, title, body)
    w.assign(repo, n, at + timedelta(minutes=2), dev, dev)
    if rng.random() < 0.3 and repo.full_name == "acme/shop":
        w.comment(repo, n, at + timedelta(minutes=1), "acme-ci", "Automated check: no deploy in progress.")
    t = at + timedelta(minutes=rng.choice([6, 9, 12, 18, 22, 27, 41, 55, 95]))
    jargon = dev == "marco-codes" and rng.random() < 0.6  # one developer still writes for engineers
    w.comment(repo, n, t, dev, rng.choice(_TECHNICAL_ANSWERS if jargon else _ANSWERS))
    if rng.random() < 0.5:
        t += timedelta(minutes=rng.randint(20, 90))
        w.comment(repo, n, t, client, rng.choice(_FOLLOW_UPS))
        if rng.random() < 0.4:
            w.comment(repo, n, t + timedelta(minutes=4), client, "Also, the customer is waiting on the phone.")
        t += timedelta(minutes=rng.choice([5, 11, 16, 24, 33, 70]))
        if t < now:
            w.comment(repo, n, t, dev, "Done: it's fixed and live. Please try again and tell me if it works.")


def _production_bug(w: _Writer, repo: _Repo, rng: random.Random, at: datetime, devs: list[str],
                    clients: list[str]) -> None:
    client, dev = rng.choice(clients), rng.choice(devs)
    late_label = rng.random() < 0.4
    labels = () if late_label else ("production",)
    n = w.open_item(repo, at, client, "Orders fail with an error page", "Customers can't place orders.", labels)
    t = at + timedelta(minutes=rng.randint(3, 15))
    w.comment(repo, n, t, dev, "On it. Orders fail since the last release; I'm rolling it back now.")
    if late_label:
        w.label(repo, n, t + timedelta(minutes=5), dev, "production")
    w.assign(repo, n, t + timedelta(minutes=6), dev, dev)
    fix_at = t + timedelta(minutes=rng.choice([50, 80, 110, 150, 200, 260]))
    if rng.random() < 0.5:
        pr = w.open_item(repo, fix_at - timedelta(minutes=30), dev, "Undo the checkout change", "Restores orders.",
                         pr_fixes=n)
        reviewer = next((d for d in devs if d != dev), dev)
        w.review(repo, pr, fix_at - timedelta(minutes=10), reviewer, "approved", "Looks right, ship it.")
        w.merge(repo, pr, fix_at, dev)
    else:
        w.close(repo, n, fix_at, dev)
    w.comment(repo, n, fix_at + timedelta(minutes=2), dev, "Fixed: orders work again. Sorry for the trouble.")


def _open_now(w: _Writer, repo: _Repo, now: datetime, client: str) -> None:
    """Leave a few clocks running at the end, so the demo shows work in progress."""
    w.open_item(repo, now - timedelta(minutes=20), client, "Banner shows last week's sale",
                "The home page still shows last week's sale banner. Can you take it down?")
    n = w.open_item(repo, now - timedelta(minutes=50), client, "Payment page down for some customers",
                    "Some customers get an error on the payment page.", ("production",))
    w.assign(repo, n, now - timedelta(minutes=45), "olena-dev", "olena-dev")

