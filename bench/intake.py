"""Webhook intake: deliveries/s and latency of the real app on SQLite and PostgreSQL against a bare endpoint.

Each server runs under uvicorn in its own process on 127.0.0.1 (one worker, same loop and HTTP settings,
no access log); wrk (Debian's package) drives it with a fixed number of connections, every request a real
15 KB ``issue_comment`` delivery signed once, with its own X-GitHub-Delivery. Without wrk, a bounded
Python client runs instead and the output says so. CPU time the server used per delivery is reported too:
it moves less than deliveries/s when other work shares the machine. Then a paced sender (asyncio, plain
HTTP/1.1 on kept-alive connections) measures freshness at a fixed rate, each delivery a new comment on its
own issue: the time from receipt to the moment its clock is in the clocks table, read from another connection.
``--breakdown`` adds the app storing raw deliveries only, and the app without the database, to show what
each part costs; ``--app-root`` serves the app from a scratch copy holding a candidate change.

    .venv/bin/python bench/intake.py [--seconds 15] [--connections 32] [--rounds 2] [--rate 200]
                                     [--databases sqlite,postgresql] [--profile DIR] [--breakdown]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    FIXTURES,
    ROOT,
    cpu_seconds,
    database,
    ensure_wrk,
    machine,
    percentile,
    postgres_available,
    profile_during,
    python_load,
    uvicorn_server,
    wrk_load,
)

SECRET = "bench-github-secret"
DELIVERY = "X-GitHub-Delivery"
FIXTURE = FIXTURES / "github" / "webhooks" / "issue_comment" / "created.json"
# The steps of one delivery, for the profile's summary: framework, checks, parsing, then the group commit.
FOCUS = ("RequestResponseCycle.run_asgi", "RequestMetricsMiddleware.__call__", "WebhookFastPath.__call__",
         "verify_signature", "_parse_json", "github_batch", "GroupCommitter._commit", "store_raw", "process_pending",
         "store_batch", "recompute_clocks", "load_histories", "compute_clocks", "ClauseElement._compile_w_cache",
         "Response.__call__")
CONTRACTS_YAML = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
clients:
  - name: hello
    github_repos: [Codertocat/Hello-World]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h, at_risk: 0.75}
    production_bug: {labels: [production]}
"""


def pulse_app() -> FastAPI:
    """Build the real app for the database in BENCH_DATABASE_URL (the uvicorn factory)."""
    from app.cli.serving import freeze_startup_objects
    from app.contracts import parse_contracts
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(_env_file=None, database_url=os.environ["BENCH_DATABASE_URL"],  # type: ignore[call-arg]
                        github_webhook_secret=SECRET, api_tokens="bench-token-0123456789")
    app = create_app(settings, contracts=parse_contracts(CONTRACTS_YAML, "bench contracts"), warn=False)
    freeze_startup_objects()  # as `pulse serve` does
    return app


def pulse_app_raw_only() -> FastAPI:
    """Build the real app with its intake processor switched off: the raw deliveries are stored, nothing else."""
    from app.intake.processor import IntakeProcessor

    IntakeProcessor.hand_over = lambda self, pending: None  # type: ignore[method-assign]
    IntakeProcessor.recover = lambda self: None  # type: ignore[method-assign]
    return pulse_app()


def pulse_app_no_db() -> FastAPI:
    """Build the real app whose group commit answers without the database: the cost of everything else."""
    import app.intake.group_commit as batcher
    from app.intake.deliveries import IntakeResult

    batcher.store_raw = lambda factory, group: ([IntakeResult("accepted", d.delivery_id) for d, _ in group], [])
    return pulse_app()


def bare_app() -> FastAPI:
    """Build a bare endpoint that reads the same body and answers 202 (the uvicorn factory)."""
    app = FastAPI()

    @app.post("/webhooks/github", status_code=202)
    async def create_github_delivery(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"status": "accepted", "delivery_id": request.headers.get("X-GitHub-Delivery"),
                             "bytes": len(body)}, status_code=202)

    return app


def load_body() -> tuple[bytes, str]:
    """Return the 15 KB issue_comment body (the shared fixture, else a generated one of that size and shape)."""
    if FIXTURE.exists():
        return FIXTURE.read_bytes(), f"fixture {FIXTURE.relative_to(FIXTURES.parent)}"
    payload = {
        "action": "created",
        "issue": {"number": 1, "id": 1, "title": "Spelling error", "user": {"login": "client", "type": "User"},
                  "labels": [], "assignees": [], "state": "open", "created_at": "2019-05-15T15:20:18Z",
                  "updated_at": "2019-05-15T15:20:21Z", "body": "It breaks", "html_url": "https://github.com/x"},
        "comment": {"id": 2, "user": {"login": "client", "type": "User"}, "created_at": "2019-05-15T15:20:21Z",
                    "updated_at": "2019-05-15T15:20:21Z", "body": "Please fix.",
                    "issue_url": "https://api.github.com/repos/Codertocat/Hello-World/issues/1"},
        "repository": {"full_name": "Codertocat/Hello-World"},
        "sender": {"login": "client"},
    }
    payload["repository"]["description"] = "x" * (15_500 - len(json.dumps(payload, indent=2)))
    return json.dumps(payload, indent=2).encode(), "generated body (fixture absent)"


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def github_headers(body: bytes) -> dict[str, str]:
    """Return the headers of a signed issue_comment delivery, all but its X-GitHub-Delivery."""
    return {"Content-Type": "application/json", "X-GitHub-Event": "issue_comment", "X-GitHub-Hook-ID": "1",
            "X-Hub-Signature-256": sign(body)}


def count_deliveries(url: str) -> int:
    """Count the raw deliveries stored (every acknowledged one must be there)."""
    from sqlalchemy import func, select

    from app.core.db import make_engine
    from app.core.tables import RawDelivery

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(RawDelivery)) or 0)
    finally:
        engine.dispose()


def variant_bodies(body: bytes, count: int) -> list[tuple[bytes, str]]:
    """Make ``count`` deliveries of the same shape and size, each a new comment on its own issue."""
    payload = json.loads(body)
    repo = payload["repository"]["full_name"]
    out = []
    for i in range(count):
        number = 100_000 + i
        payload["issue"].update(number=number, id=900_000_000 + i)
        payload["comment"].update(id=800_000_000 + i, issue_url=f"https://api.github.com/repos/{repo}/issues/{number}")
        out.append((json.dumps(payload, indent=2).encode(), f"{repo}#{number}"))
    return out


async def paced_freshness(endpoint: str, deliveries: list[tuple[bytes, str]], rate: int, url: str) -> dict:
    """Send deliveries at a fixed rate; time each to its answer and to its clock showing in the clocks table.

    A watcher reads the clocks table from its own connection every 50 ms, so the figure holds whether the
    app writes clocks before answering (as now) or after. Times run from the moment a delivery left the
    sender (its receipt, on loopback) and, stricter, from the moment it was due.
    """
    from app.core.db import make_engine

    engine = make_engine(url)
    times: dict[str, tuple[float, float, float]] = {}  # item key -> (due, sent, answered)
    seen: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    done = asyncio.Event()
    watcher = asyncio.create_task(_watch_clocks(engine, times, seen, done))
    senders = [asyncio.create_task(_sender(endpoint, deliveries, queue, times, statuses)) for _ in range(64)]
    start = time.monotonic()
    for index in range(len(deliveries)):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        queue.put_nowait((index, due))
    for _ in senders:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*senders), timeout=120)
    elapsed = time.monotonic() - start
    done.set()
    await watcher
    engine.dispose()
    return _freshness_figures(rate, len(deliveries), elapsed, times, seen, statuses)


async def _sender(endpoint: str, deliveries: list[tuple[bytes, str]], queue: asyncio.Queue[tuple[int, float] | None],
                  times: dict[str, tuple[float, float, float]], statuses: Counter[str]) -> None:
    """Post queued deliveries over one kept-alive connection, plain HTTP/1.1 on asyncio streams.

    httpx costs about 2 ms of CPU per 15 KB post on this machine, enough to fall behind 200/s while the
    server shares the cores; writing the request bytes ourselves keeps the sender out of the figure.
    """
    host, _, path = endpoint.removeprefix("http://").partition("/")
    address, _, port = host.partition(":")
    reader, writer = await asyncio.open_connection(address, int(port))
    try:
        while (job := await queue.get()) is not None:
            index, due = job
            body, key = deliveries[index]
            headers = {**github_headers(body), DELIVERY: f"fresh-{index}", "Host": host,
                       "Content-Length": str(len(body))}
            head = f"POST /{path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            sent = time.monotonic()
            writer.write(head.encode() + body)
            status = await _read_answer(reader)
            statuses[str(status)] += 1
            if status == 202:
                times[key] = (due, sent, time.monotonic())
    finally:
        writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (status line, headers, Content-Length body); return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(x.split(":", 1)[1]) for x in lines if x.lower().startswith("content-length:")), 0)
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def _watch_clocks(engine, times: dict[str, tuple[float, float, float]], seen: dict[str, float],  # noqa: ANN001
                        done: asyncio.Event) -> None:
    """Every 50 ms, look up the clocks of answered deliveries not seen yet; stop 30 s after the last answer."""
    from sqlalchemy import bindparam, select

    from app.core.tables import ClockRow

    sql = select(ClockRow.item_key).where(ClockRow.source == "github",
                                          ClockRow.item_key.in_(bindparam("keys", expanding=True)))

    def clocks_of(keys: list[str]) -> list[str]:
        with engine.connect() as conn:
            return [k for start in range(0, len(keys), 500)
                    for k in conn.scalars(sql, {"keys": keys[start : start + 500]})]

    deadline = None
    while True:
        waiting = [k for k in list(times) if k not in seen]
        if waiting:
            found = await asyncio.to_thread(clocks_of, waiting)
            now = time.monotonic()
            seen.update((k, now) for k in found)
        if done.is_set():
            deadline = deadline or time.monotonic() + 30
            if len(seen) >= len(times) or time.monotonic() > deadline:
                return
        await asyncio.sleep(0.05)


def _freshness_figures(rate: int, count: int, elapsed: float, times: dict[str, tuple[float, float, float]],
                       seen: dict[str, float], statuses: Counter[str]) -> dict:
    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000

    answer = [a - s for d, s, a in times.values()]
    fresh = [seen[k] - s for k, (d, s, a) in times.items() if k in seen]
    fresh_due = [seen[k] - d for k, (d, s, a) in times.items() if k in seen]
    late = [s - d for d, s, a in times.values()]
    return {"rate": rate, "sent": count, "seconds": elapsed, "ok": len(times), "statuses": dict(statuses),
            "answer_p50_ms": ms(answer, 50), "answer_p99_ms": ms(answer, 99),
            "p50_ms": ms(fresh, 50), "p99_ms": ms(fresh, 99), "max_ms": max(fresh, default=0) * 1000,
            "due_p99_ms": ms(fresh_due, 99), "lag_p99_ms": ms(late, 99), "clock_seen": len(seen)}


def measure(kind: str, args: argparse.Namespace, body: bytes, folder: Path, round_no: int, use_wrk: bool) -> dict:
    """Start one server (bare, or the app on a fresh database), warm it up, load it; return its figures."""
    db_kind, _, variant = kind.partition("-")
    db_kind = None if kind == "bare" else db_kind
    suffix = f"_{variant}" if variant else ""
    target = "bench.intake:bare_app" if kind == "bare" else f"bench.intake:pulse_app{suffix}"
    with _maybe_database(db_kind, folder) as url:
        env = {"BENCH_DATABASE_URL": url or ""}
        root = Path(args.app_root) if args.app_root and kind != "bare" else ROOT
        with uvicorn_server(target, env, root=root) as (base, proc):
            load = wrk_load if use_wrk else python_load
            endpoint = base + "/webhooks/github"
            headers = github_headers(body)
            warm = load(endpoint, body, headers, DELIVERY, seconds=2, connections=args.connections,
                        prefix=f"warm{round_no}")
            profile = None
            if args.profile and kind in args.profile_kinds.split(",") and round_no == 0:
                profile = profile_during(proc.pid, Path(args.profile) / f"intake-{kind}.txt", args.seconds, FOCUS)
            cpu_before = cpu_seconds(proc.pid)
            figures = load(endpoint, body, headers, DELIVERY, seconds=args.seconds, connections=args.connections,
                           prefix=f"run{round_no}")
            # CPU per delivery is steadier than deliveries/s when other work shares the machine.
            figures["cpu_us"] = 1e6 * (cpu_seconds(proc.pid) - cpu_before) / max(figures["requests"], 1)
            figures["cpu_share"] = (cpu_seconds(proc.pid) - cpu_before) / args.seconds
            if profile is not None:
                figures["profile"] = profile()
            if url and variant != "no_db":
                figures["stored"] = count_deliveries(url)
                figures["acknowledged"] += warm["acknowledged"]
            if url and not variant and round_no == args.rounds - 1 and args.rate:
                bodies = variant_bodies(body, args.rate * args.fresh_seconds)
                figures["freshness"] = asyncio.run(paced_freshness(endpoint, bodies, args.rate, url))
    figures["kind"] = kind
    return figures


def _maybe_database(kind: str | None, folder: Path):  # noqa: ANN202
    from contextlib import nullcontext

    return nullcontext(None) if kind is None else database(kind, folder)


def report(results: list[dict], kinds: list[str], rounds: int) -> None:
    """Print medians per server and the durable/bare ratio of each round, then its median."""
    by_kind = {k: [r for r in results if r["kind"] == k] for k in kinds}
    print(f"{'server':<19} {'deliveries/s':>13} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>11} {'CPU share':>10} "
          f"{'non-2xx':>8}  stored/acknowledged (warm-up included)")
    for kind, runs in by_kind.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50_ms"] for r in runs)
        p99 = statistics.median(r["p99_ms"] for r in runs)
        cpu = statistics.median(r["cpu_us"] for r in runs)
        share = statistics.median(r["cpu_share"] for r in runs)
        bad = sum(r["non_2xx"] + r["socket_errors"] for r in runs)
        stored = ", ".join(f"{r['stored']}/{r['acknowledged']}" for r in runs) if "stored" in runs[0] else "-"
        print(f"{kind:<19} {rps:>13.0f} {p50:>8.1f} {p99:>8.1f} {cpu:>11.0f} {share:>9.0%} {bad:>8}  {stored}")
    for kind in kinds[1:]:
        ratios = [d["rps"] / b["rps"] for b, d in zip(by_kind["bare"], by_kind[kind], strict=True)]
        per_round = ", ".join(f"{r:.2f}" for r in ratios)
        cpu = [b["cpu_us"] / d["cpu_us"] for b, d in zip(by_kind["bare"], by_kind[kind], strict=True)]
        print(f"ratio {kind}/bare: median {statistics.median(ratios):.2f} (per round: {per_round}; target >= 0.5); "
              f"bare/{kind} CPU per delivery: median {statistics.median(cpu):.2f}")
    for run in results:
        fresh = run.get("freshness")
        if fresh:
            achieved = fresh["sent"] / fresh["seconds"]
            print(f"freshness {run['kind']} at {fresh['rate']}/s: {fresh['sent']} sent over {fresh['seconds']:.1f} s "
                  f"({achieved:.0f}/s achieved; sender late by p99 {fresh['lag_p99_ms']:.0f} ms), "
                  f"answers {fresh['statuses']}; answer p50 {fresh['answer_p50_ms']:.0f} ms, p99 "
                  f"{fresh['answer_p99_ms']:.0f} ms; receipt -> clock in the table p50 {fresh['p50_ms']:.0f} ms, "
                  f"p99 {fresh['p99_ms']:.0f} ms, max {fresh['max_ms']:.0f} ms (target p99 < 1000 ms; from the due "
                  f"moment p99 {fresh['due_p99_ms']:.0f} ms); clocks seen for {fresh['clock_seen']} of {fresh['ok']}")
        if run.get("profile"):
            print(f"profile of {run['kind']} (py-spy, {run['profile']['samples']} samples) -> {run['profile']['path']}")
            for line in run["profile"]["top"]:
                print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="bare, SQLite, PostgreSQL in turn, this many times")
    parser.add_argument("--rate", type=int, default=200, help="deliveries/s for the freshness run (0: skip)")
    parser.add_argument("--fresh-seconds", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--python-client", action="store_true", help="use the bounded Python client, not wrk")
    parser.add_argument("--profile", help="folder for py-spy profiles of the runs named by --profile-kinds")
    parser.add_argument("--profile-kinds", default="sqlite", help="comma-separated: sqlite, postgresql, ...")
    parser.add_argument("--app-root", help="serve app/, connectors/, metrics/ from this copy (a candidate change)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also measure the app storing raw deliveries only (-raw_only) and without the database "
                             "(-no_db), to see what each part of a delivery costs")
    args = parser.parse_args()
    kinds = ["bare", *[k for k in args.databases.split(",") if k]]
    if "postgresql" in kinds and not postgres_available():
        print("PostgreSQL is not reachable: measuring SQLite only")
        kinds.remove("postgresql")
    if args.breakdown:
        kinds += [f"{k}-{variant}" for k in kinds[1:] for variant in ("raw_only", "no_db")]
    use_wrk = not args.python_client and ensure_wrk()
    body, origin = load_body()
    print(machine())
    if not use_wrk:
        print("wrk is missing: the bounded Python client runs; it saturates before the servers do, so its "
              "ratios understate the gap (CPU per delivery still compares)")
    print(f"load: {'wrk' if use_wrk else 'bounded Python client (httpx)'}, {args.connections} connections, "
          f"{args.seconds} s per server, {args.rounds} rounds; body {len(body)} bytes ({origin})")
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        for round_no in range(args.rounds):
            for kind in kinds:
                results.append(measure(kind, args, body, Path(tmp), round_no, use_wrk))
    report(results, kinds, args.rounds)
    print(f"total time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
