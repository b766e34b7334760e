"""Disagreement detection over alignment results (pure), and the warning's words: both figures, then links."""

from __future__ import annotations

from app.reports.alignment import Alignment, Verdict
from app.reports.disagreements import find_disagreements, warning_message
from tests.reports.weekly.builders import alignment, late

FINE_UNHAPPY, HAPPY_POOR = Verdict.DELIVERY_FINE_CLIENT_UNHAPPY, Verdict.CLIENT_HAPPY_DELIVERY_POOR


def _both(*alignments: Alignment) -> Alignment:
    """The promises of several one-promise alignments as one alignment."""
    first = alignments[0]
    return Alignment(first.client, first.developer, first.name, tuple(p for a in alignments for p in a.promises))


def test_only_disagreements_with_both_figures_are_found():
    team = _both(alignment("responsiveness", FINE_UNHAPPY, 0.95, 2.0),
                 alignment("fix_speed", Verdict.AGREE, 1.0, 4.5),
                 alignment("clarity", Verdict.NOT_ENOUGH_DATA, None, 2.0))
    olena = alignment("clarity", HAPPY_POOR, 0.5, 4.5, developer="olena", name="Olena Koval", ratings=1)
    found = find_disagreements("2024-W10", [team, olena])
    assert [(d.developer, d.promise, d.verdict) for d in found] == [
        (None, "responsiveness", FINE_UNHAPPY), ("olena", "clarity", HAPPY_POOR)]
    assert found[0].figures_text() == "delivery 95 % answers on time (20 counted); acme's rating 2/5 (2 ratings)"
    assert found[1].figures_text() == ("delivery 50 % messages passing the plain-language check (20 counted); "
                                       "acme's rating 4.5/5 (1 rating)")
    assert all(d.period == "2024-W10" and d.client == "acme" for d in found)


def test_agreement_everywhere_finds_nothing():
    assert find_disagreements("2024-W10", [alignment("responsiveness", Verdict.AGREE, 0.95, 4.5)]) == []
    assert find_disagreements("2024-W10", []) == []


def test_the_warning_gives_both_figures_and_where_to_look():
    found = find_disagreements("2024-W10", [
        alignment("responsiveness", FINE_UNHAPPY, 0.95, 2.0),
        alignment("clarity", HAPPY_POOR, 0.5, 4.5, developer="olena", name="Olena Koval"),
    ])
    message = warning_message("acme", "2024-W10", found, [late("response", key="acme/shop#3"),
                                                          late("bug_fix", key="acme/shop#9")],
                              "https://pulse.example.com/")
    assert message.subject == "acme: the client's ratings and the delivery figures disagree for 2024-W10"
    assert message.text.splitlines() == [
        "For 2024-W10, acme's own ratings and the delivery figures disagree. Talk to the client before the gap grows:",
        "",
        "- The team, responsiveness: explained (delivery 95 % answers on time (20 counted); acme's rating 2/5 "
        "(2 ratings).)",
        "- Olena Koval, clarity: explained (delivery 50 % messages passing the plain-language check (20 counted); "
        "acme's rating 4.5/5 (2 ratings).)",
        "",
        "Where to look:",
        "- The client's page: https://pulse.example.com/clients/acme",
        "- Olena Koval's page: https://pulse.example.com/developers/olena",
        "- acme/shop#3 “Checkout is broken” (late): http://pulse.test/items/github/acme/shop/3#clock-x",
    ]  # the late bug fix is about no promise in disagreement
    assert '<a href="https://pulse.example.com/developers/olena">Olena Koval&#39;s page</a>' in message.html
