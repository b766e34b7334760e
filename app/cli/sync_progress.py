"""Terminal output of `pulse sync`: progress in a terminal, plain log lines otherwise, and a summary."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.sync.runner import SyncSummary

log = logging.getLogger("pulse.sync")


class SyncProgress:
    """Show pages as they are stored: a live line in a terminal, log lines in a pipe or a cron mail."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> SyncProgress:
        if self.live:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, scope: str, stream: str, summary: SyncSummary) -> None:
        text = (f"{scope} {stream} stored; so far {summary.items} items, {summary.activities} activities, "
                f"{summary.requests} requests")
        if self._progress is not None:
            self._progress.update(self._task, description=text)
        else:
            log.info(text)


@contextmanager
def stop_on_sigterm() -> Iterator[threading.Event]:
    """Turn SIGTERM into a request to stop after the page being stored."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.warning("Stopping after the current page (signal %s).", signum)
        stop.set()

    previous = signal.signal(signal.SIGTERM, _handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_summary(console: Console, summary: SyncSummary) -> None:
    """Print the run's figures as a small table."""
    what = "GitHub and Jira" if summary.source == "all" else {"github": "GitHub", "jira": "Jira"}[summary.source]
    table = Table(title=f"{summary.mode.capitalize()} sync of {what}: {summary.status}", show_header=False)
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_row("repositories and projects done", str(summary.scopes))
    table.add_row("pages stored", str(summary.pages))
    table.add_row("work items stored", str(summary.items))
    table.add_row("activities stored", str(summary.activities))
    table.add_row("records kept in quarantine", str(summary.quarantined))
    table.add_row("API requests", str(summary.requests))
    left = "unknown" if summary.rate_limit_remaining is None else str(summary.rate_limit_remaining)
    table.add_row("rate limit left", left)
    table.add_row("duration", f"{summary.duration_seconds:.1f} s")
    console.print(table)
    if summary.quarantined:
        console.print(f"[yellow]{summary.quarantined} record(s) could not be read[/yellow] and are kept raw with the "
                      "reason: see `pulse quarantine`; after an upgrade `pulse replay` reads them again.",
                      highlight=False, markup=True, soft_wrap=True)
    for error in summary.errors:
        console.print(f"[red]failed:[/red] {error}", highlight=False, markup=True, soft_wrap=True)
