"""`pulse report weekly`: one client's or one developer's week for the one-on-one, as Markdown or HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import contracts_or_exit, err, fail, session_factory, settings_or_exit


class WeeklyFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"


def weekly(
    client: Annotated[str | None, typer.Option(help="This client's week (its name in the contracts file).")] = None,
    developer: Annotated[str | None, typer.Option(help="This developer's week (a person id); with --client, their "
                                                       "work for that client only.")] = None,
    week: Annotated[str | None, typer.Option(help="An ISO week like 2026-W47; default the last full week in the "
                                                  "client's time zone (UTC for a developer alone).")] = None,
    fmt: Annotated[WeeklyFormat, typer.Option("--format", help="markdown, or html for e-mail.")]
    = WeeklyFormat.MARKDOWN,
    output: Annotated[Path | None, typer.Option(help="Write the report to this file instead of printing it.")]
    = None,
) -> None:
    """Write the week's report for a one-on-one: figures beside last week's, what was late, ratings, talking points."""
    from app.reports.weekly import WeeklyReportError, weekly_report
    from app.reports.weekly_render import html, markdown

    settings = settings_or_exit()
    contracts = contracts_or_exit(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        with session_factory(settings)() as session:
            report = weekly_report(session, contracts, now=now, public_url=settings.public_url, client=client,
                                   developer=developer, week=week)
    except WeeklyReportError as exc:
        raise fail(str(exc)) from None
    text = html(report) if fmt is WeeklyFormat.HTML else markdown(report)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"Could not write {output}: {exc.strerror or exc}. Choose a folder that exists and that you "
                   "may write to.") from None
    err.print(f"Wrote the {fmt.value} report for {report.name}, {report.week.name}, to {output}.", highlight=False,
              soft_wrap=True)  # a path broken across lines cannot be copied
