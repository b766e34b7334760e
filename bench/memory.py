"""Peak memory of a GitHub backfill through the real sync runner (run_sync, the store and the clocks).

A generated repository is served page by page through an httpx.MockTransport (nothing held in memory
on the server side); app/sync.py's run_sync reads it from empty cursors and stores every page with its
clocks into a fresh SQLite file (or a private PostgreSQL schema). Each size runs in its own process, so
each peak RSS is its own; a flat peak across sizes shows pages are streamed, not the history held.

    .venv/bin/python bench/memory.py [--sizes 10000,100000] [--databases sqlite] [--comments-per-item 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database, machine, postgres_available, rss_mb  # noqa: E402

TARGET_MB = 300
# The generated repository has one author, "dev": made a client here, so every item gets a response clock
# (a client message nobody answers) and every "labeled bug" event a production-bug clock, as in a real backfill.
CONTRACTS_YAML = """
people:
  - {id: dev, name: Dev Client, role: client, github: dev}
clients:
  - name: acme
    github_repos: [acme/shop]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h, at_risk: 0.75}
    production_bug: {labels: [bug]}
"""


class RssSampler:
    """Sample this process's RSS every ``every`` seconds in a thread; keep the highest seen."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb()[0])
            self._stop.wait(self.every)


def backfill(url: str, items: int, comments: int, review_comments: int, events: int, pr_every: int) -> dict:
    """Run one full backfill through run_sync; return timings, counts and RSS along the way (MB)."""
    import httpx
    from sqlalchemy import func, select

    from app.contracts import parse_contracts
    from app.core.db import make_engine, make_sessionmaker
    from app.core.tables import ClockRow
    from app.settings import Settings
    from app.sync.runner import Connectors, run_sync
    from bench.github_sync import FakeGitHub, Repository

    repo = Repository(items, comments, review_comments, events, pr_every=pr_every)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    settings = Settings(_env_file=None, database_url=url, github_token="bench")  # type: ignore[call-arg]
    connectors = Connectors(settings, factory, github_transport=httpx.MockTransport(FakeGitHub(repo)),
                            sleep=lambda _: None)
    contracts = parse_contracts(CONTRACTS_YAML, "bench contracts")
    baseline = rss_mb()[0]
    along: list[tuple[int, float]] = []

    def progress(_label: str, _stream: str, summary: object) -> None:
        pages = summary.pages  # type: ignore[attr-defined]
        if pages % 250 == 0:
            along.append((pages, rss_mb()[0]))

    started = time.monotonic()
    with RssSampler() as sampler:
        summary = run_sync(factory=factory, contracts=contracts, connectors=connectors, source="github",
                           mode="full", progress=progress)
    elapsed = time.monotonic() - started
    with engine.connect() as conn:
        clocks = int(conn.scalar(select(func.count()).select_from(ClockRow)) or 0)
    engine.dispose()
    current, high_water = rss_mb()
    return {"items": items, "comments": comments, "review_comments": review_comments, "events": events,
            "pulls": len(repo.pulls), "status": summary.status, "errors": summary.errors, "pages": summary.pages,
            "requests": summary.requests, "stored_items": summary.items, "activities": summary.activities,
            "clocks": clocks,
            "seconds": elapsed, "baseline_mb": baseline, "peak_sampled_mb": sampler.peak, "peak_mb": high_water,
            "end_mb": current, "along": along}


def child(args: argparse.Namespace) -> None:
    """Measure one size in this process and print its figures as one JSON line."""
    with tempfile.TemporaryDirectory(prefix="pulse-memory-") as tmp, database(args.database, Path(tmp)) as url:
        figures = backfill(url, args.items, args.items * args.comments_per_item, args.items // 10,
                           args.items // 2, args.pr_every)
    figures["database"] = args.database
    print("RESULT " + json.dumps(figures))


def run_child(database_kind: str, items: int, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", "--database", database_kind, "--items", str(items),
               "--comments-per-item", str(args.comments_per_item), "--pr-every", str(args.pr_every)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"the {items}-item backfill printed no result:\n{done.stdout}\n{done.stderr[-3000:]}")
    return json.loads(line.removeprefix("RESULT "))


def report(run: dict) -> None:
    along = ", ".join(f"{pages}: {mb:.0f}" for pages, mb in run["along"][:: max(1, len(run["along"]) // 8)])
    verdict = "met" if run["peak_mb"] < TARGET_MB else "NOT met"
    print(f"{run['database']:<10} {run['items']:>7} issues/PRs ({run['pulls']} PRs), {run['comments']} comments, "
          f"{run['review_comments']} review comments, {run['events']} events: {run['status']}, {run['pages']} pages, "
          f"{run['requests']} requests, {run['stored_items']} items + {run['activities']} activities stored "
          f"({run['clocks']} clocks) in "
          f"{run['seconds']:.0f} s ({run['stored_items'] / max(run['seconds'], 1e-9):.0f} items/s)")
    print(f"{'':<10} RSS before the sync {run['baseline_mb']:.0f} MB, peak {run['peak_mb']:.0f} MB (VmHWM; sampled "
          f"{run['peak_sampled_mb']:.0f}), at the end {run['end_mb']:.0f} MB; target < {TARGET_MB} MB: {verdict}")
    print(f"{'':<10} RSS by pages stored (pages: MB): {along}")
    if run["errors"]:
        print(f"{'':<10} errors: {run['errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="issue counts, each backfilled in its own process")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--comments-per-item", type=int, default=1)
    parser.add_argument("--pr-every", type=int, default=10, help="every n-th item is a pull request")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one backfill may take")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    kinds = [k for k in args.databases.split(",") if k]
    if "postgresql" in kinds and not postgres_available():
        print("PostgreSQL is not reachable: measuring SQLite only")
        kinds.remove("postgresql")
    print(machine())
    for kind in kinds:
        for items in (int(x) for x in args.sizes.split(",")):
            report(run_child(kind, items, args))


if __name__ == "__main__":
    main()
