"""Read stored plain-language scores back: figures summed in SQL per group, and the messages behind them.

A year of a company's messages is hundreds of thousands of scores, so nothing here builds one object per
message: the database sums each group's counts, words and flagged terms (``metrics.plain_language.summarize``
turns the sums into figures, the same rule as for scores in memory), and only the messages a page lists are
read one by one, with their links. A deleted message's score leaves ``message_scores`` when the deletion is
stored (app/store/upserts.py), so no statement here has to look at the activities to leave it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.core.db import bucket_sql, local_week_sql, with_local_weeks
from app.core.tables import ActivityRow, FlaggedTermRow, MessageScore, WorkItemRow
from app.reports.clocks import storable
from app.reports.figure_parts import regroup
from metrics.calendar import Calendar, local_day_start, local_week_starts
from metrics.plain_language import LanguageTotals, PlainLanguageSummary, summarize

TERM_MESSAGES = 10  # messages named per flagged term, newest first
Key = tuple[Any, ...]


class Shown(StrEnum):
    """Which messages a group lists."""

    ALL = "all"
    FAILING = "failing"
    NONE = "none"


@dataclass(frozen=True)
class ScoreFilter:
    """Which stored scores to read: messages written at or after ``since`` and before ``until``."""

    client: str | None = None
    developer: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def terms(self, table: Any = MessageScore) -> list[Any]:
        """The conditions on ``table``: message_scores, or flagged_terms (which carries the same columns)."""
        if not storable(self.client, self.developer):
            return [false()]
        conditions = [
            (self.client, lambda v: table.client == v),
            (self.developer, lambda v: table.developer == v),
            (self.since, lambda v: table.at >= v),
            (self.until, lambda v: table.at < v),
        ]
        return [make(value) for value, make in conditions if value is not None]


@dataclass(frozen=True)
class ListedMessage:
    """A stored score with the link to its message, for a listing."""

    row: MessageScore
    url: str | None
    title: str | None


def _key_columns(session: Session, by: Sequence[str], zone: str, flt: ScoreFilter,
                 table: Any = MessageScore) -> list[Any]:
    """Group-by expressions: client, developer, or the local week (its Monday) in the time zone ``zone``.

    PostgreSQL finds a week with date_trunc in the zone. SQLite knows no time zones, so there the weeks of the
    window are worked out once (metrics.calendar) and each row is put in its week by comparing its UTC time with
    their UTC starts (``bucket_sql``): the same Mondays, with no Python call per row.
    """
    dialect = session.get_bind().dialect.name
    columns: list[Any] = []
    for name in by:
        if name == "week" and dialect == "postgresql":
            columns.append(local_week_sql(table.at, bindparam("week_zone", zone, type_=String), dialect))
        elif name == "week":
            weeks = _weeks_of(session, flt, zone, table)
            if len(weeks) > _MOST_WEEKS_IN_SQL:
                with_local_weeks(session)
                columns.append(local_week_sql(table.at, bindparam("week_zone", zone, type_=String), dialect))
            else:
                columns.append(bucket_sql(table.at, [(monday.isoformat(), start) for monday, start in weeks]))
        else:
            columns.append({"client": table.client, "developer": table.developer}[name])
    return columns


# SQLite's CASE of week starts holds two bound values a week; SQLite takes at most 32,766 in a statement and nests
# only so deep (a window of 100,000 weeks failed, 3,300 weeks were read). Scores further apart than this many weeks
# (a window is closed at the scores it holds) are put in their weeks by a Python call a row instead.
_MOST_WEEKS_IN_SQL = 2_000


def _weeks_of(session: Session, flt: ScoreFilter, zone: str, table: Any) -> list[tuple[date, datetime]]:
    """The local weeks the filter's window meets. A window open at either end, or wider than the CASE holds (one
    since the year 102), is closed at the first and last score it keeps: the same weeks for the scores in it."""
    since, until = flt.since, flt.until
    if since is None or until is None or until - since > timedelta(weeks=_MOST_WEEKS_IN_SQL):
        first, last = session.execute(select(func.min(table.at), func.max(table.at)).where(*flt.terms(table))).one()
        if first is None or last is None:
            return []
        since, until = first, last + timedelta(microseconds=1)
    return local_week_starts(since, until, Calendar(timezone=zone))


def _group_filter(flt: ScoreFilter, by: Sequence[str], key: Key, zone: str) -> tuple[ScoreFilter, dict[str, Any]]:
    """The filter narrowed to one group, and the group's client or developer: a week narrows the window to its
    own UTC range, one range on ``at`` that an index can walk (two ranges on one column would leave the index the
    wider one)."""
    since, until, named = flt.since, flt.until, {}
    for name, value in zip(by, key, strict=True):
        if name == "week":
            calendar = Calendar(timezone=zone)
            start, end = local_day_start(value, calendar), local_day_start(value + timedelta(days=7), calendar)
            since, until = max(since, start) if since else start, min(until, end) if until else end
        else:
            named[name] = value
    return replace(flt, since=since, until=until), named


def _in_group(flt: ScoreFilter, by: Sequence[str], key: Key, zone: str, table: Any) -> list[Any]:
    """The conditions on ``table`` that pick one group's rows of the filter (see ``_group_filter``)."""
    narrowed, named = _group_filter(flt, by, key, zone)
    return [*narrowed.terms(table), *(getattr(table, name) == value for name, value in named.items())]


@lru_cache(maxsize=64)
def _term_walks(count: int, named: tuple[str, ...], bounds: tuple[bool, bool, bool, bool]) -> CompoundSelect:
    """``count`` walks of flagged_terms newest first, each a branch of one UNION ALL: walk i reads up to
    ``per_term`` uses of ``term{i}`` in its window (``since{i}``, ``until{i}``) by its group's ``named`` columns
    (``client{i}``, ``developer{i}``). ``bounds``: whether the filter names a client, a developer, a since, an until.
    Built once per shape: a statement this size costs more to build than to run."""
    table, moment = FlaggedTermRow, FlaggedTermRow.at.type
    client, developer, since, until = bounds
    newest = (table.at.desc(), table.source.desc(), table.external_id.desc())
    branches = []
    for i in range(count):
        terms = [table.term == bindparam(f"term{i}"),
                 *([table.client == bindparam("client")] if client else []),
                 *([table.developer == bindparam("developer")] if developer else []),
                 *([table.at >= bindparam(f"since{i}", type_=moment)] if since else []),
                 *([table.at < bindparam(f"until{i}", type_=moment)] if until else []),
                 *(getattr(table, name) == bindparam(f"{name}{i}") for name in named)]
        walk = (select(table.external_id, table.at, table.source).where(*terms).order_by(*newest)
                .limit(bindparam("per_term")).subquery())
        branches.append(select(literal_column(str(i)), walk.c.external_id, walk.c.at, walk.c.source))
    return union_all(*branches)


def _key(values: Sequence[Any], by: Sequence[str]) -> Key:
    """A group's key as Python values: a week is its Monday as a date on both databases."""
    return tuple(date.fromisoformat(v) if name == "week" and isinstance(v, str) else v
                 for name, v in zip(by, values, strict=True))


def totals(session: Session, flt: ScoreFilter, by: Sequence[str] = (), *,
           zone: str = "UTC", terms: bool = True) -> dict[Key, LanguageTotals]:
    """Sum the stored scores per group (``by``: client, developer, week): two grouped statements, no rows.

    The flagged terms are summed from ``flagged_terms`` (a row per term of a scored message). ``terms=False``
    leaves that second statement out, for a caller that needs only the counts and shares, such as the alignment
    of ratings with delivery.
    """
    keys = _key_columns(session, by, zone, flt)
    supported = MessageScore.supported.is_(True)
    counts = select(
        *keys, func.count(),
        func.coalesce(func.sum(case((supported, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(supported, MessageScore.passes.is_(True)), 1), else_=0)), 0),
        func.coalesce(func.sum(case((supported, MessageScore.words), else_=0)), 0),
        # jargon_share was stored as jargon words / words, so this gives back the whole number of jargon words.
        func.coalesce(func.sum(case((supported, func.round(func.coalesce(MessageScore.jargon_share, 0.0)
                                                            * MessageScore.words)), else_=0)), 0),
    ).where(*flt.terms()).group_by(*keys)
    out: dict[Key, LanguageTotals] = {}
    width = len(keys)
    for row in session.execute(counts):
        out[_key(row[:width], by)] = LanguageTotals(
            messages=int(row[width]), scored=int(row[width + 1]), passed=int(row[width + 2]),
            words=int(row[width + 3]), jargon_words=int(row[width + 4]))
    if not terms:
        return out
    term_keys = _key_columns(session, by, zone, flt, FlaggedTermRow)
    per_term = (
        select(*term_keys, FlaggedTermRow.term, func.sum(FlaggedTermRow.count), func.max(FlaggedTermRow.suggestion))
        .where(*flt.terms(FlaggedTermRow)).group_by(*term_keys, FlaggedTermRow.term)
    )
    for row in session.execute(per_term):
        found = out.get(_key(row[:width], by))
        if found is not None:
            found.add_term(str(row[width]), int(row[width + 1]), row[width + 2])
    return out


def summaries(session: Session, flt: ScoreFilter, by: Sequence[str] = (), *, min_words: int = 150,
              zone: str = "UTC", terms: bool = True) -> dict[Key, PlainLanguageSummary]:
    """The plain-language figures of each group (``by``), from sums in SQL (without top terms if not ``terms``)."""
    return {key: summarize(t, min_words=min_words)
            for key, t in totals(session, flt, by, zone=zone, terms=terms).items()}


def summaries_by_groupings(session: Session, flt: ScoreFilter, groupings: Sequence[Sequence[str]], *,
                           min_words: int = 150, zone: str = "UTC",
                           terms: bool = True) -> list[dict[Key, PlainLanguageSummary]]:
    """summaries() for several groupings of the same scores: the sums are read once, grouped by every key any
    grouping names, and added up for each (they are counts and sums, so the figures are the same)."""
    every = tuple(dict.fromkeys(name for keys in groupings for name in keys))
    found = totals(session, flt, every, zone=zone, terms=terms)
    out = []
    for keys in groupings:
        parts = regroup(found, every, keys)
        if not keys:  # the one group of everything, even when empty, as summaries() gives it
            parts.setdefault((), [])
        out.append({key: summarize(_absorbed(sums), min_words=min_words) for key, sums in parts.items()})
    return out


def _absorbed(parts: Sequence[LanguageTotals]) -> LanguageTotals:
    whole = LanguageTotals()
    for sums in parts:
        whole.absorb(sums)
    return whole


def _listable(show: Shown) -> list[Any]:
    if show is Shown.FAILING:  # not passing: failed, or not scored at all
        return [func.coalesce(MessageScore.passes, False).is_(False)]
    return []


_NEWEST = (MessageScore.at.desc(), MessageScore.source.desc(), MessageScore.external_id.desc())
# Read group by group once the window holds this many times the messages listed: a statement per group costs
# about what ranking 25 messages does (measured on SQLite, 100 developers: a year's 75,000 messages 568 -> 246 ms
# of CPU group by group; 30 days' 6,200 messages 101 ms ranked against 259 ms group by group).
_GROUP_BY_GROUP = 25
# Read term by term once the wanted terms were used this many times the ids named (measured on SQLite with the walks
# read 200 a statement, bench/plain_language.py: 30 days by developer at 4.5 uses per id named, 81 ms walked
# against 232 ms ranked; a year, 71 against 2,069 ms).
_TERM_BY_TERM = 2
# Walks read in one statement, each a branch of one UNION ALL, within SQLite's limit of 500 branches: a statement
# per walk cost more than the walk (a year by developer, 1,000 walks: 850 ms of CPU).
_WALKS_PER_READ = 200
_WALK_SIZES = (10, 50, _WALKS_PER_READ)
_NO_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # the bounds of a padding walk's empty window


def listed_messages(session: Session, flt: ScoreFilter, by: Sequence[str], *, show: Shown, limit: int,
                    zone: str = "UTC", groups: Mapping[Key, int] | None = None) -> dict[Key, list[ListedMessage]]:
    """Up to ``limit`` messages per group (those ``show`` names), newest first, with their links.

    ``groups`` (each group's number of messages, as ``totals`` found them) lets a long window be read group by
    group: when it holds many more messages than the listing shows, each client, developer or week (a range of
    UTC time) is read on its own, newest first, stopping at ``limit`` (an index walk). Otherwise one statement
    ranks every message of the window per group, cheaper while the window is short. Both give the same messages
    in the same order.
    """
    out: dict[Key, list[ListedMessage]] = defaultdict(list)
    if limit <= 0 or show is Shown.NONE:
        return out
    if groups and sum(groups.values()) >= _GROUP_BY_GROUP * len(groups) * limit:
        for key in groups:
            stmt = (_with_links(select(MessageScore, ActivityRow.url, WorkItemRow.title))
                    .where(*_in_group(flt, by, key, zone, MessageScore), *_listable(show))
                    .order_by(*_NEWEST).limit(limit))
            found = [ListedMessage(score, url, title) for score, url, title in session.execute(stmt)]
            if found:
                out[key] = found
        return out
    wanted = [*flt.terms(), *_listable(show)]
    keys = _key_columns(session, by, zone, flt)
    width = len(keys)
    rank = func.row_number().over(partition_by=keys or None, order_by=_NEWEST).label("rank")
    ranked = select(*(k.label(f"k{i}") for i, k in enumerate(keys)), MessageScore.source, MessageScore.external_id,
                    rank).where(*wanted).subquery()
    chosen = (
        _with_links(select(MessageScore, ActivityRow.url, WorkItemRow.title,
                           *(ranked.c[f"k{i}"] for i in range(width)))
                    .join(ranked, and_(ranked.c.source == MessageScore.source,
                                       ranked.c.external_id == MessageScore.external_id)))
        .where(ranked.c.rank <= limit)
        .order_by(*_NEWEST)
    )
    for score, url, title, *values in session.execute(chosen):
        out[_key(values, by)].append(ListedMessage(score, url, title))
    return out


def _with_links(stmt: Select[Any]) -> Select[Any]:
    """Join each score to its message's activity (for the link) and work item (for the title)."""
    return (stmt.outerjoin(ActivityRow, and_(ActivityRow.source == MessageScore.source,
                                             ActivityRow.external_id == MessageScore.external_id))
            .outerjoin(WorkItemRow, and_(WorkItemRow.source == MessageScore.source,
                                         WorkItemRow.key == MessageScore.item_key)))


def term_messages(session: Session, flt: ScoreFilter, by: Sequence[str], wanted: dict[Key, Sequence[str]], *,
                  zone: str = "UTC", per_term: int = TERM_MESSAGES, uses: Mapping[tuple[Key, str], int] | None = None,
                  ) -> dict[tuple[Key, str], list[str]]:
    """The ids of the newest messages (up to ``per_term``) that use each wanted term of each group.

    ``uses`` (how often each group used each wanted term, as ``totals`` found) lets a long window on SQLite be
    read term by term: when the wanted terms were used many more times than are named, each group's term (a
    week as a range of UTC time) is walked on its own, newest first, stopping at ``per_term`` (an index walk on
    flagged_terms; up to 200 walks in one statement). Otherwise, and always on PostgreSQL (which ranks in the
    server, in one round trip), one statement ranks every flagged use of the wanted terms per group and term.
    Both give the same ids in order.
    """
    if not any(wanted.values()):
        return {}
    term = FlaggedTermRow.term
    newest = (FlaggedTermRow.at.desc(), FlaggedTermRow.source.desc(), FlaggedTermRow.external_id.desc())
    out: dict[tuple[Key, str], list[str]] = defaultdict(list)
    pairs = [(key, t) for key, terms in wanted.items() for t in terms]
    sqlite = session.get_bind().dialect.name == "sqlite"  # measured there; PostgreSQL ranks in the server
    if sqlite and uses and sum(uses.values()) >= _TERM_BY_TERM * len(pairs) * per_term:
        return _walked_term_messages(session, flt, by, pairs, zone=zone, per_term=per_term)
    keys = _key_columns(session, by, zone, flt, FlaggedTermRow)
    every = sorted({t for terms in wanted.values() for t in terms})
    rank = func.row_number().over(partition_by=[*keys, term], order_by=newest).label("rank")
    ranked = (
        select(*(k.label(f"k{i}") for i, k in enumerate(keys)), term.label("term"), FlaggedTermRow.external_id,
               FlaggedTermRow.at, FlaggedTermRow.source, rank)
        .where(*flt.terms(FlaggedTermRow), term.in_(every))
        .subquery()
    )
    width = len(keys)
    stmt = (select(*(ranked.c[f"k{i}"] for i in range(width)), ranked.c.term, ranked.c.external_id)
            .where(ranked.c.rank <= per_term)
            .order_by(ranked.c.at.desc(), ranked.c.source.desc(), ranked.c.external_id.desc()))
    for *values, found_term, external_id in session.execute(stmt):
        key = _key(values, by)
        if found_term in wanted.get(key, ()):
            out[(key, found_term)].append(external_id)
    return out


def _walked_term_messages(session: Session, flt: ScoreFilter, by: Sequence[str], pairs: Sequence[tuple[Key, str]],
                          *, zone: str, per_term: int) -> dict[tuple[Key, str], list[str]]:
    """term_messages() walk by walk: each (group, term) read newest first through an index, up to 200 walks a
    statement (``_term_walks``)."""
    out: dict[tuple[Key, str], list[str]] = {}
    if not storable(flt.client, flt.developer):
        return out
    named = tuple(name for name in by if name != "week")
    weekly = "week" in by  # a week's walk is bounded at both ends by the week itself
    shape = (flt.client is not None, flt.developer is not None, weekly or flt.since is not None,
             weekly or flt.until is not None)
    for start in range(0, len(pairs), _WALKS_PER_READ):
        chunk = pairs[start:start + _WALKS_PER_READ]
        params: dict[str, Any] = {"per_term": per_term, "client": flt.client, "developer": flt.developer}
        for i, (key, wanted_term) in enumerate(chunk):
            narrowed, values = _group_filter(flt, by, key, zone)
            params |= {f"term{i}": wanted_term, f"since{i}": narrowed.since, f"until{i}": narrowed.until,
                       **{f"{name}{i}": value for name, value in values.items()}}
        # The statement is built once per size: a chunk is padded to the next size with walks that find nothing
        # (an empty term over an empty window), so a page does not build a new one for its count.
        size = next(n for n in _WALK_SIZES if n >= len(chunk))
        moment = flt.since or flt.until or _NO_TIME
        for i in range(len(chunk), size):
            params |= {f"term{i}": "", f"since{i}": moment, f"until{i}": moment, **{f"{name}{i}": "" for name in named}}
        read: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for i, external_id, at, source in session.execute(_term_walks(size, named, shape), params):
            read[int(i)].append((at, source, external_id))
        for i, found in read.items():  # a walk's rows, whatever order the union gave them in
            out[chunk[i]] = [external_id for _, _, external_id in sorted(found, reverse=True)]
    return out


def plain_language_figures(session: Session, flt: ScoreFilter, *, min_words: int = 150) -> dict[str, Any]:
    """Summarize stored scores for a scorecard: counts, shares (None when too few words), top flagged terms."""
    summary = summaries(session, flt, min_words=min_words).get((), summarize(LanguageTotals(), min_words=min_words))
    return {
        "messages": summary.messages, "scored_messages": summary.scored_messages,
        "skipped_messages": summary.skipped_messages, "words": summary.words,
        "passed_messages": summary.passed_messages,
        "pass_share": None if summary.pass_share is None else round(summary.pass_share, 4),
        "mean_jargon_share": None if summary.mean_jargon_share is None else round(summary.mean_jargon_share, 4),
        "enough_data": summary.enough_data, "note": summary.note,
        "top_flagged": [{"term": t.term, "count": t.count, "suggestion": t.suggestion} for t in summary.top_flagged],
    }
