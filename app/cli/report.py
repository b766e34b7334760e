"""`pulse report` (both promises per developer, as GET /v1/developers answers; `report weekly`) and `pulse openapi`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.common import console, contracts_or_exit, fail, session_factory, settings_or_exit
from app.cli.weekly import weekly
from app.reports.formats import csv_text, utc_text

PROMISES = ("responsiveness", "bug_fix")
FIGURE_COLUMNS = ("clocks", "met", "breached", "running", "at_risk", "attainment", "median_seconds", "median",
                  "p90_seconds", "p90", "mean_seconds", "mean")
REPORT_COLUMNS = ["id", "name", "open_clocks"] + [f"{p}_{c}" for p in PROMISES for c in FIGURE_COLUMNS]


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from pydantic import TypeAdapter, ValidationError

    from app.reports.schemas import Time

    try:
        return TypeAdapter(Time).validate_python(value)
    except ValidationError:
        raise fail(f"{option} {value!r} is not a time with an offset; write it like 2026-03-02T09:00:00+02:00 "
                    "or 2026-03-02T07:00:00Z.") from None


def report(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Option(help="Only this client (its name in the contracts file).")] = None,
    developer: Annotated[str | None, typer.Option(help="Only this person id.")] = None,
    since: Annotated[str | None, typer.Option(help="Start, ISO 8601 with offset; default 30 days before --until.")]
    = None,
    until: Annotated[str | None, typer.Option(help="End (exclusive), ISO 8601 with offset; default now.")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table for people; json or csv for tools.")]
    = ReportFormat.TABLE,
) -> None:
    """Print both promises per developer over a period: the figures GET /v1/developers answers.

    `pulse report weekly` writes one client's or developer's week for a one-on-one.
    """
    if ctx.invoked_subcommand is not None:
        return
    from app.reports.schemas import DeveloperList, DeveloperSummary
    from app.reports.scorecards import Period, developer_rows

    settings = settings_or_exit()
    contracts = contracts_or_exit(settings)
    if client is not None and client not in contracts.clients:
        raise fail(f"No client named {client!r}; the contracts list {', '.join(sorted(contracts.clients))}.")
    now = datetime.now(UTC).replace(microsecond=0)
    period = Period.resolve(_time(since, "--since"), _time(until, "--until"), now)
    if period.since >= period.until:
        raise fail("--since must be before --until.")
    with session_factory(settings)() as session:
        rows = developer_rows(session, contracts, period, now, client=client, developer=developer)
    if developer is not None and not rows:
        raise fail(f"No developer with id {developer!r}. 'pulse report' without --developer lists them.")
    if fmt is ReportFormat.JSON:
        people = [DeveloperSummary(**r) for r in rows]
        listing = DeveloperList(since=period.since, until=period.until, developers=people)
        typer.echo(json.dumps(listing.model_dump(mode="json"), indent=2, ensure_ascii=False))
    elif fmt is ReportFormat.CSV:
        typer.echo(csv_text(REPORT_COLUMNS, (_flat(r) for r in rows)), nl=False)
    else:
        console().print(_table(rows, period.since, period.until, client))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out = {"id": row["id"], "name": row["name"], "open_clocks": row["open_clocks"]}
    for promise in PROMISES:
        out.update({f"{promise}_{k}": v for k, v in row[promise].items()})
    return out


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _table(rows: list[dict[str, Any]], since: datetime, until: datetime, client: str | None) -> Table:
    title = f"Promises kept{' for ' + client if client else ''}, {utc_text(since)} to {utc_text(until)}"
    table = Table(title=title, caption="Late: past the target, answered or not (open items count too).")
    table.add_column("Developer", no_wrap=True)
    for label in ("Answers", "Late", "Kept", "Median", "p90", "Bugs", "Late", "Kept", "Median", "Open"):
        table.add_column(label, justify="right", no_wrap=True)
    for row in rows:
        r, b = row["responsiveness"], row["bug_fix"]
        table.add_row(
            row["name"], str(r["clocks"]), str(r["breached"]), _percent(r["attainment"]), r["median"] or "–",
            r["p90"] or "–", str(b["clocks"]), str(b["breached"]), _percent(b["attainment"]), b["median"] or "–",
            str(row["open_clocks"]),
        )
    return table


def openapi() -> None:
    """Print the OpenAPI schema (pulse openapi > openapi/openapi.json)."""
    from app.main import openapi_schema

    typer.echo(openapi_text(openapi_schema()), nl=False)


def openapi_text(schema: dict[str, Any]) -> str:
    """Write the schema the way openapi/openapi.json is stored."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def register(cli: typer.Typer) -> None:
    """Add `report` (with `report weekly`) and `openapi` to the root `pulse` command."""
    group = typer.Typer(invoke_without_command=True)
    group.callback()(report)
    group.command("weekly")(weekly)
    cli.add_typer(group, name="report")
    cli.command("openapi")(openapi)

