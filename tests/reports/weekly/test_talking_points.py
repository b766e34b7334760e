"""Talking points: each rule, on weekly reports built by hand, says what to raise in plain words."""

from __future__ import annotations

import pytest

from app.contracts import parse_contracts
from app.reports.alignment import DeliveryFigure, Verdict
from app.reports.talking_points import (
    RULES,
    all_held,
    breached_fixes,
    disagreements,
    flagged_terms,
    late_outside_hours,
    low_ratings_with_comments,
    no_ratings,
    talking_points,
    trends,
    unanswered,
)
from app.reports.weekly_model import FlaggedMessage, FlaggedTerm, PromiseWeek
from tests.reports.weekly.builders import WEEK, alignment, figures, late, rating, week_report

CONTRACTS = parse_contracts("""
people:
  - {id: olena, name: Olena Koval, role: developer}
clients:
  - name: acme
    alignment: {unhappy_score: 2}
""")
FINE_UNHAPPY, HAPPY_POOR = Verdict.DELIVERY_FINE_CLIENT_UNHAPPY, Verdict.CLIENT_HAPPY_DELIVERY_POOR


def _texts(rule, report):
    return [p.text for p in rule(report, CONTRACTS)]


def test_a_quiet_rated_week_without_clocks_raises_nothing():
    assert talking_points(week_report(), CONTRACTS) == []


@pytest.mark.parametrize(("promise", "verdict", "delivery", "score", "text"), [
    ("clarity", FINE_UNHAPPY, 0.95, 2, "acme rated clarity 2/5 although 95 % of messages passed the plain-language "
                                       "check: ask which explanations were hard to follow."),
    ("responsiveness", FINE_UNHAPPY, 0.9, 2.5, "acme rated responsiveness 2.5/5 although 90 % of answers were on "
                                               "time: ask which waits felt long."),
    ("fix_speed", FINE_UNHAPPY, 1.0, 3, "acme rated fix speed 3/5 although 100 % of production bugs were fixed in "
                                        "time: ask which problem felt slow and what they expected."),
    ("responsiveness", HAPPY_POOR, 0.6, 4.5, "acme rated responsiveness 4.5/5 although only 60 % of answers were on "
                                             "time: the goodwill will not last; agree how to answer sooner."),
    ("clarity", HAPPY_POOR, 0.5, 4, "acme rated clarity 4/5 although only 50 % of messages passed the "
                                    "plain-language check: keep the words plain anyway; go through the flagged "
                                    "messages."),
])
def test_a_disagreement_between_rating_and_figure_is_raised_with_both(promise, verdict, delivery, score, text):
    report = week_report(alignments=(alignment(promise, verdict, delivery, score),))
    assert _texts(disagreements, report) == [text]
    assert [p.rule for p in disagreements(report, CONTRACTS)] == [verdict.value]


def test_a_developers_disagreement_names_the_developer():
    found = alignment("clarity", FINE_UNHAPPY, 0.9, 2, developer="olena", name="Olena Koval")
    assert _texts(disagreements, week_report(alignments=(found,))) == [
        "acme rated Olena Koval's clarity 2/5 although 90 % of messages passed the plain-language check: ask which "
        "explanations were hard to follow."]


@pytest.mark.parametrize("verdict", [Verdict.AGREE, Verdict.NOT_ENOUGH_DATA])
def test_agreement_or_too_little_data_raises_no_disagreement(verdict):
    assert _texts(disagreements, week_report(alignments=(alignment("clarity", verdict, 0.9, 4),))) == []


def test_each_breached_fix_is_raised_fixed_or_still_open():
    report = week_report(late=(late("bug_fix", key="acme/shop#7", elapsed=4 * 3600, target=3 * 3600),
                               late("bug_fix", key="acme/shop#8", still_open=True, elapsed=5 * 3600,
                                    target=3 * 3600),
                               late("response")))
    assert _texts(breached_fixes, report) == [
        "The production bug acme/shop#7 “Checkout is broken” took 4 h against the 3 hours target: go through what "
        "slowed it down and what acme was told meanwhile.",
        "The production bug acme/shop#8 “Checkout is broken” has been open 5 h against the 3 hours target and is "
        "still not fixed: go through what slowed it down and what acme was told meanwhile.",
    ]


def test_messages_still_waiting_past_the_target_are_raised_once_together():
    one = week_report(late=(late(still_open=True, key="acme/shop#3"), late(key="acme/shop#4")))
    assert _texts(unanswered, one) == ["1 client message of the week still waits for an answer past the target "
                                       "(acme/shop#3): agree who answers it today."]
    two = week_report(late=(late(still_open=True, key="acme/shop#3"), late(still_open=True, key="acme/shop#5")))
    assert _texts(unanswered, two) == ["2 client messages of the week still wait for an answer past the target "
                                       "(acme/shop#3, acme/shop#5): agree who answers each today."]
    assert _texts(unanswered, week_report(late=(late("bug_fix", still_open=True),))) == []


def test_late_answers_to_messages_sent_outside_working_hours_are_counted():
    report = week_report(late=(late(outside=True), late(outside=True), late(), late("bug_fix", outside=True)))
    assert _texts(late_outside_hours, report) == [
        "2 of the 3 late answers were to messages sent outside acme's working hours: agree with the client how such "
        "messages are handled and when they can expect an answer."]
    assert _texts(late_outside_hours, week_report(late=(late(),))) == []


@pytest.mark.parametrize(("this", "last", "plain", "texts"), [
    (figures(met=19, breached=1), figures(met=8, breached=2), (None, None),
     ["Answers on time rose from 80 % last week to 95 %: say what helped, so it stays."]),
    (figures(met=7, breached=3), figures(met=9, breached=1), (None, None),
     ["Answers on time fell from 90 % last week to 70 %: find out what got in the way."]),
    (figures(met=8, breached=1), figures(met=8, breached=2), (None, None), []),  # 89 % against 80 %: under 10 points
    (figures(met=9), figures(), (None, None), []),  # nothing to compare with last week
    (figures(), figures(), (0.5, 0.8),
     ["Messages passing the plain-language check fell from 80 % last week to 50 %: find out what got in the way."]),
])
def test_figures_that_moved_ten_points_or_more_since_last_week_are_raised(this, last, plain, texts):
    report = week_report(promises=(PromiseWeek("responsiveness", this, last), PromiseWeek("bug_fix", figures(),
                                                                                          figures())),
                         plain_this=DeliveryFigure("plain_pass_share", plain[0], 10),
                         plain_last=DeliveryFigure("plain_pass_share", plain[1], 10))
    assert _texts(trends, report) == texts


def test_a_low_rating_with_a_comment_is_raised_at_the_contracts_unhappy_score():
    report = week_report(ratings=(
        rating(clarity=2, responsiveness=4, comment="We ask twice what a change means."),
        rating(clarity=3, comment="Fine, mostly."),  # above this contract's unhappy score of 2
        rating(fix_speed=1),  # no comment: the figures beside it say enough
        rating(about="Olena Koval", responsiveness=1, comment="Slow on Fridays."),
    ))
    assert _texts(low_ratings_with_comments, report) == [
        "acme rated clarity 2/5 for 2024-W10 and wrote “We ask twice what a change means.”: talk it through.",
        "acme rated Olena Koval's responsiveness 1/5 for 2024-W10 and wrote “Slow on Fridays.”: talk it through.",
    ]


def test_the_most_flagged_words_are_raised_with_the_plainer_word():
    def message(*terms):
        return FlaggedMessage("acme", "Olena Koval", WEEK.since, "acme/shop#1", "t", None, terms, ())

    report = week_report(flagged=(
        message(FlaggedTerm("deploy", 2, "put live"), FlaggedTerm("ORM", 1, None)),
        message(FlaggedTerm("deploy", 1, "put live"), FlaggedTerm("idempotent", 1, "safe to repeat"),
                FlaggedTerm("SKU", 1, None)),
    ))
    assert _texts(flagged_terms, report) == [
        "“deploy” was flagged 3 times in messages to the client: say “put live” instead.",
        "“ORM” was flagged once in messages to the client: explain it or use a plainer word.",
        "“idempotent” was flagged once in messages to the client: say “safe to repeat” instead.",
    ]


def test_no_rating_this_week_asks_for_one():
    assert _texts(no_ratings, week_report(ratings=())) == [
        "acme has not rated this week: ask them how the week went (answers, fix speed, clarity)."]
    developer = week_report(ratings=(), client=None, developer="olena", name="Olena Koval",
                            alignments=(alignment("clarity", Verdict.NOT_ENOUGH_DATA, None, None, developer="olena"),))
    assert _texts(no_ratings, developer) == ["No client rated Olena Koval this week: ask acme how working with "
                                             "Olena Koval went."]
    assert _texts(no_ratings, week_report()) == []


def test_a_week_where_every_promise_held_says_thanks():
    held = week_report(promises=(PromiseWeek("responsiveness", figures(met=5), figures()),
                                 PromiseWeek("bug_fix", figures(met=1), figures())))
    assert _texts(all_held, held) == ["Every answer and fix of the week kept its promise (6 in all): say thanks."]
    assert _texts(all_held, week_report(late=(late(),))) == []
    assert _texts(all_held, week_report()) == []


def test_points_come_in_the_order_of_the_rules_most_pressing_first():
    report = week_report(ratings=(), late=(late("bug_fix"),),
                         alignments=(alignment("clarity", FINE_UNHAPPY, 0.95, 2),))
    assert [p.rule for p in talking_points(report, CONTRACTS)] == [
        FINE_UNHAPPY.value, "breached_fix", "no_ratings"]
    assert RULES[0] is disagreements
