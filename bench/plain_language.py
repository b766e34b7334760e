"""The plain-language figures of a year: what /v1/metrics/plain-language computes per group, on many scores.

Writes random scores (100 developers, 20 clients, about 1.2 flagged terms a message, spread over a year) through
the scorer's own write path (``message_scores`` and ``flagged_terms``), then times ``group_figures`` — the sums,
the listed messages and each top term's newest messages the endpoint answers with — for 30 days and a year, by
developer, client and week, as CPU time of this process (best of ``--repeat``; the database runs in-process
for SQLite, so its work is counted; for PostgreSQL the server's share is not). Also times ``term_messages``
both ways (one ranking statement; term by term through the index), and checks they give the same ids.

    .venv/bin/python bench/plain_language.py --scores 300000 --db sqlite,postgresql
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import database, machine, postgres_available

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TERMS = [("deploy", "put live"), ("idempotent", "safe to repeat"), ("k8s", None), ("refactor", "tidy up"),
         ("ORM", None), ("latency", "delay"), ("SLA", None), ("rollback", "undo"), ("cache", None),
         ("schema", "layout"), ("endpoint", None), ("webhook", "automatic message"), ("staging", "test copy"),
         ("merge", "combine"), ("hotfix", "quick fix"), ("regression", "something that broke again")]


def fill(url: str, count: int, seed: int = 7) -> None:
    """Write ``count`` random scores and their flagged terms as the scorer writes them, in pages of 2,000."""
    from app.core.db import make_engine, make_sessionmaker
    from app.core.tables import MessageScore
    from app.reports.plain_language import write_flagged_terms
    from app.store.statistics import refresh_statistics

    rng = random.Random(seed)
    developers = [f"dev{i:03d}" for i in range(100)]
    clients = [f"client{i:02d}" for i in range(20)]
    factory = make_sessionmaker(make_engine(url))
    for start in range(0, count, 2000):
        rows = []
        for n in range(start, min(start + 2000, count)):
            supported = rng.random() < 0.85
            words = rng.randint(1, 120) if supported else 0
            flagged = ([{"term": t, "count": rng.randint(1, 3), "suggestion": s}
                        for t, s in rng.sample(TERMS, rng.choice([0, 0, 1, 2, 3]))] if supported else [])
            rows.append({
                "source": rng.choice(["github", "jira"]), "external_id": f"comment:{n}",
                "item_key": f"acme/shop#{n % 997}", "client": rng.choice(clients),
                "developer": rng.choice(developers), "at": NOW - timedelta(seconds=rng.randint(0, 365 * 86400)),
                "language": "en" if supported else "uk", "supported": supported, "words": words,
                "jargon_share": (rng.randint(0, words // 4) / words) if supported and words else None,
                "unexplained_acronyms": 0, "avg_words_per_sentence": 12.0 if supported else None,
                "readability_grade": 7.0 if supported else None,
                "passes": (rng.random() < 0.7) if supported else None, "flagged": flagged, "reasons": [],
                "scorer_version": "1", "scored_at": NOW})
        with factory() as session, session.begin():
            session.execute(MessageScore.__table__.insert(), rows)
            write_flagged_terms(session, rows)
        refresh_statistics(factory.kw["bind"])  # as the worker does after each scoring pass
    factory.kw["bind"].dispose()


def cpu_best(repeat: int, work) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def measure(url: str, repeat: int) -> list[tuple[str, str, float]]:
    import app.reports.language_figures as figures
    from app.api.plain_language import GroupBy, group_figures
    from app.contracts import parse_contracts
    from app.core.db import make_engine, make_sessionmaker
    from app.reports.language_figures import ScoreFilter, Shown
    from metrics.calendar import Calendar

    contracts = parse_contracts("people: []\nclients: []\n")
    factory = make_sessionmaker(make_engine(url))
    out = []
    for days, window in ((30, "30 days"), (365, "a year")):
        flt = ScoreFilter(since=NOW - timedelta(days=days), until=NOW)
        for group_by in (GroupBy.DEVELOPER, GroupBy.CLIENT, GroupBy.WEEK):
            def page(group_by=group_by, flt=flt) -> None:
                with factory() as session:
                    group_figures(session, flt, group_by, contracts, min_words=150, show=Shown.FAILING, limit=10,
                                  weeks=Calendar(timezone="Europe/Kyiv"))
            out.append((window, f"the page, by {group_by.value}", cpu_best(repeat, page)))
        for by in ((), ("developer",), ("client",)):
            with factory() as session:
                found = figures.summaries(session, flt, by)
                wanted = {k: [t.term for t in f.top_flagged] for k, f in found.items()}
                uses = {(k, t.term): t.count for k, f in found.items() for t in f.top_flagged}
                results = {}
                for way, told in (("one ranking statement", None), ("term by term", {p: 10**9 for p in uses})):
                    def terms(session=session, flt=flt, by=by, wanted=wanted, told=told, way=way,
                              results=results) -> None:
                        results[way] = figures.term_messages(session, flt, by, wanted, uses=told)
                    label = f"top terms' messages, {'by ' + by[0] if by else 'the company'}, {way}"
                    out.append((window, label, cpu_best(repeat, terms)))
                assert results["one ranking statement"] == results["term by term"], "the two ways disagree"
    factory.kw["bind"].dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=300_000, help="scored messages in the year (default 300,000)")
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="pulse-bench-language-") as folder:
        for kind in args.db.split(","):
            if kind == "postgresql" and not postgres_available():
                print("PostgreSQL is not reachable: skipped")
                continue
            with database(kind, Path(folder)) as url:
                started = time.perf_counter()
                fill(url, args.scores)
                print(f"\n{kind}: {args.scores:,} scores written in {time.perf_counter() - started:.1f} s")
                print(f"| window | what | CPU ms (best of {args.repeat}) |\n| --- | --- | ---: |")
                for window, what, seconds in measure(url, args.repeat):
                    print(f"| {window} | {what} | {seconds * 1000:,.0f} |")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
