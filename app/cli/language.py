"""Plain-language and feedback commands of `pulse`: score, feedback import (registered on the root command)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from app.cli.common import configure_logging, contracts_or_exit, fail, session_factory, settings_or_exit

if TYPE_CHECKING:
    from app.reports.feedback import ImportReport
    from app.reports.plain_language import ScoreRun

out = Console(stderr=True, highlight=False, soft_wrap=True)
feedback_cli = typer.Typer(help="Client ratings of delivery: 1-5 for responsiveness, fix speed and clarity.",
                           no_args_is_help=True)
EXIT_OK, EXIT_REFUSED, EXIT_CONFIG = 0, 1, 2
_BATCH = 500


def register(cli: typer.Typer) -> None:
    """Add `pulse score` and `pulse feedback import` to the root command."""
    cli.command("score")(score)
    cli.add_typer(feedback_cli, name="feedback")


def score(
    rescore: Annotated[bool, typer.Option("--rescore", help="Score every message again, not only new and edited "
                                                            "ones (after a roster change).")] = False,
) -> None:
    """Score developer messages not scored yet, edited since, or scored with other word lists (safe to repeat)."""
    from app.core.db import transaction
    from app.reports.plain_language import ScoreRun, forget_scores, score_pending
    from app.store.statistics import refresh_statistics

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo=False)
    factory = session_factory(settings)
    runs: list[ScoreRun] = []
    if rescore:
        # One transaction: the figures never show a half-rescored history.
        with transaction(factory) as session:
            forget_scores(session)
            while not runs or runs[-1].more:
                runs.append(score_pending(session, contracts, limit=_BATCH, resume=runs[-1].resume if runs else None))
    else:
        while not runs or runs[-1].more:
            with transaction(factory) as session:
                runs.append(score_pending(session, contracts, limit=_BATCH, resume=runs[-1].resume if runs else None))
            refresh_statistics(factory.kw["bind"])  # a first pass grows the scores from nothing (app/store/statistics)
    total = ScoreRun(sum(r.scored for r in runs), sum(r.unsupported for r in runs), sum(r.removed for r in runs))
    out.print(_score_summary(total, rescore))


def _score_summary(run: ScoreRun, rescore: bool) -> str:
    if not run.scored and not run.removed:
        return "Every developer message is scored already; nothing to do."
    text = f"{'Rescored' if rescore else 'Scored'} {run.scored} developer message{'' if run.scored == 1 else 's'}"
    if run.unsupported:
        text += f" ({run.unsupported} skipped: another language, or nothing left but code)"
    if run.removed:
        text += f"; removed {run.removed} score{'' if run.removed == 1 else 's'} of deleted messages"
    return text + "."


@feedback_cli.command("import")
def import_feedback(
    file: Annotated[Path, typer.Argument(help="A CSV file with the columns client, developer, period (or start and "
                                              "end), responsiveness, fix_speed, clarity, comment.")],
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing", help="Import nothing if any line is "
                                                                          "refused.")] = False,
) -> None:
    """Import client ratings from CSV: good lines are stored, each bad line is reported by number (exit 1)."""
    from app.core.db import transaction
    from app.reports.feedback import FeedbackFileError, import_feedback_csv

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo=False)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise fail(f"{file}: no such file.") from None
    except UnicodeDecodeError:
        raise fail(f"{file}: not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8'.") from None
    factory = session_factory(settings)
    try:
        with transaction(factory) as session:
            report = import_feedback_csv(session, contracts, text, datetime.now(UTC), all_or_nothing=all_or_nothing)
    except FeedbackFileError as exc:
        raise fail(f"{file}: {exc}.", EXIT_CONFIG) from None
    _print_report(file, report)
    raise typer.Exit(EXIT_REFUSED if report.refused else EXIT_OK)


def _print_report(file: Path, report: ImportReport) -> None:
    for line, errors in report.refused:
        for error in errors:
            out.print(f"[red]{escape(str(file))}, line {line}:[/red] {escape(error['field'])} "
                      f"{escape(error['problem'])}")
    for note in report.notes:
        out.print(f"[yellow]Note:[/yellow] {escape(note)}")
    refused = len(report.refused)
    lines = f"{refused} line{'' if refused == 1 else 's'} refused"
    if not report.saved:
        out.print(f"Nothing imported: {lines}, and --all-or-nothing was given. Fix them and import again.")
        return
    stored = report.created + report.updated
    text = f"Imported {stored} rating{'' if stored == 1 else 's'} ({report.created} new, {report.updated} replaced)"
    out.print(text + (f"; {lines}. Fix them and import the file again: stored lines are replaced, not doubled."
                      if refused else "."))
