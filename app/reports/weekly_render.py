"""Write a weekly one-on-one report as Markdown or as HTML for e-mail, both from the same lines.

`report_lines` decides what each section says; `markdown` and `html` only decide how it looks. The HTML
carries its styles inline and links to nothing but the work items and the dashboard, as mail clients need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from app.reports.alignment import Verdict, percent_text, score_text
from app.reports.formats import utc_text
from app.reports.links import client_href, developer_href
from app.reports.weekly_model import FlaggedMessage, LateClock, Week, WeeklyReport
from metrics.wording import describe_duration, human_duration

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_VERDICT_WORDS = {"agree": "Agree", "delivery_fine_client_unhappy": "Disagree: the client is less happy than the "
                  "figures", "client_happy_delivery_poor": "Disagree: the figures are worse than the client feels",
                  "not_enough_data": "Not enough to judge"}
_PROMISE_NAMES = {"responsiveness": "Answers", "fix_speed": "Fix speed", "clarity": "Clarity"}


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Line:
    """One line of a list: its words, then links after them."""

    text: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...] = ()
    table: Table | None = None
    empty: str = ""  # said when there is nothing to list


def week_words(week: Week) -> str:
    """Say a week with its days: '2026-W47 (Mon 16 Nov – Sun 22 Nov 2026, Europe/Kyiv)'."""
    sunday = week.monday + timedelta(days=6)
    return f"{week.name} ({week.monday:%a} {week.monday.day} {week.monday:%b} – {sunday:%a} {sunday.day} " \
           f"{sunday:%b %Y}, {week.timezone})"


def _share(figures: dict[str, Any]) -> str:
    if figures["attainment"] is None:
        return "–"
    return f"{percent_text(figures['attainment'])} ({figures['met']} of {figures['met'] + figures['breached']})"


def _figure_rows(report: WeeklyReport) -> tuple[tuple[str, ...], ...]:
    rows = []
    for promise, label in (("responsiveness", "Answers"), ("bug_fix", "Production bugs")):
        p = report.promise(promise)
        kept = "Answers on time" if promise == "responsiveness" else "Production bugs fixed in time"
        rows += [
            (kept, _share(p.this), _share(p.last)),
            (f"{label}: median / p90", *(f"{f['median'] or '–'} / {f['p90'] or '–'}" for f in (p.this, p.last))),
            (f"{label}: counted / late / still open",
             *(f"{f['clocks']} / {f['breached']} / {f['running']}" for f in (p.this, p.last))),
        ]
    plain = [("–" if f.value is None else f"{percent_text(f.value)} of {f.basis}") for f in (report.plain_this,
                                                                                              report.plain_last)]
    rows.append(("Messages passing the plain-language check", *plain))
    return tuple(rows)


def _late_line(c: LateClock) -> Line:
    what = "Answer" if c.kind == "response" else "Production bug fix"
    took = "open for" if c.still_open else "took"
    asked = "asked" if c.kind == "response" else "started"
    outside = ", outside working hours" if c.outside_working_hours else ""
    text = (f"{what} on {c.item_key} “{c.title}” ({c.client}): {took} {human_duration(c.elapsed_seconds)} against "
            f"{describe_duration(c.target_seconds)}; {asked} {c.started_local}{outside}; credited to {c.developer}.")
    return Line(text, _links(("work item", c.item_url), ("evidence", c.evidence_url)))


def _flagged_text(m: FlaggedMessage) -> str:
    """Say why a message was flagged (the scorer's reasons) and the plainer words the word lists suggest."""
    plainer = "; ".join(f"“{t.term}” → “{t.suggestion}”" for t in m.terms if t.suggestion)
    reasons = " ".join(r.rstrip(".") + "." for r in m.reasons)
    return (f"{m.developer} on {m.item_key} “{m.title}”, {utc_text(m.at)}: {reasons or 'Flagged.'}"
            + (f" Plainer words: {plainer}." if plainer else ""))


def _links(*pairs: tuple[str, str | None]) -> tuple[Link, ...]:
    """Keep the links that lead to a web page (a work item's address comes from outside, so it is checked)."""
    return tuple(Link(text, url) for text, url in pairs if url and url.startswith(("https://", "http://")))


def report_lines(report: WeeklyReport) -> tuple[Line, tuple[Section, ...]]:
    """Return the report's opening line and its sections, in the order shown."""
    base = report.dashboard_url
    page = base + (developer_href(report.developer) if report.developer else client_href(str(report.client)))
    intro = Line(f"The week {week_words(report.week)} beside the week before ({report.last_week.name}); made "
                 f"{utc_text(report.generated_at)}.", _links(("Open the dashboard", page)))
    points = tuple(Line(p.text) for p in report.talking_points)
    figures = Table(("", report.week.name, report.last_week.name), _figure_rows(report))
    late = tuple(_late_line(c) for c in report.late)
    flagged = tuple(Line(_flagged_text(m), _links(("message", m.url))) for m in report.flagged)
    ratings = Table(("Period", "About", "Answers", "Fix speed", "Clarity", "Comment"), tuple(
        (r.period, r.about, *("–" if v is None else f"{v}/5" for v in (r.responsiveness, r.fix_speed, r.clarity)),
         r.comment or "") for r in report.ratings))
    alignment = tuple(
        Line(f"{a.name if a.developer else 'The team'} – {_PROMISE_NAMES[p.promise]}: "
             f"{_VERDICT_WORDS[p.verdict.value]}. {p.explanation}"
             + (f" (mean of {p.ratings} rating{'' if p.ratings == 1 else 's'}: {score_text(p.client_score)}/5)"
                if p.client_score is not None else ""))
        # A developer's promise with too little to judge says nothing for the one-on-one; the team's always shows.
        for a in report.alignments for p in a.promises
        if a.developer is None or a.developer == report.developer or p.verdict is not Verdict.NOT_ENOUGH_DATA
    )
    return intro, (
        Section("Talking points", points, empty="Nothing stands out this week."),
        Section("The week in figures", table=figures),
        Section("Late answers and breached fixes", late, empty="None: every answer and fix kept its target."),
        Section("Messages to put more plainly", flagged,
                empty=f"None of the {report.messages_scored} scored messages was flagged."),
        Section("The client's ratings and comments", table=ratings if ratings.rows else None,
                empty="No rating covers this week."),
        Section("Ratings beside the figures", alignment, empty="Nothing to compare this week."),
    )


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_line(line: Line) -> str:
    return _md(line.text) + "".join(f" [{_md(link.text)}](<{link.url.replace('>', '%3E')}>)" for link in line.links)


def markdown(report: WeeklyReport) -> str:
    """Write the report as Markdown (CommonMark with a GitHub-style table)."""
    intro, sections = report_lines(report)
    out = [f"# {_md(report.title)}", "", _md_line(intro), ""]
    for section in sections:
        out += [f"## {_md(section.title)}", ""]
        if section.table is not None:
            out.append("| " + " | ".join(_md(h) for h in section.table.header) + " |")
            out.append("|" + "---|" * len(section.table.header))
            out += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in section.table.rows]
        elif section.lines:
            out += [f"- {_md_line(line)}" for line in section.lines]
        else:
            out.append(_md(section.empty))
        out.append("")
    return "\n".join(out)


def slack_text(report: WeeklyReport) -> str:
    """Write the report short, for a Slack channel: the talking points and where to read the rest."""
    intro, _ = report_lines(report)
    points = [f"• {p.text}" for p in report.talking_points] or ["• Nothing stands out this week."]
    links = " ".join(f"<{link.url}|{link.text}>" for link in intro.links)
    return "\n".join([f"*{report.title}*", "Talking points:", *points, links]) + "\n"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("app.reports", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def html(report: WeeklyReport) -> str:
    """Write the report as one HTML page for e-mail: inline styles, no scripts, no external files."""
    intro, sections = report_lines(report)
    return _environment().get_template("weekly.html").render(title=report.title, intro=intro, sections=sections)
