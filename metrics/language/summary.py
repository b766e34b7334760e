"""Summarize plain-language scores over many messages, saying so when there is too little to tell.

Two steps, so that a database can do the first: ``LanguageTotals`` are the sums over the messages (counts,
words, jargon words, each flagged term's count), and ``summarize`` turns totals into the figures. ``aggregate``
is both over scores in memory; app/reports/language_figures.py sums the stored scores in SQL and calls
``summarize``, so the figures follow one rule wherever they come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from metrics.language.results import FlaggedTerm, MessageScore, PlainLanguageSummary

TOP_TERMS = 10


@dataclass
class LanguageTotals:
    """Sums over a group of messages. Unsupported messages count in ``messages`` only."""

    messages: int = 0
    scored: int = 0
    passed: int = 0
    words: int = 0
    jargon_words: int = 0
    term_counts: dict[str, int] = field(default_factory=dict)
    suggestions: dict[str, str | None] = field(default_factory=dict)

    def add(self, score: MessageScore) -> None:
        self.messages += 1
        if not score.supported:
            return
        self.scored += 1
        self.passed += score.passes
        self.words += score.words
        self.jargon_words += score.jargon_words
        for flag in score.flagged:
            self.add_term(flag.term, flag.count, flag.suggestion)

    def absorb(self, other: LanguageTotals) -> None:
        """Add another group's sums to these, as if its messages had been counted here."""
        self.messages += other.messages
        self.scored += other.scored
        self.passed += other.passed
        self.words += other.words
        self.jargon_words += other.jargon_words
        for term, count in other.term_counts.items():
            self.add_term(term, count, other.suggestions.get(term))

    def add_term(self, term: str, count: int, suggestion: str | None) -> None:
        """Count a flagged term. Its suggestion is the greatest one given (as SQL's max picks it): one term's
        suggestions differ only where messages were scored with different word lists."""
        self.term_counts[term] = self.term_counts.get(term, 0) + count
        known = self.suggestions.get(term)
        if known is None or (suggestion is not None and suggestion > known):
            self.suggestions[term] = suggestion


def top_terms(counts: Mapping[str, int], limit: int = TOP_TERMS) -> list[str]:
    """The most used terms, most used first; ties in alphabetical order."""
    return sorted(counts, key=lambda term: (-counts[term], term))[:limit]


def summarize(totals: LanguageTotals, *, min_words: int = 150) -> PlainLanguageSummary:
    """Turn sums into figures; below ``min_words`` scored words the shares are None and a note says why."""
    enough = totals.words >= min_words
    return PlainLanguageSummary(
        messages=totals.messages,
        scored_messages=totals.scored,
        skipped_messages=totals.messages - totals.scored,
        words=totals.words,
        passed_messages=totals.passed,
        pass_share=totals.passed / totals.scored if enough else None,
        mean_jargon_share=totals.jargon_words / totals.words if enough else None,
        top_flagged=tuple(FlaggedTerm(term, totals.term_counts[term], totals.suggestions.get(term))
                          for term in top_terms(totals.term_counts)),
        enough_data=enough,
        note=None if enough else _too_little_note(totals.scored, totals.words, min_words),
    )


def aggregate(scores: Iterable[MessageScore], *, min_words: int = 150) -> PlainLanguageSummary:
    """Summarize message scores held in memory."""
    totals = LanguageTotals()
    for score in scores:
        totals.add(score)
    return summarize(totals, min_words=min_words)


def _too_little_note(scored: int, words: int, min_words: int) -> str:
    """Say plainly why no share is given."""
    noun = "message" if scored == 1 else "messages"
    return (
        f"Too little to judge yet: {words} words in {scored} scored {noun}; "
        f"a fair reading needs at least {min_words} words."
    )
