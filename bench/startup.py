"""Start-up cost: `pulse --help`, `pulse token --help`, `import app.main` and a server's start to its first answer.

Two code trees side by side in one run: before (by default the main branch, unpacked with ``git archive`` into a
scratch folder) and after (this tree). Every figure is the median of ``--runs`` fresh processes; the trees take
turns run by run, so the machine's load falls on both alike. CPU is the process's own user + system time, which
moves far less with the load around it than wall time does.

    .venv/bin/python bench/startup.py --runs 7
    .venv/bin/python bench/startup.py --before-ref 9eebf73      # or --before-root /path/to/a/checkout

The server is uvicorn serving ``app.cli.serving:app_for_server_process`` (what each `pulse serve` process builds
from the PULSE_* environment) on a fresh SQLite file with the demo contracts; its start ends at its first answer
to GET /healthz (polled every 0.1 s), and its CPU is read from /proc at that moment.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, cpu_seconds, database, machine, uvicorn_server  # noqa: E402

PACKAGES = ("app", "connectors", "metrics", "pyproject.toml")
SERVER = "app.cli.serving:app_for_server_process"
# Written to stderr when the measured process ends, however it ends (`--help` exits from inside click).
_REPORT = """
import atexit, json, sys

def _report():
    app = sys.modules.get("app")
    print("BENCH " + json.dumps({"app": getattr(app, "__file__", None), "modules": len(sys.modules)}), file=sys.stderr)

atexit.register(_report)
"""
COMMANDS = {
    "pulse --help": "import sys\nsys.argv = ['pulse', '--help']\nfrom app.cli.main import main\nmain()\n",
    "pulse token --help": "import sys\nsys.argv = ['pulse', 'token', '--help']\nfrom app.cli.main import main\n"
                          "main()\n",
    "import app.main": "import app.main\n",
}


@dataclass
class Runs:
    """The runs of one measure on one tree."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    modules: int | None = None


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_command(root: Path, code: str) -> tuple[float, float, int]:
    """Run ``code`` in a fresh interpreter on the tree ``root``; return (CPU s, wall s, modules imported)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _REPORT + code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, timeout=600,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = next((json.loads(line[6:]) for line in result.stderr.splitlines() if line.startswith("BENCH ")), None)
    if result.returncode != 0 or report is None:
        raise RuntimeError(f"{code!r} failed on {root}:\n{result.stderr}")
    if not str(report["app"]).startswith(str(root)):
        raise RuntimeError(f"{root}: the app was imported from {report['app']}, not from this tree")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, int(report["modules"])


def run_server(root: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Start the server on the tree ``root``; return (CPU s, wall s, 0: modules are not counted) to its first answer."""
    started = time.perf_counter()
    with uvicorn_server(SERVER, env, root=root, wait_path="/healthz") as (_base, proc):
        wall = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid)
    return cpu, wall, 0


def unpack(ref: str, folder: Path) -> Path:
    """Write the app, connectors and metrics of git ``ref`` into ``folder``; return it."""
    archive = folder / "before.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", ref, *PACKAGES], cwd=ROOT, stdout=out, check=True)  # noqa: S603, S607
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "before", filter="data")
    return folder / "before"


def describe(root: Path, ref: str | None) -> str:
    if ref is not None:
        commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True,  # noqa: S603, S607
                                text=True, check=True).stdout.strip()
        return f"{ref} ({commit})"
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,  # noqa: S603, S607
                          check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *PACKAGES], cwd=root, capture_output=True,  # noqa: S603, S607
                           text=True, check=False).stdout.strip()
    return f"{root} ({head or 'no git'}{', with uncommitted changes' if dirty else ''})"


def measure(trees: dict[str, Path], runs: int, env: dict[str, str]) -> dict[str, dict[str, Runs]]:
    """Run every measure ``runs`` times on each tree, the trees in turn; the first run of each is a warm-up."""
    measures: dict[str, Callable[[Path], tuple[float, float, int]]] = {
        name: (lambda root, code=code: run_command(root, code)) for name, code in COMMANDS.items()
    }
    measures["server start to first answer"] = lambda root: run_server(root, env)
    found = {name: {tree: Runs() for tree in trees} for name in measures}
    for name, run in measures.items():
        for root in trees.values():
            run(root)  # writes the tree's bytecode caches; not counted
        for _ in range(runs):
            for tree, root in trees.items():
                cpu, wall, modules = run(root)
                got = found[name][tree]
                got.cpu.append(cpu)
                got.wall.append(wall)
                got.modules = modules or None
        print(f"  measured {name} (load average {load_average()})", file=sys.stderr)
    return found


def table(found: dict[str, dict[str, Runs]]) -> str:
    rows = ["| measure | CPU before | CPU after | CPU after/before | wall before | wall after | modules before/after |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, by_tree in found.items():
        before, after = by_tree["before"], by_tree["after"]
        cpu_b, cpu_a = statistics.median(before.cpu), statistics.median(after.cpu)
        wall_b, wall_a = statistics.median(before.wall), statistics.median(after.wall)
        modules = f"{before.modules} / {after.modules}" if before.modules else "–"
        rows.append(f"| {name} | {cpu_b:.2f} s | {cpu_a:.2f} s | {cpu_a / cpu_b:.2f} | {wall_b:.2f} s | "
                    f"{wall_a:.2f} s | {modules} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each measure on each tree")
    parser.add_argument("--before-ref", default="main", help="git ref of the 'before' code (default: main)")
    parser.add_argument("--before-root", help="a checkout to measure as 'before' instead of --before-ref")
    parser.add_argument("--after-root", default=str(ROOT), help="the 'after' checkout (default: this tree)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-startup-") as scratch:
        folder = Path(scratch)
        before = Path(args.before_root).resolve() if args.before_root else unpack(args.before_ref, folder)
        after = Path(args.after_root).resolve()
        trees = {"before": before, "after": after}
        load_start = load_average()
        with database("sqlite", folder) as url:
            env = {"PULSE_DATABASE_URL": url, "PULSE_CONTRACTS": str(ROOT / "app" / "demo" / "pulse.yaml"),
                   "PULSE_API_TOKENS": "bench-startup-token-0123456789", "PULSE_LOG_LEVEL": "WARNING",
                   "PULSE_SURVEY_SECRET": "bench-startup-survey-secret-0123456789abcdef",
                   "PULSE_GITHUB_WEBHOOK_SECRET": "bench-startup-github", "PULSE_JIRA_WEBHOOK_SECRET": "bench-jira"}
            found = measure(trees, args.runs, env)
        print(f"Machine: {machine()}")
        print(f"Before: {describe(before, None if args.before_root else args.before_ref)}")
        print(f"After: {describe(after, None)}")
        print(f"Median of {args.runs} runs per tree (after one warm-up run each); load average {load_start} at the "
              f"start, {load_average()} at the end.\n")
        print(table(found))


if __name__ == "__main__":
    main()
