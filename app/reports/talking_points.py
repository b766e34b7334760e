"""Talking points for a one-on-one: explicit rules over a weekly report, each saying what to raise in plain words.

Pure: each rule reads the gathered report (and the contract's thresholds) and returns its points; the order
of RULES is the order they are raised in, the most pressing first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from app.contracts import AlignmentSpec, Contracts
from app.reports.alignment import Verdict, percent_text, score_text
from app.reports.weekly_model import TalkingPoint, WeeklyReport
from metrics.wording import describe_duration, human_duration

# A change of attainment between two weeks this large (in points of share) is worth raising.
TREND_POINTS = 0.10
MAX_TERMS = 3

# (promise, verdict) -> what to do about it, after "<client> rated <promise> <score>/5 although <figure>: "
_DISAGREEMENT_ADVICE = {
    ("responsiveness", Verdict.DELIVERY_FINE_CLIENT_UNHAPPY): "ask which waits felt long",
    ("fix_speed", Verdict.DELIVERY_FINE_CLIENT_UNHAPPY): "ask which problem felt slow and what they expected",
    ("clarity", Verdict.DELIVERY_FINE_CLIENT_UNHAPPY): "ask which explanations were hard to follow",
    ("responsiveness", Verdict.CLIENT_HAPPY_DELIVERY_POOR): "the goodwill will not last; agree how to answer sooner",
    ("fix_speed", Verdict.CLIENT_HAPPY_DELIVERY_POOR): "the goodwill will not last; go through what slows the fixes",
    ("clarity", Verdict.CLIENT_HAPPY_DELIVERY_POOR): "keep the words plain anyway; go through the flagged messages",
}
_FIGURE_WORDS = {
    "responsiveness": "of answers were on time",
    "fix_speed": "of production bugs were fixed in time",
    "clarity": "of messages passed the plain-language check",
}
_PROMISE_WORDS = {"responsiveness": "responsiveness", "fix_speed": "fix speed", "clarity": "clarity"}
_TREND_WORDS = {"responsiveness": "Answers on time", "bug_fix": "Production bugs fixed in time",
                "plain": "Messages passing the plain-language check"}


def disagreements(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Where the client's rating and the delivery figure disagree (the contract's alignment: thresholds)."""
    out = []
    for alignment in report.alignments:
        whose = f"{alignment.name}'s " if alignment.developer else ""
        for p in alignment.promises:
            known = p.verdict in (Verdict.DELIVERY_FINE_CLIENT_UNHAPPY, Verdict.CLIENT_HAPPY_DELIVERY_POOR)
            if not known or p.client_score is None or p.delivery.value is None:
                continue
            only = "only " if p.verdict is Verdict.CLIENT_HAPPY_DELIVERY_POOR else ""
            out.append(TalkingPoint(p.verdict.value, (
                f"{alignment.client} rated {whose}{_PROMISE_WORDS[p.promise]} {score_text(p.client_score)}/5 "
                f"although {only}{percent_text(p.delivery.value)} {_FIGURE_WORDS[p.promise]}: "
                f"{_DISAGREEMENT_ADVICE[(p.promise, p.verdict)]}.")))
    return out


def breached_fixes(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Each production bug of the week fixed late, or still not fixed past its target."""
    return [
        TalkingPoint("breached_fix", (
            f"The production bug {c.item_key} “{c.title}” {'has been open' if c.still_open else 'took'} "
            f"{human_duration(c.elapsed_seconds)} against the {describe_duration(c.target_seconds)} target"
            f"{' and is still not fixed' if c.still_open else ''}: go through what slowed it down and what "
            f"{c.client} was told meanwhile."))
        for c in report.late if c.kind == "bug_fix"
    ]


def unanswered(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Client messages of the week still waiting for an answer past the target."""
    waiting = [c for c in report.late if c.kind == "response" and c.still_open]
    if not waiting:
        return []
    keys = ", ".join(dict.fromkeys(c.item_key for c in waiting))
    one = len(waiting) == 1
    return [TalkingPoint("still_unanswered", (
        f"{len(waiting)} client message{'' if one else 's'} of the week still wait{'s' if one else ''} for an answer "
        f"past the target ({keys}): agree who answers {'it' if one else 'each'} today."))]


def late_outside_hours(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Late answers to messages sent outside the client's working hours."""
    late = [c for c in report.late if c.kind == "response"]
    outside = [c for c in late if c.outside_working_hours]
    if not outside:
        return []
    whose = f"{report.client}'s" if report.client else "the client's"
    return [TalkingPoint("late_outside_hours", (
        f"{len(outside)} of the {len(late)} late answer{'' if len(late) == 1 else 's'} "
        f"{'was' if len(outside) == 1 else 'were'} to messages sent outside {whose} working hours: agree with the "
        "client how such messages are handled and when they can expect an answer."))]


def trends(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """A promise that improved or worsened by TREND_POINTS or more since last week."""
    pairs = [(p.promise, p.this["attainment"], p.last["attainment"]) for p in report.promises]
    pairs.append(("plain", report.plain_this.value, report.plain_last.value))
    out = []
    for promise, now, before in pairs:
        if now is None or before is None or abs(now - before) < TREND_POINTS:
            continue
        what = _TREND_WORDS[promise]
        if now > before:
            text = f"{what} rose from {percent_text(before)} last week to {percent_text(now)}: say what helped, " \
                   "so it stays."
            out.append(TalkingPoint("improving", text))
        else:
            text = f"{what} fell from {percent_text(before)} last week to {percent_text(now)}: find out what got " \
                   "in the way."
            out.append(TalkingPoint("worsening", text))
    return out


def low_ratings_with_comments(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """A rating at or below the contract's unhappy score that comes with a comment."""
    out = []
    for r in report.ratings:
        scores = {name: value for name, value in (("responsiveness", r.responsiveness), ("fix speed", r.fix_speed),
                                                   ("clarity", r.clarity)) if value is not None}
        if not r.comment or not scores:
            continue
        name, lowest = min(scores.items(), key=lambda item: item[1])
        if lowest > _thresholds(contracts, r.client).unhappy_score:
            continue
        about = "" if r.about == "the whole team" else f" {r.about}'s"
        out.append(TalkingPoint("low_rating_comment", (
            f"{r.client} rated{about} {name} {lowest}/5 for {r.period} and wrote “{r.comment}”: talk it through.")))
    return out


def flagged_terms(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """The words flagged most often in the week's messages, with the plainer word where the lists know one."""
    counts: Counter[str] = Counter()
    suggestions: dict[str, str | None] = {}
    for message in report.flagged:
        for term in message.terms:
            counts[term.term] += term.count
            suggestions[term.term] = suggestions.get(term.term) or term.suggestion
    out = []
    for term, count in counts.most_common(MAX_TERMS):
        better = suggestions[term]
        advice = f"say “{better}” instead" if better else "explain it or use a plainer word"
        times = "once" if count == 1 else f"{count} times"
        out.append(TalkingPoint("flagged_term", f"“{term}” was flagged {times} in messages to the client: {advice}."))
    return out


def no_ratings(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """No rating overlaps the week: ask for one."""
    if report.ratings:
        return []
    if report.developer is None:
        return [TalkingPoint("no_ratings", f"{report.client} has not rated this week: ask them how the week went "
                                           "(answers, fix speed, clarity).")]
    clients = sorted({a.client for a in report.alignments}) or ([report.client] if report.client else [])
    who = " or ".join(clients) or "the client"
    return [TalkingPoint("no_ratings", f"No client rated {report.name} this week: ask {who} how working with "
                                       f"{report.name} went.")]


def all_held(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Every clock of the week kept its promise: say thanks."""
    counted = sum(p.this["met"] + p.this["breached"] for p in report.promises)
    if report.late or counted == 0:
        return []
    return [TalkingPoint("all_held", f"Every answer and fix of the week kept its promise ({counted} in all): "
                                     "say thanks.")]


def _thresholds(contracts: Contracts, client: str) -> AlignmentSpec:
    known = contracts.clients.get(client)
    return known.spec.alignment if known is not None else AlignmentSpec()


Rule = Callable[[WeeklyReport, Contracts], list[TalkingPoint]]
RULES: tuple[Rule, ...] = (disagreements, breached_fixes, unanswered, late_outside_hours, trends,
                           low_ratings_with_comments, flagged_terms, no_ratings, all_held)


def talking_points(report: WeeklyReport, contracts: Contracts) -> list[TalkingPoint]:
    """Apply every rule to the report, in RULES order."""
    return [point for rule in RULES for point in rule(report, contracts)]
