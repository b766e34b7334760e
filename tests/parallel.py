"""Parallel runs (pytest-xdist): the tests that share a module- or session-scoped fixture run on one worker.

Each worker makes such a fixture anew (a live server, the storm and its reference records), so its tests are
sent to one worker and it is made once per run, as in a serial run. The workers collect the tests and find the
groups; the controller, which collects nothing, reads them from a file whose path it gives each worker.

xdist's own ``--dist loadgroup`` carries a group in the test's node id, which pytest 9.2 no longer lets a plugin
change (pytest-dev/pytest-xdist#1386): the groups found here go to the scheduler directly instead.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling

GROUPS_FILE = "pulse_shared_fixture_groups"  # the workerinput key


def shared_fixture_group(item: pytest.Item) -> str | None:
    """Name what the test shares with others: a session fixture's module, or its own file for a module fixture."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    groups = set()
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            module = getattr(fixturedef.func, "__module__", "") or ""
            if fixturedef.scope == "function" or not module.startswith("tests."):
                continue  # pytest's own session fixtures (tmp_path_factory) are cheap and per worker anyway
            groups.add(module if fixturedef.scope in ("session", "package") else item.nodeid.split("::")[0])
    return "+".join(sorted(groups)) or None


def record_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker, leave {node id: group} where the controller looks for it."""
    path = getattr(config, "workerinput", {}).get(GROUPS_FILE)
    if path is None:
        return
    groups = {item.nodeid: group for item in items if (group := shared_fixture_group(item)) is not None}
    mine = Path(f"{path}.{config.workerinput['workerid']}")  # type: ignore[attr-defined]
    mine.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(mine, path)  # every worker collects the same tests: whichever lands last is as good


def configure_node(node: Any) -> None:
    """On the controller, give a worker the file for its groups."""
    config = node.config
    if not hasattr(config, "pulse_groups_dir"):
        config.pulse_groups_dir = tempfile.mkdtemp(prefix="pulse-xdist-")
    node.workerinput[GROUPS_FILE] = os.path.join(config.pulse_groups_dir, "groups.json")


def remove_groups(config: pytest.Config) -> None:
    folder = getattr(config, "pulse_groups_dir", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def end_worker(config: pytest.Config) -> None:
    """On a worker whose results are sent, run the exit handlers and leave without tearing the interpreter down.

    Freeing a worker's heap at exit took each of them 5 to 8 s of CPU after its last test, and the controller
    waited for the slowest (the old-suite run: 107 s, 92 s without it).
    """
    if not hasattr(config, "workerinput"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # the reused PostgreSQL schema is dropped here, engines disposed
    os._exit(0)


class SharedFixtureScheduling(LoadGroupScheduling):
    """``--dist loadgroup``, with the groups the workers found: each group is one unit of work, the rest one by one.

    Units with more tests go first (xdist's ``loadscopereorder``), so the groups start early.
    """

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:  # first asked once every worker has collected, so the file is there
            folder = getattr(self.config, "pulse_groups_dir", None)
            path = Path(folder, "groups.json") if folder else None
            self._groups = json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}
        group = self._groups.get(nodeid)
        return f"group:{group}" if group is not None else super()._split_scope(nodeid)
