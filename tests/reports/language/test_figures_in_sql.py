"""Plain-language figures summed in SQL equal aggregate() over the same scores, on SQLite and PostgreSQL.

The store drops a deleted message's score as the deletion arrives, so figures read message_scores alone.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import make_sessionmaker
from app.core.tables import MessageScore
from app.reports.language_figures import (
    ScoreFilter,
    Shown,
    listed_messages,
    summaries,
    summaries_by_groupings,
    term_messages,
)
from app.reports.plain_language import write_flagged_terms
from metrics.calendar import Calendar, local_week_monday
from metrics.plain_language import FlaggedTerm, aggregate
from metrics.plain_language import MessageScore as Score
from tests.conftest import own_database

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
TERMS = [("deploy", "put live"), ("idempotent", "safe to repeat"), ("k8s", None), ("refactor", "tidy up"),
         ("ORM", None), ("latency", "delay"), ("SLA", None), ("rollback", "undo"), ("cache", None),
         ("schema", "layout"), ("endpoint", None), ("webhook", "automatic message")]


def _random_scores(seed: int, count: int) -> list[MessageScore]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        supported = rng.random() < 0.85
        words = rng.randint(1, 120) if supported else 0
        jargon = rng.randint(0, words // 4) if supported else 0
        flagged = [{"term": t, "count": rng.randint(1, 3), "suggestion": s}
                   for t, s in rng.sample(TERMS, rng.choice([0, 0, 1, 2, 3]))] if supported else []
        at = NOW - timedelta(seconds=rng.randint(0, 40 * 86400))
        if rng.random() < 0.1:
            at = rows[-1].at if rows else at  # ties in time, broken by source and id
        rows.append(MessageScore(
            source=rng.choice(["github", "jira"]), external_id=f"comment:{n}", item_key=f"acme/shop#{n % 17}",
            client=rng.choice(["acme", "acme", "globex"]), developer=rng.choice(["olena", "marco", "ivan"]), at=at,
            language="en" if supported else "uk", supported=supported, words=words,
            jargon_share=jargon / words if supported and words else None, unexplained_acronyms=0,
            avg_words_per_sentence=12.0 if supported else None, readability_grade=7.0 if supported else None,
            passes=(rng.random() < 0.7) if supported else None, flagged=flagged, reasons=[], scorer_version="1"))
    return rows


def _metric(row: MessageScore) -> Score:
    if not row.supported:
        return Score(language=row.language or "und", supported=False)
    return Score(language="en", supported=True, words=row.words,
                 jargon_words=round((row.jargon_share or 0.0) * row.words), jargon_share=row.jargon_share or 0.0,
                 flagged=tuple(FlaggedTerm(f["term"], f["count"], f["suggestion"]) for f in row.flagged),
                 passes=bool(row.passes))


@dataclasses.dataclass(frozen=True)
class Seeded:
    factory: sessionmaker[Session]
    scores: list[MessageScore]


@pytest.fixture(scope="module", params=[(kind, seed) for kind in ("sqlite", "postgresql") for seed in (1, 2)],
                ids=lambda p: f"{p[0]}-{p[1]}")
def seeded(request, tmp_path_factory) -> Iterator[Seeded]:
    """Each database seeded once with one seed's scores; the tests only read them."""
    kind, seed = request.param
    db_url = "postgresql" if kind == "postgresql" else f"sqlite:///{tmp_path_factory.mktemp('scores') / 'pulse.db'}"
    with own_database(db_url, tmp_path_factory) as engine:
        factory = make_sessionmaker(engine)
        rows = _random_scores(seed, 600)
        with factory() as session, session.begin():
            session.add_all(rows)
            session.flush()
            write_flagged_terms(session, rows)  # as the scorer writes them beside each score
            session.expunge_all()
        yield Seeded(factory, sorted(rows, key=lambda r: (r.at, r.source, r.external_id)))


@pytest.fixture
def factory(seeded) -> sessionmaker[Session]:
    return seeded.factory


@pytest.fixture
def scores(seeded) -> list[MessageScore]:
    return seeded.scores


ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles"]


def _key(row: MessageScore, by: tuple[str, ...], zone: str) -> tuple:
    parts = {"client": row.client, "developer": row.developer,
             "week": local_week_monday(row.at, Calendar(timezone=zone))}
    return tuple(parts[name] for name in by)


FILTERS = [ScoreFilter(), ScoreFilter(client="acme"), ScoreFilter(developer="olena", since=NOW - timedelta(days=7)),
           ScoreFilter(since=NOW - timedelta(days=30), until=NOW - timedelta(days=2)), ScoreFilter(client="nobody")]


def _kept(rows: list[MessageScore], flt: ScoreFilter) -> list[MessageScore]:
    return [r for r in rows if (flt.client is None or r.client == flt.client)
            and (flt.developer is None or r.developer == flt.developer)
            and (flt.since is None or r.at >= flt.since) and (flt.until is None or r.at < flt.until)]


@pytest.mark.parametrize("by", [(), ("client",), ("developer",), ("client", "developer"), ("week",)])
def test_summaries_equal_aggregate_per_group(factory, scores, by):
    with factory() as session:
        for flt in FILTERS:
            for zone in ZONES if "week" in by else ["UTC"]:
                groups: dict[tuple, list[Score]] = defaultdict(list)
                for row in _kept(scores, flt):
                    groups[_key(row, by, zone)].append(_metric(row))
                found = summaries(session, flt, by, min_words=200, zone=zone)
                if by == ():  # one group, even when empty
                    groups.setdefault((), [])
                assert found == {key: aggregate(members, min_words=200) for key, members in groups.items()}
                # Without the flagged terms (for alignment): the same figures, no top terms.
                counted = summaries(session, flt, by, min_words=200, zone=zone, terms=False)
                assert counted == {key: dataclasses.replace(summary, top_flagged=())
                                   for key, summary in found.items()}


@pytest.mark.parametrize("show", list(Shown))
@pytest.mark.parametrize(("by", "zone"), [("developer", "UTC"), ("client", "UTC"), ("week", "UTC"),
                                          ("week", "America/Los_Angeles")])
@pytest.mark.parametrize("per_group", [False, True], ids=["one-statement", "group-by-group"])
def test_listed_messages_are_the_newest_of_each_group(factory, scores, show, by, zone, per_group):
    with factory() as session:
        for flt in FILTERS:
            # Told each group holds far more messages than listed, so the group-by-group read is taken (a week
            # read as its own range of UTC time, across a daylight-saving change in Los Angeles).
            groups = {key: 10**6 for key in summaries(session, flt, (by,), zone=zone)} if per_group else None
            for limit in (0, 1, 5, 1000):
                found = listed_messages(session, flt, (by,), show=show, limit=limit, zone=zone, groups=groups)
                expected: dict[tuple, list[str]] = defaultdict(list)
                for row in reversed(_kept(scores, flt)):
                    wanted = show is Shown.ALL or (show is Shown.FAILING and not row.passes)
                    if wanted and len(expected[_key(row, (by,), zone)]) < limit:
                        expected[_key(row, (by,), zone)].append(row.external_id)
                assert {k: [m.row.external_id for m in v] for k, v in found.items()} == {
                    k: v for k, v in expected.items() if v}


BY_FOR_TERMS = {"one statement, weeks": (("client", "week"), False), "one statement": (("developer",), False),
                "term by term, weeks": (("week",), True), "term by term, clients' weeks": (("client", "week"), True),
                "term by term, developers": (("developer",), True), "term by term, clients": (("client",), True),
                "term by term, the company": ((), True)}


@pytest.mark.parametrize(("by", "term_by_term"), BY_FOR_TERMS.values(), ids=BY_FOR_TERMS.keys())
def test_each_top_term_names_its_newest_messages(factory, scores, by, term_by_term):
    with factory() as session:
        for flt in FILTERS:
            figures = summaries(session, flt, by, zone="Asia/Tokyo")
            wanted = {key: [t.term for t in f.top_flagged] for key, f in figures.items()}
            # Told each term was used far more often than named, so the term-by-term read is taken.
            uses = {(key, t): 10**6 for key, terms in wanted.items() for t in terms} if term_by_term else None
            found = term_messages(session, flt, by, wanted, zone="Asia/Tokyo", per_term=3, uses=uses)
            expected: dict[tuple, list[str]] = defaultdict(list)
            for row in reversed(_kept(scores, flt)):
                key = _key(row, by, "Asia/Tokyo")
                for flag in row.flagged if row.supported else ():
                    if flag["term"] in wanted.get(key, ()) and len(expected[(key, flag["term"])]) < 3:
                        expected[(key, flag["term"])].append(row.external_id)
            assert dict(found) == dict(expected)


@pytest.mark.parametrize("terms", [True, False], ids=["with-terms", "counts-only"])
def test_several_groupings_read_once_equal_each_read_alone(factory, scores, terms):
    groupings = [(), ("client",), ("client", "developer"), ("week",), ("developer", "week")]
    with factory() as session:
        for flt in FILTERS:
            together = summaries_by_groupings(session, flt, groupings, min_words=200, zone="America/Los_Angeles",
                                              terms=terms)
            assert together == [summaries(session, flt, by, min_words=200, zone="America/Los_Angeles", terms=terms)
                                for by in groupings]


@pytest.mark.parametrize("by", [("week",), ("client", "week")])
def test_a_window_of_centuries_holds_the_weeks_of_its_scores(factory, scores, by):
    """A window opened in the year 102 (as a caller may send) is read as the weeks its scores fall in."""
    far = ScoreFilter(since=datetime(102, 12, 30, tzinfo=UTC), until=datetime(9000, 1, 1, tzinfo=UTC))
    zone = "America/Los_Angeles"
    with factory() as session:
        assert summaries(session, far, by, min_words=200, zone=zone) == summaries(
            session, ScoreFilter(), by, min_words=200, zone=zone)
        assert listed_messages(session, far, by, show=Shown.ALL, limit=3, zone=zone) == listed_messages(
            session, ScoreFilter(), by, show=Shown.ALL, limit=3, zone=zone)


def test_scores_decades_apart_are_put_in_their_weeks(engine):
    """Scores 70 years apart span more weeks than SQLite's CASE of week starts can hold: each still lands in its
    own local week, on both databases."""
    rows = _random_scores(3, 40)
    for n, row in enumerate(rows[:10]):
        row.at = datetime(1956, 1, 2, tzinfo=UTC) + timedelta(days=9 * n, hours=n)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        session.add_all(rows)
        session.flush()
        write_flagged_terms(session, rows)
        session.expunge_all()
    zone = "Asia/Tokyo"
    groups: dict[tuple, list[Score]] = defaultdict(list)
    for row in rows:
        groups[_key(row, ("week",), zone)].append(_metric(row))
    with factory() as session:
        found = summaries(session, ScoreFilter(), ("week",), min_words=200, zone=zone)
    assert len(found) == len(groups) > 10
    assert found == {key: aggregate(members, min_words=200) for key, members in groups.items()}
