"""Every view on a year of history, end to end over HTTP: each /v1 GET and each dashboard page, on both databases.

The year is bench/metrics_scale.py's (100 developers, 20 clients, 200,000 work items at --scale 1), written
through the store code; its developer messages are then scored as `pulse score` does and its clients' monthly
ratings imported as `pulse feedback import` does, so the plain-language, feedback and alignment views have
something to read. The real app (`create_app`, the bench's contracts, an API token) is served by uvicorn in its
own process on a free local port, with its clock set to the year's end; httpx asks each view for a 30-day window
and for the whole year, warm first, then taking turns across views so that noise on the machine hits them alike.

    .venv/bin/python bench/views.py [--scale 0.1,0.3] [--years 1,2,4] [--db sqlite,postgresql] [--reuse] [--chart F]

--scale makes each year denser (a 30-day window holds more); --years makes the history longer at the same density
(a 30-day window holds the same, the tables hold more): the second shows whether a view stays flat as history grows.

--reuse keeps the loaded databases (SQLite files under --workdir, PostgreSQL schemas <--schema-prefix>_s<scale>).
--saved uses the figures an earlier run wrote to --workdir for a scale instead of measuring it again.
--profile DIR (pip install pyinstrument) profiles the views that missed their target, or those named by --only:
a pyinstrument report of the whole request per view, and its SQL statements with their plans.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Boolean, event, func, select  # noqa: E402

from app.cli.serving import freeze_startup_objects  # noqa: E402
from app.contracts import Contracts, parse_contracts  # noqa: E402
from app.core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from app.core.tables import ActivityRow, ClockRow, Feedback, FlaggedTermRow, MessageScore, UTCDateTime  # noqa: E402
from app.main import create_app  # noqa: E402
from app.reports.feedback import import_feedback_csv  # noqa: E402
from app.reports.plain_language import score_pending  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.common import POSTGRES_URL, cpu_seconds, machine, percentile, uvicorn_server  # noqa: E402
from bench.metrics_scale import (  # noqa: E402
    ITEMS,
    NOW,
    YEAR,
    analyze,
    contracts_yaml,
    loaded_items,
    postgres_engine,
    prepare,
    sqlite_engine,
)

TOKEN = "bench-views-token-0123456789"
MONTH = timedelta(days=30)
TARGETS = {"30 days": 300.0, "year": 1000.0, "-": 300.0}  # p95 ms; a view without a window is held to 300 ms


@dataclass(frozen=True)
class View:
    """One request to time: a label, the window it covers, and what to ask."""

    label: str
    window: str  # "30 days", "year", or "-" for a view without one
    path: str
    params: tuple[tuple[str, str], ...] = ()
    page: bool = False  # a dashboard page (cookie) rather than a /v1 endpoint (bearer token)


# --- the server ---------------------------------------------------------------------------------------------

def views_app() -> Any:
    """Build the real app on BENCH_DATABASE_URL with its clock at BENCH_NOW (the uvicorn factory)."""
    settings = Settings(_env_file=None, database_url=os.environ["BENCH_DATABASE_URL"],  # type: ignore[call-arg]
                        api_tokens=TOKEN)
    app = create_app(settings, contracts=parse_contracts(contracts_yaml(), "bench contracts"), warn=False)
    pin_clock(datetime.fromisoformat(os.environ["BENCH_NOW"]))
    if os.environ.get("BENCH_PROFILE"):
        install_profiler(app, Path(os.environ["BENCH_PROFILE"]))
    freeze_startup_objects()  # as `pulse serve` does
    return app


def pin_clock(moment: datetime) -> None:
    """Make the app's `datetime.now()` start at `moment` and run on from there, so "now" is the year's end.

    The year ends at metrics_scale.NOW whatever day the bench runs; without this the dashboard's "last 30 days"
    would drift past it. Only `now` changes: every other use of `datetime` in the app is the real class.
    """
    real = datetime
    offset = moment - real.now(moment.tzinfo)

    class _Clock(type):
        def __getattr__(cls, name: str) -> Any:
            return getattr(real, name)

        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            return real(*args, **kwargs)

        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, real)

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, real)

    class PinnedDatetime(metaclass=_Clock):
        @staticmethod
        def now(tz: Any = None) -> datetime:
            return real.now(tz) + offset

    # Only where the app asks for now: elsewhere (isinstance in the CSV writer) the stand-in would cost time.
    for name, module in list(sys.modules.items()):
        source = Path(getattr(module, "__file__", None) or "/nonexistent")
        if (name.startswith("app.") and getattr(module, "datetime", None) is real and source.exists()
                and "datetime.now(" in source.read_text()):
            module.datetime = PinnedDatetime  # type: ignore[attr-defined]


def database_url(name: str, workdir: Path, tag: str, schema: str) -> str:
    if name == "sqlite":
        return f"sqlite:///{workdir / f'metrics-{tag}.db'}"
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"  # every connection of the app gets the schema


def held(scale: float, years: int) -> int:
    """Return how many work items a history of ``years`` years at density ``scale`` holds."""
    return round(ITEMS * scale * years)


def _items(result: dict[str, Any]) -> int:
    return result.get("items") or held(result["scale"], result.get("years", 1))  # older saved figures: a year


def _size(result: dict[str, Any], short: bool = False) -> str:
    years = result.get("years", 1)
    if short:
        return f"{_items(result) // 1000}k items" + (f", {years} years" if years != 1 else "")
    return f"{_items(result):,} work items over {years} year{'s' if years != 1 else ''}"


# --- the year, loaded and completed ---------------------------------------------------------------------------

def _present(name: str, args: argparse.Namespace) -> int:
    """Return how many work items the database already holds (0 when it has no tables yet)."""
    if name == "sqlite" and not (args.workdir / f"metrics-{args.tag}.db").exists():
        return 0
    engine = sqlite_engine(args.workdir, args.tag, False) if name == "sqlite" else postgres_engine(args.schema, False)
    try:
        return loaded_items(make_sessionmaker(engine))
    except Exception:  # noqa: BLE001 - no tables yet
        return 0
    finally:
        engine.dispose()


def load(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Load the year (unless reused), score its messages and import its ratings; return what it cost."""
    contracts = parse_contracts(contracts_yaml(), "bench contracts")
    sidecar = args.workdir / f"load-{name}-{args.tag}.json"
    items = held(args.scale, args.years)
    fresh = not args.reuse or _present(name, args) != items
    started = time.perf_counter()
    engine, factory = prepare(name, args, contracts)
    known = ({"load_s": time.perf_counter() - started, "when": machine()} if fresh else
             json.loads(sidecar.read_text()) if sidecar.exists() else {})
    sidecar.write_text(json.dumps(known, indent=1))  # the load's time is kept if what follows is stopped
    completed = complete_year(factory, contracts, args.workdir / f"metrics-{args.tag}.db")
    if completed:
        analyze(engine)  # the new rows' statistics, as after the load
    known |= completed | {"items": items}
    engine.dispose()
    sidecar.write_text(json.dumps(known, indent=1))
    print(f"{name}: load {known.get('load_s', float('nan')):.0f} s, scoring {known.get('score_s', 0):.0f} s "
          f"({known.get('scored', 0):,} messages), ratings {known.get('ratings', 0):,}", flush=True)
    return known


def complete_year(factory: Any, contracts: Contracts, sqlite_load: Path) -> dict[str, Any]:
    """Score the developer messages and import monthly client ratings, where not done yet.

    PostgreSQL copies both (the scores with their flagged terms) from the SQLite load of the same year when it
    has them (the same rows, keyed by the activities' external ids): scoring through `pulse score`'s passes
    takes far longer there.
    """
    spent: dict[str, Any] = {}
    with factory() as session:
        scored = session.scalar(select(func.count()).select_from(MessageScore))
        rated = session.scalar(select(func.count()).select_from(Feedback))
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql" and not scored and not rated and _has_scores(sqlite_load):
        started = time.perf_counter()
        copied = copy_rows(sqlite_load, engine, (MessageScore.__table__, FlaggedTermRow.__table__,
                                                 Feedback.__table__))
        return {"score_s": time.perf_counter() - started, "scored": copied["message_scores"],
                "ratings": copied["feedback"], "scores_copied_from_sqlite": True}
    if not scored:
        started, runs = time.perf_counter(), []
        while not runs or runs[-1].more:  # as `pulse score` does, in larger passes
            with transaction(factory) as session:
                runs.append(score_pending(session, contracts, limit=20_000,
                                          resume=runs[-1].resume if runs else None))
        spent |= {"score_s": time.perf_counter() - started, "scored": sum(r.scored for r in runs)}
    if not rated:
        with transaction(factory) as session:
            report = import_feedback_csv(session, contracts, ratings_csv(), NOW)
        if report.refused:
            raise SystemExit(f"ratings refused: {report.refused[:3]}")
        spent["ratings"] = report.created
    return spent


def _has_scores(path: Path) -> bool:
    if not path.exists():
        return False
    source = sqlite3.connect(path)
    try:
        return all(source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                   for table in ("message_scores", "feedback"))
    finally:
        source.close()


def copy_rows(path: Path, engine: Any, tables: tuple[Any, ...]) -> dict[str, int]:
    """COPY these tables' rows from a SQLite file into PostgreSQL (as metrics_scale.copy_from_sqlite does)."""
    source, raw, copied = sqlite3.connect(path), engine.raw_connection(), {}
    try:
        with raw.cursor() as cursor:
            for table in tables:
                names = [c.name for c in table.columns]
                moments = {i for i, c in enumerate(table.columns) if isinstance(c.type, UTCDateTime)}
                flags = {i for i, c in enumerate(table.columns) if isinstance(c.type, Boolean)}
                copied[table.name] = 0
                with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in source.execute(f"SELECT {', '.join(names)} FROM {table.name}"):
                        copy.write_row([None if v is None else f"{v}+00" if i in moments else bool(v) if i in flags
                                        else v for i, v in enumerate(row)])
                        copied[table.name] += 1
        raw.commit()
    finally:
        raw.close()
        source.close()
    return copied


def ratings_csv() -> str:
    """Write a year of monthly ratings: each client rates its team and each of its five developers."""
    lines = ["client,developer,period,responsiveness,fix_speed,clarity,comment"]
    for back in range(12):
        month = (NOW.replace(day=1) - timedelta(days=31 * back)).strftime("%Y-%m")
        for c in range(20):
            for who in ["", *(f"dev{c * 5 + d:03d}" for d in range(5))]:
                score = 1 + (c + back + len(who)) % 5
                lines.append(f"client-{c:02d},{who},{month},{score},{6 - score},{3},Monthly review")
    return "\n".join(lines) + "\n"


# --- the views ----------------------------------------------------------------------------------------------

def windows() -> dict[str, tuple[tuple[str, str], ...]]:
    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {span: (("since", iso(NOW - length)), ("until", iso(NOW))) for span, length in
            (("30 days", MONTH), ("year", YEAR))}


def all_views(http: httpx.Client, client: str, developer: str, item: str) -> list[View]:
    """List every /v1 GET and every dashboard page, each for 30 days and for the year where it takes a window."""
    views: list[View] = []
    for span, window in windows().items():
        period = (("period", "30d" if span == "30 days" else "365d"),)
        page2 = http.get("/v1/clocks", params=(*window, ("limit", "100"))).json()["next_cursor"]
        views += [
            View("metrics/responsiveness by developer", span, "/v1/metrics/responsiveness", window),
            View("metrics/responsiveness by client", span, "/v1/metrics/responsiveness",
                 (*window, ("group_by", "client"))),
            View("metrics/responsiveness by week, a client", span, "/v1/metrics/responsiveness",
                 (*window, ("group_by", "week"), ("client", client))),
            View("metrics/responsiveness by work item, a client", span, "/v1/metrics/responsiveness",
                 (*window, ("group_by", "work_item"), ("client", client))),
            View("metrics/responsiveness CSV by developer", span, "/v1/metrics/responsiveness",
                 (*window, ("format", "csv"))),
            View("metrics/bug-fix by developer", span, "/v1/metrics/bug-fix", window),
            View("metrics/alignment", span, "/v1/metrics/alignment", window),
            View("metrics/plain-language by developer", span, "/v1/metrics/plain-language", window),
            View("clocks, first 100", span, "/v1/clocks", window),
            View("clocks, second 100 (cursor)", span, "/v1/clocks", (*window, ("cursor", page2))),
            View("clocks breached, a client", span, "/v1/clocks", (*window, ("state", "breached"),
                                                                   ("client", client))),
            View("clocks CSV, 1,000", span, "/v1/clocks", (*window, ("format", "csv"), ("limit", "1000"))),
            View("developers", span, "/v1/developers", window),
            View("developers of a client", span, "/v1/developers", (*window, ("client", client))),
            View("developers/{id}", span, f"/v1/developers/{developer}", window),
            View("clients", span, "/v1/clients", window),
            View("clients/{name}", span, f"/v1/clients/{client}", window),
            View("feedback", span, "/v1/feedback", window),
            View("page: overview", span, "/", period, page=True),
            View("page: overview, a client", span, "/", (*period, ("client", client)), page=True),
            View("page: client", span, f"/clients/{client}", period, page=True),
            View("page: client breaches, older (cursor)", span, f"/clients/{client}",
                 (*period, ("breaches", breaches_cursor(http, client, period))), page=True),
            View("page: developer", span, f"/developers/{developer}", period, page=True),
        ]
    github_key = item.replace("#", "%23")
    views += [
        View("work-items/{source}/{key}", "-", f"/v1/work-items/github/{github_key}"),
        View("contracts", "-", "/v1/contracts"),
        View("contracts/{name}", "-", f"/v1/contracts/{client}"),
        View("sync/runs", "-", "/v1/sync/runs"),
        View("page: evidence (work item)", "-", f"/items/github/{github_key}", page=True),
    ]
    return views


def breaches_cursor(http: httpx.Client, client: str, period: tuple[tuple[str, str], ...]) -> str:
    """Return the cursor of the client page's "Older breaches" link."""
    page = html.unescape(http.get(f"/clients/{client}", params=period).text)
    found = re.search(r"breaches=([^\"#&]+)", page)
    if not found:
        raise SystemExit(f"the page of {client} has no older breaches to page to")
    return unquote(found[1])


def busiest_item(url: str, developer: str) -> str:
    """Return the key of the developer's work item with the most activities in the last 30 days."""
    engine = make_engine(url)
    with engine.connect() as conn:
        key = conn.scalar(
            select(ClockRow.item_key).where(ClockRow.developer == developer, ClockRow.started_at >= NOW - MONTH)
            .join(ActivityRow, ActivityRow.item_key == ClockRow.item_key)
            .group_by(ClockRow.item_key).order_by(func.count().desc()).limit(1))
    engine.dispose()
    if key is None:
        raise SystemExit(f"{developer} has no work item in the last 30 days")
    return str(key)


# --- timing -------------------------------------------------------------------------------------------------

@contextmanager
def serving(url: str, profile: Path | None = None) -> Iterator[tuple[httpx.Client, int]]:
    env = {"BENCH_DATABASE_URL": url, "BENCH_NOW": NOW.isoformat()} | (
        {"BENCH_PROFILE": str(profile)} if profile else {})
    with uvicorn_server("bench.views:views_app", env, wait_path="/healthz") as (base, proc), httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, cookies={"pulse_session": TOKEN},
            timeout=300) as http:
        yield http, proc.pid


def ask(http: httpx.Client, view: View, headers: dict[str, str] | None = None) -> httpx.Response:
    answer = http.get(view.path, params=view.params, headers=headers)
    if answer.status_code != 200:
        raise SystemExit(f"{view.label} ({view.window}): {answer.status_code} {answer.text[:300]}")
    return answer


def take_turns(http: httpx.Client, pid: int, views: list[View], runs: dict[str, int], warmup: int
               ) -> dict[View, dict[str, Any]]:
    """Time each view (ms), in turns across all of them; also the server's CPU and the answer's size."""
    spent: dict[View, list[float]] = {v: [] for v in views}
    cpu: dict[View, float] = dict.fromkeys(views, 0.0)
    size: dict[View, int] = {}
    for turn in range(warmup + max(runs.values())):
        for view in views:
            if turn >= warmup + runs[view.window]:
                continue
            before, started = cpu_seconds(pid), time.perf_counter()
            answer = ask(http, view)
            elapsed = (time.perf_counter() - started) * 1000
            size[view] = len(answer.content)
            if turn >= warmup:
                spent[view].append(elapsed)
                cpu[view] += cpu_seconds(pid) - before
    return {v: {"p50": percentile(t, 50), "p95": percentile(t, 95), "runs": len(t), "kb": size[v] / 1024,
                "cpu_ms": 1000 * cpu[v] / len(t)} for v, t in spent.items()}


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Load one database at one scale, serve it, time every view; print the table and return the figures."""
    spent = load(name, args)
    url = database_url(name, args.workdir, args.tag, args.schema)
    item = busiest_item(url, args.developer)
    with serving(url) as (http, pid):
        views = [v for v in all_views(http, args.client, args.developer, item) if selected(v, args)]
        runs = {"30 days": args.runs, "year": args.year_runs, "-": args.runs}
        loadavg = Path("/proc/loadavg").read_text().split()[:3]
        started = time.perf_counter()
        figures = take_turns(http, pid, views, runs, args.warmup)
        took = time.perf_counter() - started
    loadavg += Path("/proc/loadavg").read_text().split()[:3]
    rows = [asdict(v) | f | {"target": TARGETS[v.window], "met": f["p95"] <= TARGETS[v.window]}
            for v, f in figures.items()]
    result = {"db": name, "scale": args.scale, "years": args.years, "items": held(args.scale, args.years),
              "when": machine(), "loadavg": loadavg, "seconds": round(took),
              "load": spent, "item": item, "views": rows}
    print_table(result)
    if not args.only:  # a partial run never stands in for a whole one (--saved)
        (args.workdir / f"views-{name}-{args.tag}.json").write_text(json.dumps(result, indent=1))
    return result


def selected(view: View, args: argparse.Namespace) -> bool:
    return not args.only or any(part in f"{view.label} ({view.window})" for part in args.only.split("|"))


def print_table(result: dict[str, Any]) -> None:
    print(f"\n{result['db']}, scale {result['scale']:g} ({_size(result)}); "
          f"{result['when']}; load average before/after {' '.join(result['loadavg'][:3])} / "
          f"{' '.join(result['loadavg'][3:])}; timed in {result['seconds']} s")
    print(f"  {'view':<47} {'window':<8} {'p50 ms':>8} {'p95 ms':>8} {'target':>7}  {'':<6} {'CPU ms':>7} {'KB':>7}")
    for row in result["views"]:
        print(f"  {row['label']:<47} {row['window']:<8} {row['p50']:8.1f} {row['p95']:8.1f} {row['target']:7.0f}  "
              f"{'met' if row['met'] else 'MISSED':<6} {row['cpu_ms']:7.1f} {row['kb']:7.1f}", flush=True)


# --- profiling ----------------------------------------------------------------------------------------------

LABEL, EXPLAIN = "X-Bench-Label", "X-Bench-Explain"


def install_profiler(app: Any, folder: Path) -> None:
    """Record labelled requests: a pyinstrument report of each whole request, and its SQL with the plans.

    The threadpool's work runs inline on the event loop's thread, so that one profiler sees all of a request
    (routing, the view, the queries, rendering); requests come one at a time, so nothing waits on it.
    """
    import contextvars

    import anyio.to_thread
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    async def inline(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    current: contextvars.ContextVar[tuple[str, bool] | None] = contextvars.ContextVar("bench_label", default=None)
    sessions: dict[str, Session] = {}
    statements: dict[str, list[dict[str, Any]]] = {}

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _started(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(app.state.engine, "after_cursor_execute")
    def _done(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        labelled = current.get()
        if labelled is None or not labelled[1]:
            return
        ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        found = {"ms": ms, "sql": statement, "params": repr(parameters)[:2000], "plan": ""}
        if ms >= 5 and not many:
            found["plan"] = explain(conn.dialect.name, cursor.connection, statement, parameters)
        statements.setdefault(labelled[0], []).append(found)

    class Profiled:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
            label = headers.get(LABEL.lower().encode(), b"").decode()
            if not label:
                return await self.inner(scope, receive, send)
            if headers.get(EXPLAIN.lower().encode()):
                token = current.set((label, True))
                try:
                    return await self.inner(scope, receive, send)
                finally:
                    current.reset(token)
                    write_statements(folder / f"{label}.sql.txt", statements.pop(label, []))
            profiler = Profiler(interval=0.0005)
            profiler.start()
            try:
                await self.inner(scope, receive, send)
            finally:
                profiler.stop()
                known = sessions.get(label)
                sessions[label] = Session.combine(known, profiler.last_session) if known else profiler.last_session
                text = ConsoleRenderer(unicode=False, color=False).render(sessions[label])
                (folder / f"{label}.txt").write_text(text)

    folder.mkdir(parents=True, exist_ok=True)
    app.add_middleware(Profiled)


def explain(dialect: str, dbapi: Any, statement: str, parameters: Any) -> str:
    """Return the plan of a statement just run: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, QUERY PLAN on SQLite."""
    cursor = dbapi.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in cursor.fetchall())
    except Exception as exc:  # noqa: BLE001 - a plan is a help, never a reason to fail the request
        return f"(no plan: {exc})"
    finally:
        cursor.close()


def write_statements(path: Path, found: list[dict[str, Any]]) -> None:
    total = sum(s["ms"] for s in found)
    lines = [f"{len(found)} statements, {total:.1f} ms in all (the slowest first, with plans where >= 5 ms); "
             "on SQLite a time runs to the first row only, its other rows are read after"]
    for s in sorted(found, key=lambda s: -s["ms"])[:10]:
        lines += ["", f"--- {s['ms']:.1f} ms", s["sql"], f"params: {s['params']}", s["plan"]]
    path.write_text("\n".join(lines) + "\n")


def profile_misses(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Profile the views that missed their target (every timed view with --only), in a server of their own."""
    url = database_url(result["db"], args.workdir, args.tag, args.schema)
    wanted = {(r["label"], r["window"]) for r in result["views"] if args.only or not r["met"]}
    if not wanted:
        print(f"{result['db']}: every view met its target; nothing to profile", flush=True)
        return
    with serving(url, args.profile) as (http, _pid):
        for view in all_views(http, args.client, args.developer, result["item"]):
            if (view.label, view.window) not in wanted:
                continue
            label = re.sub(r"[^a-z0-9]+", "-", f"{result['db']}-s{args.scale:g}-{view.label}-{view.window}".lower())
            ask(http, view)  # warm
            ask(http, view, {LABEL: label, EXPLAIN: "1"})
            times = []
            for _ in range(args.profile_runs):
                started = time.perf_counter()
                ask(http, view, {LABEL: label})
                times.append((time.perf_counter() - started) * 1000)
            print(f"  profiled {view.label} ({view.window}): p50 {percentile(times, 50):.0f} ms under the profiler "
                  f"-> {args.profile / label}.txt, .sql.txt", flush=True)


# --- growth with size ---------------------------------------------------------------------------------------

def print_growth(results: list[dict[str, Any]]) -> None:
    """Print, per database, the load time and each 30-day view's p50 at each size."""
    for name in dict.fromkeys(r["db"] for r in results):
        mine = sorted((r for r in results if r["db"] == name), key=_items)
        sizes = "; ".join(_size(r) for r in mine)
        print(f"\n{name}: how cost grows with history ({sizes})")
        print(f"  {'load, s':<62}" + "".join(f"{r['load'].get('load_s', float('nan')):>10.0f}" for r in mine))
        labels = [row["label"] for row in mine[0]["views"] if row["window"] == "30 days"]
        for label in labels:
            p50s = [next((v["p50"] for v in r["views"] if v["label"] == label and v["window"] == "30 days"),
                         float("nan")) for r in mine]
            print(f"  {label + ', 30-day p50 ms':<62}" + "".join(f"{p:>10.1f}" for p in p50s))


def print_markdown(results: list[dict[str, Any]]) -> None:
    """Print one Markdown table per database: p50 / p95 ms of each view, per scale and window (for RESULTS.md)."""
    for name in dict.fromkeys(r["db"] for r in results):
        mine = sorted((r for r in results if r["db"] == name), key=_items)
        spans = [(r, span) for r in mine for span in ("30 days", "year")]
        heads = [f"{span}, {_size(r, short=True)}" for r, span in spans]
        print(f"\n{name}: p50 / p95 ms (bold: p95 over its target, 300 ms for 30 days or no window, 1 s for a year)")
        print("\n| view | " + " | ".join(heads) + " |")
        print("| --- |" + " ---: |" * len(spans))
        for label in dict.fromkeys(v["label"] for v in mine[0]["views"]):
            cells = []
            for r, span in spans:
                found = next((v for v in r["views"] if v["label"] == label and v["window"] in (span, "-")), None)
                if found is None or (found["window"] == "-" and span == "year"):
                    cells.append("")
                    continue
                text = f"{found['p50']:,.0f} / {found['p95']:,.0f}"
                cells.append(text if found["met"] else f"**{text}**")
            print(f"| {label} | " + " | ".join(cells) + " |")


def write_chart(results: list[dict[str, Any]], path: Path) -> None:
    """Write an SVG of load time and the 30-day views' p50 (median and slowest view) against the work items."""
    colours = {"sqlite": "#1f77b4", "postgresql": "#d62728"}
    series: dict[str, list[tuple[str, str, list[tuple[float, float]]]]] = {"load": [], "views": []}
    for name in dict.fromkeys(r["db"] for r in results):
        mine = sorted((r for r in results if r["db"] == name), key=_items)
        points = [(_items(r), [v["p50"] for v in r["views"] if v["window"] == "30 days"]) for r in mine]
        series["load"].append((name, "", [(_items(r), r["load"].get("load_s", 0.0)) for r in mine]))
        series["views"].append((name, "median view", [(n, percentile(p, 50)) for n, p in points]))
        series["views"].append((name, "slowest view", [(n, max(p)) for n, p in points]))
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="880" height="330" font-family="sans-serif" '
             'font-size="12">', '<rect width="880" height="330" fill="white"/>',
             *_panel(60, series["load"], "Load time (generate, store, clocks) vs work items", "s", colours),
             *_panel(500, series["views"], "30-day views: p50 vs work items (log scale)", "ms", colours, target=300)]
    path.write_text("\n".join([*parts, "</svg>"]) + "\n")
    print(f"chart: {path}")


def _panel(left: int, lines: list[tuple[str, str, list[tuple[float, float]]]], title: str, unit: str,
           colours: dict[str, str], target: float | None = None) -> list[str]:
    """Draw one chart: a linear y axis, or with `target` a logarithmic one in powers of ten and the target."""
    width, height, top = 340, 220, 40
    xmax = max(x for *_, pts in lines for x, _ in pts) or 1
    ys = [y for *_, pts in lines for _, y in pts if y > 0] + ([target] if target else [])
    if target:
        low, high = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        ticks = [10.0 ** e for e in range(low, high + 1)]
    else:
        low, high = 0.0, max(ys) * 1.1 or 1.0
        ticks = [high * i / 4 for i in range(5)]

    def level(y: float) -> float:
        share = (math.log10(max(y, 1e-9)) - low) / (high - low or 1) if target else y / high
        return top + height - height * share

    def at(x: float, y: float) -> tuple[float, float]:
        return left + width * x / xmax, level(y)

    out = [f'<text x="{left}" y="20" font-weight="bold">{title}</text>',
           f'<polyline points="{left},{top} {left},{top + height} {left + width},{top + height}" fill="none" '
           'stroke="black"/>']
    out += [f'<text x="{left - 6}" y="{level(y) + 4:.0f}" text-anchor="end">{y:.{0 if y >= 1 or not y else 2}f}'
            f'{unit}</text>' for y in ticks]
    out += [f'<text x="{left + width * i / 4:.0f}" y="{top + height + 16}" text-anchor="middle">'
            f'{xmax * i / 4 / 1000:.0f}k</text>' for i in range(5)]
    if target:
        out.append(f'<line x1="{left}" y1="{level(target):.1f}" x2="{left + width}" y2="{level(target):.1f}" '
                   f'stroke="grey" stroke-dasharray="2,3"/><text x="{left + width - 4}" y="{level(target) + 14:.0f}" '
                   f'text-anchor="end" fill="grey">target {target:g} {unit} (p95)</text>')
    for row, (name, kind, pts) in enumerate(lines):
        dash = ' stroke-dasharray="5,4"' if kind.startswith("slowest") else ""
        coords = [at(x, y) for x, y in pts]
        out.append(f'<polyline points="{" ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)}" fill="none" '
                   f'stroke="{colours[name]}" stroke-width="2"{dash}/>')
        out += [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colours[name]}"/>' for cx, cy in coords]
        out.append(f'<text x="{left + 10}" y="{top + 14 + 15 * row}" fill="{colours[name]}">{name} {kind}</text>')
    out.append(f'<text x="{left + width / 2:.0f}" y="{top + height + 34}" text-anchor="middle">work items</text>')
    return out


# --- main ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="0.1", help="comma-separated shares of the full year (1 = 200,000 items)")
    parser.add_argument("--years", default="1", help="comma-separated lengths of the history in years, each year as "
                                                     "dense as --scale says (1 = one year, as metrics_scale loads)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--group", type=int, default=2000, help="work items written per transaction")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each 30-day view")
    parser.add_argument("--year-runs", type=int, default=7, help="timed runs of each full-year view")
    parser.add_argument("--warmup", type=int, default=2, help="untimed turns first")
    parser.add_argument("--client", default="client-08")
    parser.add_argument("--developer", default="dev042", help="a developer of --client")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded databases and reuse them")
    parser.add_argument("--saved", action="store_true", help="use figures saved for a scale instead of measuring")
    parser.add_argument("--load-only", action="store_true", help="load (or check) the databases, time nothing")
    parser.add_argument("--only", help="time only views whose 'label (window)' holds one of these |-separated parts")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pulse-bench-views"))
    parser.add_argument("--schema-prefix", default="bench_views")
    parser.add_argument("--chart", type=Path, help="write an SVG of cost against size here")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="profile the views that missed (or --only)")
    parser.add_argument("--profile-runs", type=int, default=5)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.copy_from_sqlite = False
    results = []
    sizes = [(float(s), int(y)) for s in args.scale.split(",") for y in args.years.split(",")]
    for scale, years in sizes:
        args.scale, args.years = scale, years
        args.tag = f"s{scale:g}".replace(".", "_") + (f"_y{years}" if years != 1 else "")
        args.schema = f"{args.schema_prefix}_{args.tag}"
        for name in args.db.split(","):
            saved = args.workdir / f"views-{name}-{args.tag}.json"
            if args.saved and saved.exists():
                results.append(json.loads(saved.read_text()))
                print_table(results[-1])
            elif args.load_only:
                load(name, args)
            else:
                results.append(measure(name, args))
                if args.profile:
                    profile_misses(results[-1], args)
    if results:
        print_growth(results)
        if args.markdown:
            print_markdown(results)
        if args.chart:
            write_chart(results, args.chart)


if __name__ == "__main__":
    main()
