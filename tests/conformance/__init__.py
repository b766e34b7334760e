"""GitHub's own npm packages (payload examples, schemas, the REST description, a validating mock) for conformance tests.

``make test`` installs them from ``tests/conformance/package.json`` into ``tests/conformance/node_modules`` (never
committed) when npm is on the machine; without them the conformance tests skip and say how to get them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
INSTALL_HINT = "run `make test` (it installs them with npm) or `npm ci --prefix tests/conformance`"


def npm_package(name: str) -> Path:
    """Return the installed folder of npm package ``name``; skip the test, saying why, when it is not installed."""
    folder = NODE_MODULES / name
    if not (folder / "package.json").is_file():
        why = "npm is not installed on this machine" if shutil.which("npm") is None else "it is not installed"
        pytest.skip(f"GitHub's npm package {name} is needed for this conformance test and {why}: {INSTALL_HINT}.")
    return folder


def npm_bin(name: str) -> Path:
    """Return an installed npm command (``node_modules/.bin/<name>``); skip the test when it is missing."""
    path = NODE_MODULES / ".bin" / name
    if not path.exists() or shutil.which("node") is None:
        pytest.skip(f"The npm command {name} (with node) is needed for this conformance test: {INSTALL_HINT}.")
    return path
