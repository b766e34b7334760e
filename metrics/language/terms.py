"""Find the words of a message a client may not know: jargon, rare words and unexplained abbreviations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from metrics.language.lexicon import Lexicon, Term, TermIndex
from metrics.language.results import FlaggedTerm

# Zipf 3.0 is once per million words of general English (wordfreq's blend of books, news, subtitles and
# the web). Below it a word is rare enough that a client outside software may not know it: "endpoint"
# (2.9) and "idempotent" (1.8) fall below, "invoice" (3.3) and "screenshot" (3.8) stay above.
RARE_WORD_ZIPF = 3.0
# An all-capitals word this common is shouting, not an abbreviation ("PLEASE CHECK NOW").
_SHOUTED_WORD_ZIPF = 5.0
_ACRONYM = re.compile(r"^([A-Z]{2,6})s?$")
_ALWAYS_PLAIN = frozenset({"e.g", "i.e", "etc", "vs", "approx"})


@dataclass(frozen=True, slots=True)
class TermReport:
    """The words of a message a client may not know."""

    jargon_words: int
    flagged: tuple[FlaggedTerm, ...]
    unexplained_acronyms: tuple[str, ...]


def find_terms(
    sentences: Sequence[Sequence[str]],
    *,
    jargon: TermIndex,
    known: TermIndex,
    lexicon: Lexicon,
    explained: frozenset[str],
) -> TermReport:
    """Return the jargon, rare words and unexplained abbreviations in a message's sentences."""
    counts: dict[str, int] = {}
    suggestions: dict[str, str | None] = {}
    acronyms: dict[str, None] = {}  # an ordered set: abbreviations in the order they appear
    jargon_words = 0
    for sentence in sentences:
        position = 0
        while position < len(sentence):
            term, length, acronym = _term_at(sentence, position, jargon, known, lexicon, explained)
            if term is not None:
                counts[term.display] = counts.get(term.display, 0) + 1
                suggestions.setdefault(term.display, term.suggestion)
                jargon_words += length
            if acronym is not None:
                acronyms[acronym] = None
            position += length
    flagged = sorted(counts, key=lambda display: -counts[display])  # stable: first seen first among ties
    return TermReport(
        jargon_words=jargon_words,
        flagged=tuple(FlaggedTerm(term, counts[term], suggestions[term]) for term in flagged),
        unexplained_acronyms=tuple(acronyms),
    )


def _term_at(
    sentence: Sequence[str],
    position: int,
    jargon: TermIndex,
    known: TermIndex,
    lexicon: Lexicon,
    explained: frozenset[str],
) -> tuple[Term | None, int, str | None]:
    """Classify the words at a position: (term to flag or None, words covered, unexplained abbreviation)."""
    known_term = known.match(sentence, position)
    if known_term is not None:
        return None, known_term.length, None
    word = sentence[position]
    listed = jargon.match(sentence, position)
    acronym = _acronym(word, lexicon)
    if acronym is not None:
        if acronym in explained:
            return None, 1, None
        return Term(acronym, 1, listed.suggestion if listed else None), 1, acronym
    if listed is not None:
        return listed, listed.length, None
    if _is_rare(word, position, lexicon):
        return Term(word.lower(), 1), 1, None
    return None, 1, None


def _acronym(word: str, lexicon: Lexicon) -> str | None:
    """Return the abbreviation a word is (PRs -> PR), or None for ordinary and plain words."""
    match = _ACRONYM.match(word)
    if match is None:
        return None
    base = match.group(1)
    if base in lexicon.plain_acronyms or _zipf(word.lower()) >= _SHOUTED_WORD_ZIPF:
        return None
    return base


def _is_rare(word: str, position: int, lexicon: Lexicon) -> bool:
    """Tell whether a word is outside the general-English frequency band and not a plain or proper name."""
    lowered = word.lower()
    if not any(ch.isalpha() for ch in word) or any(ch.isdigit() for ch in word):
        return False  # numbers, versions and codes are not words a client must know
    if lowered in lexicon.plain or lowered in _ALWAYS_PLAIN:
        return False
    # A capitalised word inside a sentence is a name (a person, a product, a city), not jargon.
    if position > 0 and word[0].isupper() and not word.isupper():
        return False
    return _zipf(lowered) < RARE_WORD_ZIPF


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    """Return a word's Zipf frequency in general English."""
    from wordfreq import zipf_frequency  # on first use: importing wordfreq takes a second (see detection.py)

    return zipf_frequency(word, "en")


_PAREN_ACRONYM = re.compile(r"\(\s*([A-Z]{2,6})s?\s*\)")
_ACRONYM_THEN_PAREN = re.compile(r"\b([A-Z]{2,6})s?\s*\(([^()\n]{3,120})\)")
_EXPANSION_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_STOP_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"})
_MAX_EXTRA_WORDS = 3  # stop words an expansion may carry beyond one word per letter


def explained_acronyms(text: str) -> frozenset[str]:
    """Return the abbreviations a text spells out: "Continuous Integration (CI)" or "CI (continuous integration)".

    An abbreviation followed by a parenthesis of two or more words also counts, whatever its initials:
    "the PR (the proposed change)" explains PR as well as a spelled-out form does.
    """
    found: set[str] = set()
    for match in _PAREN_ACRONYM.finditer(text):
        acronym = match.group(1)
        before = _EXPANSION_WORD.findall(text[max(0, match.start() - 200) : match.start()])
        longest = min(len(before), len(acronym) + _MAX_EXTRA_WORDS)
        if any(_initials_match(acronym, before[-count:]) for count in range(1, longest + 1)):
            found.add(acronym)
    for match in _ACRONYM_THEN_PAREN.finditer(text):
        inside = _EXPANSION_WORD.findall(match.group(2))
        if len(inside) >= 2 or _initials_match(match.group(1), inside):
            found.add(match.group(1))
    return frozenset(found)


def _initials_match(acronym: str, words: Sequence[str]) -> bool:
    """Tell whether words spell an abbreviation by their initials, stop words optional, camel case allowed."""
    if not words:
        return not acronym
    first, rest = words[0], words[1:]
    if first.lower() in _STOP_WORDS and _initials_match(acronym, rest):
        return True
    whole = first[0] + "".join(ch for ch in first[1:] if ch.isupper())  # JavaScript -> JS
    return any(
        acronym.startswith(initials.upper()) and _initials_match(acronym[len(initials) :], rest)
        for initials in {first[0], whole}
    )
