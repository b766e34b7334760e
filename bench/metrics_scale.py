"""Metrics at scale: load a realistic year through the store code, then time the metric queries.

A year of 100 developers and 20 clients (200,000 work items, about 2,000,000 activities at --scale 1) is
written through app.store.upserts.store_batch and app.store.recompute.recompute_clocks in groups, as the intake does,
then each query is timed side by side with its floor: a plain SQL count/average over the same rows.

    .venv/bin/python bench/metrics_scale.py [--scale 1] [--db sqlite,postgresql] [--reuse] [--before]

--reuse keeps the loaded databases (a SQLite file under --workdir, a PostgreSQL schema) for the next run.
--before also times the reference the figures are held to (every clock read into Python, then summarized by
metrics.stats.summarize), which is how they were computed before SQL did it.
--profile DIR writes a pyinstrument report per query (pip install pyinstrument) instead of timing them.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from app.contracts import Contracts, parse_contracts  # noqa: E402
from app.core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.core.tables import ActivityRow, ClockRow, UTCDateTime, WorkItemRow  # noqa: E402
from app.reports.clocks import ClockFilter, load_clocks, open_clock_views  # noqa: E402
from app.reports.figure_statements import key_column  # noqa: E402
from app.reports.figures import figures_by_developer, metric_groups  # noqa: E402
from app.reports.scorecards import Period, developer_scorecard  # noqa: E402
from app.store.recompute import recompute_clocks  # noqa: E402
from app.store.statistics import refresh_statistics  # noqa: E402
from app.store.upserts import store_batch  # noqa: E402
from connectors.records import Activity, Actor, Batch, WorkItem  # noqa: E402
from metrics.model import Clock, ClockKind  # noqa: E402
from metrics.stats import GroupStats, group_clocks, percentile, summarize  # noqa: E402
from metrics.wording import week_name  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 27, tzinfo=UTC)
YEAR = timedelta(days=365)
DEVELOPERS, CLIENTS, ITEMS = 100, 20, 200_000
ZONES = ["UTC", "Europe/Kyiv", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]


# --- the year -------------------------------------------------------------------------------------------

def contracts_yaml(clients: int = CLIENTS, developers: int = DEVELOPERS) -> str:
    """Describe the company: developers shared out over clients, three client people each, mixed calendars."""
    lines = ["people:"]
    lines += [f"  - {{id: dev{d:03d}, name: Developer {d}, role: developer, github: dev-{d:03d}}}"
              for d in range(developers)]
    lines += [f"  - {{id: c{c:02d}p{p}, name: Client {c} person {p}, role: client, github: c{c:02d}-p{p}}}"
              for c in range(clients) for p in range(3)]
    lines += ["  - {id: ci, name: CI bot, role: bot, github: 'ci[bot]'}", "clients:"]
    for c in range(clients):
        hours = "24/7" if c % 2 == 0 else "Mon-Fri 09:00-18:00"
        lines += [
            f"  - name: client-{c:02d}",
            f"    github_repos: [client-{c:02d}/app]",
            f"    calendar: {{timezone: {ZONES[c % len(ZONES)]}, working_hours: '{hours}'}}",
            f"    targets: {{response_time: {'30m' if c % 3 else '1h'}, production_bug_fix: 3h, at_risk: 0.75}}",
            "    production_bug: {labels: [production]}",
            f"    bug_fix_calendar: {'24/7' if c % 4 else 'business'}",
        ]
    return "\n".join(lines) + "\n"


@cache
def _actor(login: str) -> Actor:
    return Actor("github", login, login, is_bot=login.endswith("[bot]"))


@dataclass
class _Item:
    """One generated issue: its record fields and its activities, built in time order."""

    client: int
    number: int
    key: str
    created: datetime
    author: str
    developer: str
    activities: list[Activity]
    labels: tuple[str, ...] = ()
    closed_at: datetime | None = None

    def add(self, kind: str, at: datetime, login: str, body: str | None = None, **data: Any) -> None:
        ext = f"{kind}:{self.key}:{len(self.activities)}"
        self.activities.append(Activity("github", ext, self.key, kind, at, _actor(login), body, None, data))

    def record(self) -> WorkItem:
        last = max(a.at for a in self.activities)
        return WorkItem(
            "github", self.key, f"client-{self.client:02d}/app", "issue",
            f"https://github.com/client-{self.client:02d}/app/issues/{self.number}", f"Request {self.number}",
            self.created, last, _actor(self.author), self.labels, (_actor(self.developer),),
            "closed" if self.closed_at else "open", None, None, None,
            "completed" if self.closed_at else None, self.closed_at,
        )


def _delay(rng: random.Random, median_minutes: float) -> timedelta:
    return timedelta(seconds=int(rng.lognormvariate(0, 1.1) * median_minutes * 60) + 30)


def build_item(index: int, items: int, rng: random.Random, span: timedelta = YEAR) -> _Item:
    """Generate one issue: a client asks, a developer answers, a few rounds, usually closed."""
    client = index % CLIENTS
    created = NOW - span + (span - timedelta(hours=1)) * (index / items) + timedelta(seconds=rng.randint(0, 3599))
    dev = f"dev-{client * (DEVELOPERS // CLIENTS) + rng.randrange(DEVELOPERS // CLIENTS):03d}"
    number = index // CLIENTS + 1
    item = _Item(client, number, f"client-{client:02d}/app#{number}", created, f"c{client:02d}-p{rng.randrange(3)}",
                 dev, [])
    bug = rng.random() < 0.1
    if bug and rng.random() < 0.5:
        item.labels = ("production",)
    item.add("opened", created, item.author, "The page does not load after the last release. Can you check?")
    at = created + _delay(rng, 3)
    item.add("assigned", at, dev, assignee=dev)
    if bug and not item.labels:
        at += _delay(rng, 2)
        item.add("labeled", at, dev, label="production")
        item.labels = ("production",)
    for turn in range(rng.randint(2, 6)):
        if turn:
            at += _delay(rng, 240)
            item.add("comment", at, f"c{client:02d}-p{rng.randrange(3)}", "Thanks. One more question about it.")
        if rng.random() < 0.2:
            at += _delay(rng, 8)
            item.add("comment", at, item.author, "Any news on this?")
        if rng.random() < 0.05:
            at += _delay(rng, 5)
            item.add("comment", at, "ci[bot]", "Build passed.")
        if rng.random() < 0.02:
            break  # left unanswered: the clock stays open, and breaches honestly
        at += _delay(rng, 15)
        item.add("comment", at, dev, "Found it: the cache kept an old copy. Fixed and live now.")
    if rng.random() < 0.9:
        at += _delay(rng, 60 if bug else 600)
        item.closed_at = at
        item.add("closed", at, dev, reason="completed")
    item.activities = [a for a in item.activities if a.at < NOW]
    if item.closed_at and item.closed_at >= NOW:
        item.closed_at = None
    return item


def year_batches(items: int, group: int, seed: int = 7, span: timedelta = YEAR) -> Iterator[Batch]:
    """Yield the history (a year unless `span` says otherwise) in groups of `group` work items, oldest first."""
    for start in range(0, items, group):
        rng = random.Random(seed * 1_000_003 + start)
        built = [build_item(i, items, rng, span) for i in range(start, min(start + group, items))]
        yield Batch([b.record() for b in built], [a for b in built for a in b.activities])


def load_year(factory: sessionmaker[Session], contracts: Contracts, items: int, group: int,
              span: timedelta = YEAR) -> dict[str, float]:
    """Write the year (or `span`) through the store code, group by group; return the times spent."""
    spent = {"generate": 0.0, "store": 0.0, "clocks": 0.0}
    mark = time.perf_counter()
    for batch in year_batches(items, group, span=span):
        now = time.perf_counter()
        spent["generate"] += now - mark
        with transaction(factory) as session:
            touched = store_batch(session, batch)
            stored = time.perf_counter()
            recompute_clocks(session, contracts, touched)
        refresh_statistics(factory.kw["bind"])  # as the sync and the intake do after each commit
        mark = time.perf_counter()
        spent["store"] += stored - now
        spent["clocks"] += mark - stored
    return spent


# --- databases ------------------------------------------------------------------------------------------

def sqlite_engine(workdir: Path, tag: str, fresh: bool) -> Engine:
    path = workdir / f"metrics-{tag}.db"
    if fresh:
        for leftover in workdir.glob(f"metrics-{tag}.db*"):
            leftover.unlink()
    return make_engine(f"sqlite:///{path}")


def postgres_engine(schema: str, fresh: bool) -> Engine:
    """An engine on its own schema of the test database, so the machine's other data is never touched."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    engine = make_engine(POSTGRES_URL, pool_size=2, max_overflow=0)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_conn.commit()

    return engine


def copy_from_sqlite(path: Path, engine: Engine) -> None:
    """Copy the year the store code wrote into SQLite over to PostgreSQL, to time PostgreSQL on the same rows.

    Writing it through the store code takes hours on PostgreSQL here (see bench/RESULTS.md); the rows,
    and so the figures, are the same either way.
    """
    if not path.exists():
        raise SystemExit(f"no SQLite load at {path}; run with --db sqlite first")
    source = sqlite3.connect(path)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for table in (WorkItemRow.__table__, ActivityRow.__table__, ClockRow.__table__):
                names = [c.name for c in table.columns]
                moments = {i for i, c in enumerate(table.columns) if isinstance(c.type, UTCDateTime)}
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {', '.join(names)} FROM {table.name}"):
                        copy.write_row([f"{v}+00" if i in moments and v is not None else v
                                        for i, v in enumerate(row)])
        raw.commit()
    finally:
        raw.close()
        source.close()


def loaded_items(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(WorkItemRow)) or 0)


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics and visibility map, as autovacuum or `PRAGMA optimize` would."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


def prepare(name: str, args: argparse.Namespace, contracts: Contracts) -> tuple[Engine, sessionmaker[Session]]:
    """Open (and load, unless reused) one database; print how long the load took."""
    years = getattr(args, "years", 1)  # bench/views.py lengthens the history at the same density
    tag = getattr(args, "tag", None) or f"s{args.scale:g}".replace(".", "_")
    items = round(ITEMS * args.scale * years)
    engine = (sqlite_engine(args.workdir, tag, not args.reuse) if name == "sqlite"
              else postgres_engine(args.schema or f"bench_metrics_{tag}", not args.reuse))
    upgrade(engine)
    factory = make_sessionmaker(engine)
    if loaded_items(factory) != items:
        if loaded_items(factory):
            raise SystemExit(f"{name}: a partial load is in the way; run again without --reuse")
        started = time.perf_counter()
        if name == "postgresql" and args.copy_from_sqlite:
            copy_from_sqlite(args.workdir / f"metrics-{tag}.db", engine)
            print(f"{name}: copied from the SQLite load in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            spent = load_year(factory, contracts, items, args.group, YEAR * years)
            print(f"{name}: loaded in {time.perf_counter() - started:.0f} s (generate {spent['generate']:.0f} s, "
                  f"store {spent['store']:.0f} s, clocks {spent['clocks']:.0f} s)", flush=True)
    analyze(engine)
    with factory() as session:
        count = {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                 for t in (WorkItemRow, ActivityRow, ClockRow)}
        open_clocks = session.scalar(select(func.count()).where(ClockRow.stopped_at.is_(None)))
    print(f"{name}: {count['work_items']:,} work items, {count['activities']:,} activities, "
          f"{count['clocks']:,} clocks ({open_clocks:,} open)", flush=True)
    return engine, factory


# --- timing ---------------------------------------------------------------------------------------------

def side_by_side(factory: sessionmaker[Session], runs: int, *calls: Callable[[Session], Any]) -> list[list[float]]:
    """Time each call `runs` times (ms), taking turns so that noise on the machine hits them alike."""
    times: list[list[float]] = [[] for _ in calls]
    for turn in range(runs + 2):
        for call, spent in zip(calls, times, strict=True):
            with factory() as session:
                started = time.perf_counter()
                call(session)
                if turn >= 2:  # the first two turns warm the caches
                    spent.append((time.perf_counter() - started) * 1000)
    return times


def floor_query(flt: ClockFilter, by: Any) -> Callable[[Session], Any]:
    """A plain count and average over the same rows: what any answer over them costs at least."""
    stmt = flt.apply(select(by, ClockRow.kind, func.count(), func.avg(ClockRow.elapsed_seconds)))
    stmt = stmt.group_by(by, ClockRow.kind)
    return lambda session: session.execute(stmt).all()


def report(label: str, target: float, ours: list[float], floor: list[float], before: list[float] | None) -> None:
    p50, p95, f50 = percentile(ours, 50), percentile(ours, 95), percentile(floor, 50)
    line = (f"  {label:<34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms (target {target:g}: "
            f"{'met' if p95 <= target else 'MISSED'}) | floor p50 {f50:6.1f} ms  p95 {percentile(floor, 95):6.1f} ms"
            f" | {p50 / f50:4.2f}x floor ({'met' if p50 <= 2 * f50 else 'MISSED'})")
    if before:
        line += f" | before p50 {percentile(before, 50):.0f} ms"
    print(line, flush=True)

# --- the queries ----------------------------------------------------------------------------------------

def _metric(flt: ClockFilter, contracts: Contracts) -> Callable[[Session], Any]:
    return lambda session: metric_groups(session, flt, "developer", contracts, NOW)


def _stats_per_developer(session: Session, flt: ClockFilter) -> dict[str | None, GroupStats]:
    """The statistics behind the metric, per credited person id, as computed in SQL."""
    return {who: found.stats for who, found in figures_by_developer(session, flt, NOW).items()}


def _reference(flt: ClockFilter) -> Callable[[Session], Any]:
    """The reference: every clock read into Python, then summarized per credited person id."""

    def per_developer(session: Session) -> dict[str | None, GroupStats]:
        groups: dict[str | None, list[Clock]] = {}
        for clock in load_clocks(session, flt):
            groups.setdefault(clock.developer, []).append(clock)
        return {who: summarize(found, NOW) for who, found in groups.items()}

    return per_developer


def _scorecard(person: str, period: Period, contracts: Contracts) -> Callable[[Session], Any]:
    return lambda session: developer_scorecard(session, contracts, person, period, NOW)


def _scorecard_reference(person: str, period: Period, contracts: Contracts) -> Callable[[Session], Any]:
    """The reference scorecard: the developer's clocks read into Python, then summarized three ways."""

    def split(clocks: list[Clock]) -> dict[str, GroupStats]:
        return {kind.value: summarize([c for c in clocks if c.kind is kind], NOW) for kind in ClockKind}

    def card(session: Session) -> Any:
        clocks = load_clocks(session, period.filter(developer=person))
        per_client = group_clocks(clocks, lambda c: c.client)
        per_week = group_clocks(clocks, lambda c: week_name(c.started_at))
        return (split(clocks), {name: split(found) for name, found in per_client.items()},
                {week: split(found) for week, found in per_week.items()},
                open_clock_views(session, ClockFilter(developer=person), contracts, NOW))

    return card


def _scorecard_floor(person: str, period: Period, contracts: Contracts, session: Session) -> Any:
    """Plain counts and averages over the same rows, grouped as the scorecard groups them, and the same
    read of the clocks open now (a list, not a figure, and the same on both sides)."""
    flt, week = period.filter(developer=person), key_column("week", session.get_bind().dialect.name)
    figures = [floor_query(flt, by)(session) for by in (ClockRow.kind, ClockRow.client, week)]
    return figures, open_clock_views(session, ClockFilter(developer=person), contracts, NOW)


def profile(name: str, factory: sessionmaker[Session], contracts: Contracts, args: argparse.Namespace) -> None:
    """Run each query --profile-runs times under pyinstrument; write one text report per query."""
    from pyinstrument import Profiler

    spans = [("30d", timedelta(days=30)), ("year", YEAR)]
    calls = {f"{metric}-{span}": _metric(ClockFilter(kind=kind, since=NOW - length, until=NOW), contracts)
             for kind, metric in ((ClockKind.RESPONSE, "responsiveness"), (ClockKind.BUG_FIX, "bug-fix"))
             for span, length in spans}
    calls |= {f"scorecard-{span}": _scorecard(args.developer, Period(NOW - length, NOW), contracts)
              for span, length in spans}
    args.profile.mkdir(parents=True, exist_ok=True)
    for label, call in calls.items():
        times = side_by_side(factory, 1, call)[0]  # warm, as when timed
        profiler = Profiler(interval=0.0005)
        with profiler:
            times += side_by_side(factory, args.profile_runs, call)[0]
        path = args.profile / f"{name}-{label}.txt"
        path.write_text(profiler.output_text(unicode=False, color=False))
        print(f"  {label:<22} {percentile(times, 50):7.1f} ms (p50 of {len(times)}, profiled) -> {path}", flush=True)


def measure(name: str, factory: sessionmaker[Session], contracts: Contracts, args: argparse.Namespace) -> None:
    """Time the metric queries and one scorecard against their floors; check the figures equal the reference."""
    print(f"{name}:", flush=True)
    spans = [("30 days", timedelta(days=30), 60.0, args.runs), ("year", YEAR, 500.0, args.year_runs)]
    developer = func.coalesce(ClockRow.developer, "unassigned")
    for kind, metric in ((ClockKind.RESPONSE, "responsiveness"), (ClockKind.BUG_FIX, "bug-fix")):
        for span, length, target, runs in spans:
            flt = ClockFilter(kind=kind, since=NOW - length, until=NOW)
            ours, old = _metric(flt, contracts), _reference(flt)
            with factory() as session:
                if _stats_per_developer(session, flt) != old(session):
                    raise SystemExit(f"{name}: {metric} over {span} differs from the reference (metrics.stats)")
            times = side_by_side(factory, runs, ours, floor_query(flt, developer))
            before = side_by_side(factory, args.before_runs, old)[0] if args.before else None
            report(f"{metric} by developer, {span}", target, *times, before)
    for span, length, target, runs in spans:
        period, who = Period(NOW - length, NOW), args.developer
        times = side_by_side(factory, runs, _scorecard(who, period, contracts),
                             lambda session, p=period: _scorecard_floor(args.developer, p, contracts, session))
        old = _scorecard_reference(who, period, contracts)
        before = side_by_side(factory, args.before_runs, old)[0] if args.before else None
        report(f"scorecard of {who}, {span}", target, *times, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full year's work items (1 = 200,000)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--group", type=int, default=2000, help="work items written per transaction")
    parser.add_argument("--runs", type=int, default=40, help="timed runs of each 30-day query")
    parser.add_argument("--year-runs", type=int, default=15, help="timed runs of each full-year query")
    parser.add_argument("--before", action="store_true", help="also time the reference, in Python")
    parser.add_argument("--before-runs", type=int, default=5)
    parser.add_argument("--developer", default="dev042", help="whose scorecard to time")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded databases and reuse them")
    parser.add_argument("--load-only", action="store_true", help="load (or check) the databases, time nothing")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pulse-bench-metrics"))
    parser.add_argument("--schema", help="PostgreSQL schema to load or reuse (default bench_metrics_s<scale>)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="profile each query into DIR; time nothing")
    parser.add_argument("--profile-runs", type=int, default=10)
    parser.add_argument("--copy-from-sqlite", action="store_true",
                        help="fill PostgreSQL with a copy of the SQLite load instead of writing it again")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    contracts = parse_contracts(contracts_yaml(), "bench contracts")
    print(f"metrics at scale: {DEVELOPERS} developers, {CLIENTS} clients, scale {args.scale:g}, now {NOW:%Y-%m-%d}")
    for name in args.db.split(","):
        engine, factory = prepare(name, args, contracts)
        if args.profile:
            profile(name, factory, contracts, args)
        elif not args.load_only:
            measure(name, factory, contracts, args)
        engine.dispose()


if __name__ == "__main__":
    main()
