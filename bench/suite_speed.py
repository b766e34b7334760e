"""The test suite's time side by side with an older commit's, in one sitting, on this machine.

    git worktree add --detach ../pulse-old 290b134 && make -C ../pulse-old .venv/.installed
    python bench/suite_speed.py --old ../pulse-old

Runs, one after another: the old checkout's `make test`, this checkout's `make test`, and this checkout's suite
restricted to the tests the old suite held (matched by test name and parameters, whatever file they moved to),
run the way `make test` runs it. Prints wall and CPU (user + system of every process the run waited for) of each.
Each run needs what `make test` needs (PostgreSQL at 127.0.0.1:5432, chromium for the browser tests).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Run:
    name: str
    tests: int
    wall: float
    cpu: float
    summary: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(name: str, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit {done.returncode}"
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{name}: the run failed ({summary})")
    passed = [word for word in summary.replace(",", "").split() if word.isdigit()]
    return Run(name, int(passed[0]) if passed else 0, wall, cpu, summary)


def _test_ids(tree: Path) -> list[str]:
    python = tree / ".venv" / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pytest", "--collect-only", "-q", "-o", "addopts=", "-p", "no:xdist"],
                          cwd=tree, capture_output=True, text=True, check=False)
    ids = [line.strip() for line in done.stdout.splitlines() if "::" in line]
    if not ids:
        raise SystemExit(f"no tests collected in {tree}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return ids


def _same_tests(old_ids: list[str]) -> list[str]:
    """Today's node ids of the tests the old checkout held (name and parameters equal; the file may differ)."""
    wanted = {node.split("::", 1)[1] for node in old_ids}
    return [node for node in _test_ids(ROOT) if node.split("::", 1)[1] in wanted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the older commit, with its .venv")
    args = parser.parse_args()
    old = args.old.resolve()
    old_ids = _test_ids(old)
    same = _same_tests(old_ids)
    old_count = len(old_ids)
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load average {load[0]:.1f}, "
          f"{os.cpu_count()} cores; {len(same)} of the old suite's {old_count} tests found by name today")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as make test runs it
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as ids:
        ids.write("\n".join(same) + "\n")
    try:
        runs = [
            _timed(f"old ({old.name}), make test", ["make", "test"], old),
            _timed("this checkout, make test", ["make", "test"], ROOT),
            _timed("this checkout, the old suite's tests", [str(ROOT / ".venv/bin/python"), "-m", "pytest",
                                                            f"@{ids.name}"], ROOT, env),
        ]
    finally:
        os.unlink(ids.name)
    print(f"{'run':<44} {'tests':>6} {'wall':>8} {'CPU':>8}  {'wall / old':>10}")
    for run in runs:
        print(f"{run.name:<44} {run.tests:>6} {run.wall:>7.0f}s {run.cpu:>7.0f}s  {run.wall / runs[0].wall:>10.2f}")


if __name__ == "__main__":
    main()
