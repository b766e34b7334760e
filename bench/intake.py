"""Webhook intake: deliveries/s and latency of the real app on SQLite and PostgreSQL against a bare endpoint.

Each server runs under uvicorn in its own process on 127.0.0.1 (one worker, same loop and HTTP settings,
no access log); wrk (Debian's package) drives it with a fixed number of connections, every request a real
15 KB ``issue_comment`` delivery signed once, with its own X-GitHub-Delivery. Without wrk, a bounded
Python client runs instead and the output says so. CPU time the server used per delivery is reported too:
it moves less than deliveries/s when other work shares the machine. Then a paced sender (asyncio + httpx)
measures freshness at a fixed rate, each delivery a new comment on its own issue: the time from the moment
a delivery was due to the moment its clock is in the clocks table, read from another connection.
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
FOCUS = ("RequestResponseCycle.run_asgi", "RequestMetricsMiddleware.__call__", "create_github_delivery", "_read_body",
         "verify_signature", "_parse_json", "github_batch", "IntakeBatcher._commit", "ingest_many", "store_batch",
         "recompute_clocks", "load_histories", "compute_clocks", "ClauseElement._compile_w_cache",
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
    from app.contracts import parse_contracts
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(_env_file=None, database_url=os.environ["BENCH_DATABASE_URL"],  # type: ignore[call-arg]
                        github_webhook_secret=SECRET, api_tokens="bench-token-0123456789")
    return create_app(settings, contracts=parse_contracts(CONTRACTS_YAML, "bench contracts"), warn=False)


def pulse_app_raw_only() -> FastAPI:
    """Build the real app whose group commit stores raw deliveries only: the cost of the durable part alone."""
    import app.batcher as batcher
    from connectors.records import Batch

    ingest = batcher.ingest_many
    batcher.ingest_many = lambda factory, contracts, group: ingest(factory, contracts, [(d, Batch()) for d, _ in group])
    return pulse_app()


def pulse_app_no_db() -> FastAPI:
    """Build the real app whose group commit answers without the database: the cost of everything else."""
    import app.batcher as batcher
    from app.intake import IntakeResult

    batcher.ingest_many = lambda factory, contracts, group: [IntakeResult("accepted", d.delivery_id) for d, _ in group]
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

    from app.db import make_engine
    from app.models import RawDelivery

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
    """Send deliveries at a fixed rate; time each from its due moment to its answer and to its clock in the table.

    The clock is looked up from another connection right after the answer, then every 20 ms until it shows,
    so the figure holds whether the app writes clocks before answering (as now) or just after.
    """
    import httpx
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(url)
    answered: list[float] = []
    fresh: list[float] = []
    lags: list[float] = []
    sql = text("SELECT count(*) FROM clocks WHERE source = 'github' AND item_key = :k")

    def clock_shown(key: str) -> bool:
        with engine.connect() as conn:
            return bool(conn.scalar(sql, {"k": key}))

    async def send(client: httpx.AsyncClient, index: int, due: float) -> None:
        body, key = deliveries[index]
        headers = {**github_headers(body), DELIVERY: f"fresh-{index}"}
        lags.append(time.monotonic() - due)
        try:
            answer = await client.post(endpoint, content=body, headers=headers)
        except httpx.HTTPError:
            return
        if answer.status_code != 202:
            return
        # Measured from the moment the delivery was due, so a late sender counts against us, not for us.
        answered.append(time.monotonic() - due)
        while time.monotonic() - due < 30:
            if await asyncio.to_thread(clock_shown, key):
                fresh.append(time.monotonic() - due)
                return
            await asyncio.sleep(0.02)

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        start = time.monotonic()
        tasks = []
        for index in range(len(deliveries)):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(send(client, index, due)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
        elapsed = time.monotonic() - start
    with engine.connect() as conn:
        keys = set(conn.scalars(text("SELECT DISTINCT item_key FROM clocks WHERE source = 'github'")))
    engine.dispose()
    return {"rate": rate, "sent": len(deliveries), "seconds": elapsed, "ok": len(answered),
            "answer_p50_ms": percentile(answered, 50) * 1000, "answer_p99_ms": percentile(answered, 99) * 1000,
            "p50_ms": percentile(fresh, 50) * 1000, "p99_ms": percentile(fresh, 99) * 1000,
            "max_ms": max(fresh, default=0) * 1000, "clock_seen": len(fresh),
            "lag_p99_ms": percentile(lags, 99) * 1000,
            "items_with_clock": len(keys & {key for _, key in deliveries})}


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
            if args.profile and kind == "sqlite" and round_no == 0:
                profile = profile_during(proc.pid, Path(args.profile) / "intake-sqlite.txt", args.seconds, FOCUS)
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
            print(f"freshness {run['kind']} at {fresh['rate']}/s: {fresh['sent']} sent over {fresh['seconds']:.1f} s, "
                  f"{fresh['ok']} acknowledged (answer p50 {fresh['answer_p50_ms']:.0f} ms, p99 "
                  f"{fresh['answer_p99_ms']:.0f} ms); receipt -> clock in the table p50 {fresh['p50_ms']:.0f} ms, "
                  f"p99 {fresh['p99_ms']:.0f} ms, max {fresh['max_ms']:.0f} ms (target p99 < 1000 ms); "
                  f"{fresh['clock_seen']} clocks seen while polling, {fresh['items_with_clock']} in the table after; "
                  f"sender late by p99 {fresh['lag_p99_ms']:.0f} ms")
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
    parser.add_argument("--profile", help="folder for a py-spy profile of the SQLite run")
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
