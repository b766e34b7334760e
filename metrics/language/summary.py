"""Summarize plain-language scores over many messages, saying so when there is too little to tell."""

from __future__ import annotations

from collections.abc import Iterable

from metrics.language.results import FlaggedTerm, MessageScore, PlainLanguageSummary

_TOP_TERMS = 10


def aggregate(scores: Iterable[MessageScore], *, min_words: int = 150) -> PlainLanguageSummary:
    """Summarize message scores; below ``min_words`` scored words the shares are None and a note says why."""
    messages = scored = passed = words = jargon_words = 0
    counts: dict[str, int] = {}
    suggestions: dict[str, str | None] = {}
    for score in scores:
        messages += 1
        if not score.supported:
            continue
        scored += 1
        passed += score.passes
        words += score.words
        jargon_words += score.jargon_words
        for flag in score.flagged:
            counts[flag.term] = counts.get(flag.term, 0) + flag.count
            if suggestions.get(flag.term) is None:
                suggestions[flag.term] = flag.suggestion
    top = sorted(counts, key=lambda term: (-counts[term], term))[:_TOP_TERMS]
    enough = words >= min_words
    return PlainLanguageSummary(
        messages=messages,
        scored_messages=scored,
        skipped_messages=messages - scored,
        words=words,
        passed_messages=passed,
        pass_share=passed / scored if enough else None,
        mean_jargon_share=jargon_words / words if enough else None,
        top_flagged=tuple(FlaggedTerm(term, counts[term], suggestions[term]) for term in top),
        enough_data=enough,
        note=None if enough else _too_little_note(scored, words, min_words),
    )


def _too_little_note(scored: int, words: int, min_words: int) -> str:
    """Say plainly why no share is given."""
    noun = "message" if scored == 1 else "messages"
    return (
        f"Too little to judge yet: {words} words in {scored} scored {noun}; "
        f"a fair reading needs at least {min_words} words."
    )
