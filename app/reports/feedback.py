"""Client feedback: each client's own 1-5 rating of a period, checked, stored once per period, read from CSV.

Periods are whole UTC days: an ISO week (2026-W07), a month (2026-02) or start and end dates, the end
included. A rating sent again for the same client, developer and period replaces the earlier one: the
newest word of the client is their rating. Each rating says where it came from (csv, api, survey, or
promises_page when only answers to the link on the client's promises page make it); one typed in by hand replaces
survey answers for its period, and an import says so.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.tables import Feedback
from app.reports.clocks import storable
from app.store.upserts import dialect_insert
from metrics.wording import week_name

PROMISES = ("responsiveness", "fix_speed", "clarity")
FIELDS = ("client", "developer", "period", "start", "end", *PROMISES, "comment")
MAX_COMMENT = 5000
MAX_PERIOD_DAYS = 366
PROMISES_PAGE = "promises_page"  # a survey answered from the link on the client's own promises page
# Ratings made from survey answers: later answers replace them; a rating typed in (csv, api) is never replaced.
SURVEY_ORIGINS = ("survey", PROMISES_PAGE)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PERIOD_HINT = "write an ISO week like 2026-W07, a month like 2026-02, or give start and end dates"
_SCORE_HINT = "must be a whole number from 1 (poor) to 5 (excellent)"


class FeedbackInvalid(ValueError):
    """A rating that cannot be stored; ``errors`` names each wrong field and what is wrong with it."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['problem']}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class FeedbackEntry:
    """One checked rating, ready to store."""

    client: str
    developer: str  # "" rates the whole team
    period_start: datetime
    period_end: datetime  # exclusive: midnight UTC after the last day rated
    responsiveness: int | None
    fix_speed: int | None
    clarity: int | None
    comment: str | None


def read_feedback(fields: Mapping[str, Any], contracts: Contracts, now: datetime) -> FeedbackEntry:
    """Check one rating as given (an API body or a CSV row); raise FeedbackInvalid naming every wrong field."""
    errors: list[dict[str, str]] = []

    def fail(field: str, problem: str) -> None:
        errors.append({"field": field, "problem": problem})

    client = _text(fields.get("client"))
    if not client:
        fail("client", "is required: the client's name as written in the contracts file")
    elif client not in contracts.clients:
        fail("client", f"{client!r} is not a client in the contracts file; known clients: "
                       f"{', '.join(sorted(contracts.clients)) or 'none'}")
    developer = _text(fields.get("developer"))
    if developer:
        person = contracts.people.get(developer)
        if person is None:
            fail("developer", f"{developer!r} is not a person id in the contracts file; leave it empty to rate "
                              "the whole team")
        elif client in contracts.clients and person.role_at(client) != "developer":
            fail("developer", f"{developer!r} is a {person.role_at(client)} for {client}, not a developer")
        elif client not in contracts.clients and not contracts.is_developer(developer):
            fail("developer", f"{developer!r} is not a developer for any client")
    period = _period(fields, now, fail)
    scores = {name: _score(fields.get(name), name, fail) for name in PROMISES}
    if all(value is None for value in scores.values()) and not any(e["field"] in PROMISES for e in errors):
        fail("scores", "give at least one score: responsiveness, fix_speed or clarity, each from 1 to 5")
    comment = _text(fields.get("comment")) or None
    if comment is not None and len(comment) > MAX_COMMENT:
        fail("comment", f"is {len(comment)} characters long; keep it to {MAX_COMMENT}")
    if errors or period is None:
        raise FeedbackInvalid(errors)
    return FeedbackEntry(client, developer, period[0], period[1], scores["responsiveness"], scores["fix_speed"],
                         scores["clarity"], comment)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _score(value: Any, field: str, fail: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        fail(field, f"{_SCORE_HINT}, not {value!r}")
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not re.fullmatch(r"[1-5]", text):
        fail(field, f"{_SCORE_HINT}, not {text!r}")
        return None
    return int(text)


def _period(fields: Mapping[str, Any], now: datetime, fail: Any) -> tuple[datetime, datetime] | None:
    """Read the period as an ISO week, a month, or start and end dates."""
    named, start_text, end_text = (_text(fields.get(k)) for k in ("period", "start", "end"))
    if named and (start_text or end_text):
        fail("period", "give either period or start and end, not both")
        return None
    if named:
        days = parse_period(named)
        if days is None:
            fail("period", f"{named!r} is not a period; {_PERIOD_HINT}")
            return None
        first, last = days
    else:
        if not start_text and not end_text:
            fail("period", f"is required: {_PERIOD_HINT}")
            return None
        first, last = _day(start_text, "start", fail), _day(end_text, "end", fail)
        if first is None or last is None:
            return None
        if last < first:
            fail("end", f"{last} is before start {first}; the period must end on or after the day it starts")
            return None
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        fail("period", f"covers {(last - first).days + 1} days; a rating covers at most a year")
        return None
    start = datetime.combine(first, time(), UTC)
    if start > now:
        fail("period", f"starts in the future ({first}); a client can only rate time that has begun")
        return None
    return start, datetime.combine(last + timedelta(days=1), time(), UTC)


def _day(text: str, field: str, fail: Any) -> date | None:
    if not text:
        fail(field, "is required with a start and end period: a date like 2026-02-01")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(field, f"{text!r} is not a date; write it like 2026-02-01")
        return None


def parse_period(text: str) -> tuple[date, date] | None:
    """Return the first and last day of an ISO week (2026-W07) or a month (2026-02), or None."""
    text = text.strip().upper()
    try:
        if match := _WEEK.match(text):
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return monday, monday + timedelta(days=6)
        if match := _MONTH.match(text):
            first = date(int(match[1]), int(match[2]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - timedelta(days=1)
    except ValueError:
        return None
    return None


def describe_period(start: datetime, end: datetime) -> str:
    """Name a stored period as it was most likely given: 2026-W07, 2026-02 or 2026-02-01..2026-02-20."""
    first, last = start.astimezone(UTC).date(), (end.astimezone(UTC) - timedelta(days=1)).date()
    if first.weekday() == 0 and (last - first).days == 6:
        return week_name(first)
    if first.day == 1 and parse_period(f"{first.year}-{first.month:02d}") == (first, last):
        return f"{first.year}-{first.month:02d}"
    return f"{first.isoformat()}..{last.isoformat()}"


def save_feedback(session: Session, entry: FeedbackEntry, now: datetime, *, origin: str = "api"
                  ) -> tuple[Feedback, bool]:
    """Store a rating, replacing one for the same client, developer and period; return (row, created)."""
    key = {"client": entry.client, "developer": entry.developer, "period_start": entry.period_start,
           "period_end": entry.period_end}
    existing = session.scalar(select(Feedback.id).where(*(getattr(Feedback, k) == v for k, v in key.items())))
    values = {**key, "responsiveness": entry.responsiveness, "fix_speed": entry.fix_speed,
              "clarity": entry.clarity, "comment": entry.comment, "origin": origin, "created_at": now,
              "updated_at": now}
    stmt = dialect_insert(session, Feedback.__table__).values(**values)
    replaced = {k: stmt.excluded[k]
                for k in ("responsiveness", "fix_speed", "clarity", "comment", "origin", "updated_at")}
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=replaced))
    row = session.scalars(
        select(Feedback).where(*(getattr(Feedback, k) == v for k, v in key.items()))
        .execution_options(populate_existing=True)
    ).one()
    return row, existing is None


@dataclass(frozen=True)
class FeedbackFilter:
    """Ratings of a client or developer whose period overlaps [since, until)."""

    client: str | None = None
    developer: str | None = None  # "" selects the whole-team ratings
    since: datetime | None = None
    until: datetime | None = None


def list_feedback(session: Session, flt: FeedbackFilter) -> list[Feedback]:
    """Return the ratings matching a filter, newest period first."""
    if not storable(flt.client, flt.developer):
        return []
    stmt = select(Feedback)
    if flt.client is not None:
        stmt = stmt.where(Feedback.client == flt.client)
    if flt.developer is not None:
        stmt = stmt.where(Feedback.developer == flt.developer)
    if flt.since is not None:
        stmt = stmt.where(Feedback.period_end > flt.since)
    if flt.until is not None:
        stmt = stmt.where(Feedback.period_start < flt.until)
    order = (Feedback.period_start.desc(), Feedback.client, Feedback.developer, Feedback.id)
    return list(session.scalars(stmt.order_by(*order)))


class FeedbackFileError(ValueError):
    """A CSV file that cannot be read at all (no header, unknown columns); nothing is imported."""


@dataclass
class ImportReport:
    """What a CSV import did: rows stored, rows refused by line number, and whether anything was saved."""

    created: int = 0
    updated: int = 0
    refused: list[tuple[int, list[dict[str, str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    saved: bool = True


def import_feedback_csv(
    session: Session, contracts: Contracts, text: str, now: datetime, *, all_or_nothing: bool = False
) -> ImportReport:
    """Import ratings from CSV text: store the good rows and report each bad one by its line number.

    With ``all_or_nothing`` a single bad row stores nothing. Flushes; the caller commits.
    """
    report = ImportReport()
    entries: dict[tuple[str, str, datetime, datetime], tuple[int, FeedbackEntry]] = {}
    for line, row in _csv_rows(text):
        if row is None:
            report.refused.append((line, [{"field": "row", "problem": "has more cells than the header has columns "
                                                                     "(a comma inside a comment needs quotes)"}]))
            continue
        try:
            entry = read_feedback(row, contracts, now)
        except FeedbackInvalid as exc:
            report.refused.append((line, exc.errors))
            continue
        key = (entry.client, entry.developer, entry.period_start, entry.period_end)
        if key in entries:
            report.notes.append(f"line {line} rates the same client, developer and period as line "
                                f"{entries[key][0]}; line {line} is kept")
        entries[key] = (line, entry)
    if all_or_nothing and report.refused:
        report.saved = False
        return report
    for line, entry in sorted(entries.values(), key=lambda pair: pair[0]):
        if _from_survey(session, entry):
            report.notes.append(f"line {line} replaces the survey answers of {entry.client} for "
                                f"{describe_period(entry.period_start, entry.period_end)}; the answers stay with "
                                "their survey requests")
        _, created = save_feedback(session, entry, now, origin="csv")
        report.created += created
        report.updated += not created
    session.flush()
    return report


def _from_survey(session: Session, entry: FeedbackEntry) -> bool:
    origin = session.scalar(select(Feedback.origin).where(
        Feedback.client == entry.client, Feedback.developer == entry.developer,
        Feedback.period_start == entry.period_start, Feedback.period_end == entry.period_end))
    return origin in SURVEY_ORIGINS


def _csv_rows(text: str) -> list[tuple[int, dict[str, str] | None]]:
    """Read CSV rows as dicts keyed by our field names, each with the line it starts on (None: too many cells)."""
    text = text.removeprefix("\ufeff")  # Excel writes a byte-order mark
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # spreadsheets in many locales save with semicolons
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FeedbackFileError(f"line 1 cannot be read as CSV ({exc}); fix it and import again") from None
    if not header or not any(cell.strip() for cell in header):
        raise FeedbackFileError(f"the file is empty; its first line must name the columns: {', '.join(FIELDS)}")
    columns = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    unknown = [header[i] for i, name in enumerate(columns) if name and name not in FIELDS]
    if unknown:
        raise FeedbackFileError(f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are: "
                                f"{', '.join(FIELDS)}")
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise FeedbackFileError(f"column(s) {', '.join(repeated)} appear twice in the first line; keep one of each")
    if "client" not in columns:
        raise FeedbackFileError("the first line must name the columns, and one of them must be client")
    rows: list[tuple[int, dict[str, str] | None]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns):]):
                rows.append((line, None))
            elif any(cell.strip() for cell in cells):
                rows.append((line, {name: cell for name, cell in zip(columns, cells, strict=False) if name}))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FeedbackFileError(f"line {line} cannot be read as CSV ({exc}); fix it and import again") from None
    return rows


# Demo ratings over the last four whole ISO weeks, set against the demo history so the alignment view has
# something to show: globex finds answers slow while its clocks say they are on time, and acme finds
# messages hard to follow although they pass the plain-language check.
_DEMO = (
    ("acme", "", {"responsiveness": (3, 3, 2, 3), "fix_speed": (4, 4, 5, 4), "clarity": (2, 3, 2, 2)},
     "We often have to ask twice what a change means for our customers."),
    ("acme", "olena", {"responsiveness": (4, 4, 5, 4), "clarity": (5, 5, 4, 5)}, "Olena explains things well."),
    ("globex", "", {"responsiveness": (2, 3, 2, 2), "fix_speed": (4, 4, 3, 4), "clarity": (4, 4, 4, 5)},
     "Answers feel slow when our customers are waiting."),
)


def load_demo_feedback(factory: sessionmaker[Session], contracts: Contracts, now: datetime) -> int:
    """Write a few realistic ratings for the demo clients (again and again: the same rows); return how many."""
    this_monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    written = 0
    with factory() as session, session.begin():
        for client, developer, scores, comment in _DEMO:
            if client not in contracts.clients or (developer and developer not in contracts.people):
                continue
            for back in range(4):
                monday = this_monday - timedelta(weeks=4 - back)
                fields = {"client": client, "developer": developer, "period": week_name(monday),
                          "comment": comment, **{name: values[back] for name, values in scores.items()}}
                save_feedback(session, read_feedback(fields, contracts, now), now, origin="csv")
                written += 1
    return written
