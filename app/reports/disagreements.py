"""Disagreement warnings: where a client's ratings and the delivery figures disagree for a period, said plainly.

`find_disagreements` is pure over the alignment results (app.reports.alignment, judged with the contract's
`alignment:` thresholds); `warning_message` words one warning for the account manager, with both figures and
the links to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

from app.reports.alignment import DISAGREEMENTS, Alignment, Verdict, percent_text, score_text
from app.reports.links import client_href, developer_href
from app.reports.weekly_model import LateClock

_FIGURE_NAMES = {"response_attainment": "answers on time", "bug_fix_attainment": "production bugs fixed in time",
                 "plain_pass_share": "messages passing the plain-language check"}
_PROMISE_NAMES = {"responsiveness": "responsiveness", "fix_speed": "fix speed", "clarity": "clarity"}
_LATE_KIND = {"responsiveness": "response", "fix_speed": "bug_fix"}


@dataclass(frozen=True)
class Disagreement:
    """One promise on which the client's rating and the delivery figure disagree in a period."""

    client: str
    period: str  # 2026-W47 or 2026-03
    developer: str | None  # None: the whole team
    name: str  # the client's name, or the developer's
    promise: str  # responsiveness | fix_speed | clarity
    verdict: Verdict
    measure: str  # the delivery figure: response_attainment | bug_fix_attainment | plain_pass_share
    delivery: float  # its share, 0 to 1
    basis: int  # the decided clocks or scored messages it rests on
    client_score: float
    ratings: int
    explanation: str

    def figures_text(self) -> str:
        """Say both figures: 'delivery 95 % answers on time (20 counted); acme's rating 2/5 (3 ratings)'."""
        return (f"delivery {percent_text(self.delivery)} {_FIGURE_NAMES[self.measure]} ({self.basis} counted); "
                f"{self.client}'s rating {score_text(self.client_score)}/5 ({self.ratings} "
                f"rating{'' if self.ratings == 1 else 's'})")


def find_disagreements(period: str, alignments: Sequence[Alignment]) -> list[Disagreement]:
    """Return each promise, of the team or of one developer, whose rating and delivery figure disagree."""
    return [
        Disagreement(a.client, period, a.developer, a.name, p.promise, p.verdict, p.delivery.measure,
                     p.delivery.value, p.delivery.basis, p.client_score, p.ratings, p.explanation)
        for a in alignments for p in a.promises
        if p.verdict in DISAGREEMENTS and p.client_score is not None and p.delivery.value is not None
    ]


@dataclass(frozen=True)
class WarningMessage:
    subject: str
    text: str
    html: str


def warning_message(client: str, period: str, found: Sequence[Disagreement], late: Sequence[LateClock],
                    dashboard_url: str) -> WarningMessage:
    """Word the warning of one client's period: each disagreement with both figures, then where to look."""
    base = dashboard_url.rstrip("/")
    links = [("The client's page", base + client_href(client))]
    links += [(f"{d.name}'s page", base + developer_href(d.developer)) for d in found if d.developer]
    promises = {d.promise for d in found}
    links += [(f"{c.item_key} “{c.title}” (late)", c.evidence_url) for c in late
              if c.kind in {_LATE_KIND.get(p) for p in promises}]
    links = list(dict.fromkeys(links))
    subject = f"{client}: the client's ratings and the delivery figures disagree for {period}"
    items = [(f"{'The team' if d.developer is None else d.name}, {_PROMISE_NAMES[d.promise]}: {d.explanation} "
              f"({d.figures_text()}.)") for d in found]
    intro = (f"For {period}, {client}'s own ratings and the delivery figures disagree. Talk to the client before "
             "the gap grows:")
    text = "\n".join([intro, "", *(f"- {item}" for item in items), "", "Where to look:",
                      *(f"- {label}: {url}" for label, url in links)]) + "\n"
    html = (f"<p>{escape(intro)}</p><ul>{''.join(f'<li>{escape(item)}</li>' for item in items)}</ul>"
            "<p>Where to look:</p><ul>"
            + "".join(f'<li><a href="{escape(url)}">{escape(label)}</a></li>' for label, url in links)
            + "</ul>")
    return WarningMessage(subject, text, html)
