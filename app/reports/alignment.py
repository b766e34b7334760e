"""Alignment: each promise's delivery figure beside the client's own score for it, and a verdict.

Trouble grows where the two sides see a promise differently, so a disagreement is the early warning:
the clocks say answers are on time while the client rates responsiveness 2/5, or the other way round.
``judge`` is pure; ``alignment_report`` gathers the figures from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from statistics import fmean

from sqlalchemy.orm import Session

from app.contracts import AlignmentSpec, Client, Contracts
from app.core.tables import Feedback
from app.reports.clocks import ClockFilter, person_name
from app.reports.feedback import PROMISES, FeedbackFilter, list_feedback
from app.reports.figures import NO_CLOCKS, GroupFigures, GroupKey, attainment_by_groupings
from app.reports.language_figures import ScoreFilter, summaries_by_groupings
from metrics.model import ClockKind
from metrics.plain_language import LanguageTotals, PlainLanguageSummary, summarize
from metrics.stats import GroupStats

# Decided clocks (met or breached) needed before attainment says anything. Answers are many, so one late
# answer among three would swing the figure; a production bug is rare and each one matters.
MIN_DECIDED = {"responsiveness": 5, "fix_speed": 1}
MIN_WORDS = 150


class Verdict(StrEnum):
    AGREE = "agree"
    DELIVERY_FINE_CLIENT_UNHAPPY = "delivery_fine_client_unhappy"
    CLIENT_HAPPY_DELIVERY_POOR = "client_happy_delivery_poor"
    NOT_ENOUGH_DATA = "not_enough_data"


DISAGREEMENTS = frozenset({Verdict.DELIVERY_FINE_CLIENT_UNHAPPY, Verdict.CLIENT_HAPPY_DELIVERY_POOR})


@dataclass(frozen=True)
class DeliveryFigure:
    """One promise seen from delivery: a share from 0 to 1, what it rests on, and why it is missing."""

    measure: str  # response_attainment | bug_fix_attainment | plain_pass_share
    value: float | None
    basis: int  # decided clocks, or scored messages
    note: str | None = None


@dataclass(frozen=True)
class PromiseAlignment:
    promise: str  # responsiveness | fix_speed | clarity
    delivery: DeliveryFigure
    client_score: float | None  # mean of the client's ratings, 1-5
    ratings: int
    verdict: Verdict
    explanation: str


@dataclass(frozen=True)
class Alignment:
    """The three promises for one client, or for one developer within a client."""

    client: str
    developer: str | None
    name: str
    promises: tuple[PromiseAlignment, ...]

    @property
    def disagreements(self) -> list[str]:
        return [p.explanation for p in self.promises if p.verdict in DISAGREEMENTS]


@dataclass(frozen=True)
class ClientAlignment:
    client: str
    thresholds: AlignmentSpec
    team: Alignment
    developers: tuple[Alignment, ...]


# promise -> (what delivery says when fine, what it says when poor, the client's word for the promise)
_WORDS = {
    "responsiveness": ("answers are on time", "of answers were on time", "responsiveness"),
    "fix_speed": ("production bugs are fixed in time", "of production bugs were fixed in time", "fix speed"),
    "clarity": ("messages are written plainly", "of messages pass the plain-language check", "clarity"),
}


def judge(
    promise: str, delivery: DeliveryFigure, score: float | None, ratings: int, spec: AlignmentSpec, *,
    client: str, developer_name: str | None = None,
) -> PromiseAlignment:
    """Compare a delivery figure with the client's mean score for the same promise, in the contract's terms."""
    fine_words, poor_words, label = _WORDS[promise]
    whose = f"{developer_name}'s " if developer_name else ""
    for_whom = f" for {developer_name}" if developer_name else ""
    if delivery.value is None or score is None:
        missing = [delivery.note or f"No delivery figure for {label} in this period."] if delivery.value is None else []
        if score is None:
            missing.append(f"No rating of {whose}{label} from {client} in this period.")
        return PromiseAlignment(promise, delivery, score, ratings, Verdict.NOT_ENOUGH_DATA, " ".join(missing))
    good, poor = (spec.plain_pass_share, spec.plain_pass_share) if promise == "clarity" else (
        spec.good_attainment, spec.poor_attainment)
    share, rated = percent_text(delivery.value), f"{score_text(score)}/5"
    if delivery.value >= good and score <= spec.unhappy_score:
        verdict = Verdict.DELIVERY_FINE_CLIENT_UNHAPPY
        text = f"Delivery figures{for_whom} say {fine_words} ({share}), but {client} rates {whose}{label} {rated}."
    elif delivery.value < poor and score >= spec.happy_score:
        verdict = Verdict.CLIENT_HAPPY_DELIVERY_POOR
        text = (f"{client} rates {whose}{label} {rated}, but delivery figures{for_whom} say only {share} "
                f"{poor_words}.")
    else:
        verdict = Verdict.AGREE
        text = f"No disagreement{for_whom}: {share} {poor_words}, and {client} rates {whose}{label} {rated}."
    return PromiseAlignment(promise, delivery, score, ratings, verdict, text)


def percent_text(value: float) -> str:
    """Say a share as a whole percentage: 0.953 -> '95 %'."""
    return f"{value * 100:.0f} %"


def score_text(score: float) -> str:
    """Say a mean rating to one decimal, without a trailing .0: 4.0 -> '4', 4.33 -> '4.3'."""
    return f"{score:.1f}".removesuffix(".0")


def clock_figure(promise: str, stats: GroupStats) -> DeliveryFigure:
    """Return the attainment of a promise's clocks (their statistics), or none when too few are decided."""
    decided = stats.met + stats.breached
    measure = "response_attainment" if promise == "responsiveness" else "bug_fix_attainment"
    needed = MIN_DECIDED[promise]
    if decided >= needed and stats.attainment is not None:
        return DeliveryFigure(measure, stats.attainment, decided)
    what = "client messages answered or overdue" if promise == "responsiveness" else "production bugs fixed or overdue"
    note = f"Only {decided} {what} in this period; at least {needed} are needed to judge."
    return DeliveryFigure(measure, None, decided, note if decided else f"No {what} in this period.")


NO_MESSAGES = summarize(LanguageTotals(), min_words=MIN_WORDS)


def plain_figure(summary: PlainLanguageSummary) -> DeliveryFigure:
    """Return the share of messages that pass, or none (with the reason) when too few words were scored."""
    return DeliveryFigure("plain_pass_share", summary.pass_share, summary.scored_messages, summary.note)


def mean_scores(ratings: Sequence[Feedback]) -> dict[str, tuple[float | None, int]]:
    """Return each promise's mean rating and how many ratings it rests on."""
    out: dict[str, tuple[float | None, int]] = {}
    for promise in PROMISES:
        values = [v for v in (getattr(r, promise) for r in ratings) if v is not None]
        out[promise] = (fmean(values) if values else None, len(values))
    return out


def _align(
    client: Client, developer: str | None, name: str, per_kind: dict[GroupKey, GroupFigures],
    plain: PlainLanguageSummary, ratings: Sequence[Feedback],
) -> Alignment:
    """Align one client's promises, or one developer's within it, from figures keyed by (*whose, kind)."""
    whose = () if developer is None else (developer,)
    figures = {
        promise: clock_figure(promise, per_kind.get((*whose, kind.value), NO_CLOCKS).stats)
        for promise, kind in (("responsiveness", ClockKind.RESPONSE), ("fix_speed", ClockKind.BUG_FIX))
    } | {"clarity": plain_figure(plain)}
    means = mean_scores(ratings)
    promises = tuple(
        judge(p, figures[p], means[p][0], means[p][1], client.spec.alignment, client=client.name,
              developer_name=name if developer else None)
        for p in PROMISES
    )
    return Alignment(client.name, developer, name, promises)


def alignment_report(
    session: Session, contracts: Contracts, *, since: datetime, until: datetime, now: datetime,
    client: str | None = None, rated: tuple[datetime, datetime] | None = None,
    choose: Callable[[Feedback], bool] | None = None,
) -> list[ClientAlignment]:
    """Align delivery with client scores over [since, until), per client and per developer of each.

    ``rated`` bounds the ratings read instead, when they are to be matched by other moments than the clocks:
    ratings cover whole UTC days, so a week in a client's own time zone reads the ratings of its UTC days.
    ``choose`` keeps only the ratings it accepts (a warning judges each rating in the period it names).
    """
    rated_since, rated_until = rated if rated is not None else (since, until)
    chosen = [contracts.clients[client]] if client is not None else list(contracts.clients.values())
    scored = ScoreFilter(client=client, since=since, until=until)
    # Alignment judges the share of messages that pass, never the flagged terms: their JSON is not read.
    plain_team, plain_people = summaries_by_groupings(session, scored, [("client",), ("client", "developer")],
                                                      min_words=MIN_WORDS, terms=False)
    # Counted for every client at once, by client and by client and developer: alignment judges attainment,
    # never a median, so nothing is ranked.
    by_client, by_person = attainment_by_groupings(session, ClockFilter(client=client, since=since, until=until),
                                                   [["client", "kind"], ["client", "developer", "kind"]], now)
    out = []
    for spec in chosen:
        per_kind = {key[1:]: found for key, found in by_client.items() if key[0] == spec.name}
        per_developer = {key[1:]: found for key, found in by_person.items() if key[0] == spec.name}
        ratings = [r for r in list_feedback(session, FeedbackFilter(client=spec.name, since=rated_since,
                                                                    until=rated_until))
                   if choose is None or choose(r)]
        # The team's own ratings speak for the team; without any, the ratings of its developers do.
        team_ratings = [r for r in ratings if r.developer == ""] or ratings
        team = _align(spec, None, spec.name, per_kind, plain_team.get((spec.name,), NO_MESSAGES), team_ratings)
        people = sorted({person for person, _ in per_developer if person}
                        | {person for name, person in plain_people if name == spec.name}
                        | {r.developer for r in ratings if r.developer})
        developers = tuple(
            _align(spec, person, person_name(person, contracts), per_developer,
                   plain_people.get((spec.name, person), NO_MESSAGES),
                   [r for r in ratings if r.developer == person])
            for person in people
        )
        out.append(ClientAlignment(spec.name, spec.spec.alignment, team, developers))
    return out
