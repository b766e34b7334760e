"""`pulse doctor`: the checks an operator would otherwise make by hand, each with what to do when it fails.

A check is a function of the ``Doctor`` (settings, contracts, database, HTTP transport) that returns findings: one
row each, ``ok``, ``warning`` (works, but worth a look) or ``problem`` (something is broken). Checks run side by side,
each within ``timeout`` seconds; one that fails, hangs or raises becomes a problem row of its own and never stops the
others. All is well when no finding is a problem: warnings do not fail the doctor.

The database, HTTP and settings modules are imported for type hints only: `pulse --help` imports this module for
the findings and the default timeout, and should not load them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from app.contracts import Contracts
    from app.settings import Settings

log = logging.getLogger("pulse.doctor")
DEFAULT_TIMEOUT = 20.0


class Status(Enum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    """One row of the doctor's table: what was checked, how it is, and what to do about it."""

    check: str
    status: Status
    detail: str
    todo: str = ""


def ok(check: str, detail: str) -> Finding:
    return Finding(check, Status.OK, detail)


def warning(check: str, detail: str, todo: str) -> Finding:
    return Finding(check, Status.WARNING, detail, todo)


def problem(check: str, detail: str, todo: str) -> Finding:
    return Finding(check, Status.PROBLEM, detail, todo)


@dataclass
class Doctor:
    """What the checks look at. ``contracts`` is None when the file cannot be read (the contracts check says why)."""

    settings: Settings
    contracts: Contracts | None
    engine: Engine
    factory: sessionmaker[Session]
    contracts_error: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    transport: httpx.BaseTransport | None = None  # tests hand in a stand-in; None: the network
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def http_timeout(self) -> float:
        """Return the timeout of one HTTP call: within the check's, so a check can still report."""
        return min(self.settings.http_timeout_seconds, max(self.timeout / 2, 1.0))

    def repositories(self) -> list[str]:
        """Return every client's GitHub repositories (owner/name), in the contracts' order."""
        specs = self.contracts.spec.clients if self.contracts else []
        return list(dict.fromkeys(repo for c in specs for repo in c.github_repos))

    def projects(self) -> list[str]:
        """Return every client's Jira project keys, in the contracts' order."""
        specs = self.contracts.spec.clients if self.contracts else []
        return list(dict.fromkeys(key.upper() for c in specs for key in c.jira_projects))

    def webhook_url(self, source: str) -> str | None:
        """Return the public URL of our GitHub or Jira webhook endpoint (PULSE_*_WEBHOOK_URL; None when not set)."""
        return self.settings.github_webhook_url if source == "github" else self.settings.jira_webhook_url


@dataclass(frozen=True)
class Check:
    """A named check: the name titles its row when it cannot finish."""

    name: str
    run: Callable[[Doctor], list[Finding]]


def run_checks(doctor: Doctor, checks: Sequence[Check]) -> list[Finding]:
    """Run every check at once, all within the doctor's timeout; return their findings in the checks' order."""
    pool = ThreadPoolExecutor(max_workers=max(len(checks), 1), thread_name_prefix="doctor")
    try:
        futures = [(check, pool.submit(check.run, doctor)) for check in checks]
        deadline = time.monotonic() + doctor.timeout
        found: list[Finding] = []
        for check, future in futures:
            try:
                found.extend(future.result(timeout=max(deadline - time.monotonic(), 0.0)))
            except FutureTimeout:
                found.append(problem(check.name, f"No answer within {doctor.timeout:.0f} seconds.",
                                     "Check the network or the service this looks at, or run again with a "
                                     "longer --timeout."))
            except Exception as exc:  # a check that breaks is itself a finding; the others go on
                log.debug("check %s failed", check.name, exc_info=True)
                found.append(_broken(check.name, exc))
        return found
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _broken(name: str, exc: Exception) -> Finding:
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return problem(name, f"Could not be checked: the database could not be read ({type(exc).__name__}).",
                       "Put right what the Database row says first (PULSE_DATABASE_URL, pulse migrate).")
    first_line = (str(exc).splitlines() or [""])[0][:300]
    return problem(name, f"Could not be checked: {type(exc).__name__}: {first_line}",
                   "Fix what the message names and run pulse doctor again.")


def all_well(findings: Sequence[Finding]) -> bool:
    """Say whether no finding is a problem (warnings allowed)."""
    return not any(f.status is Status.PROBLEM for f in findings)
