"""Score one developer message for plain language, with reasons a person can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from metrics.language.cleaning import clean_message
from metrics.language.detection import ENGLISH, UNDETERMINED, detect_language
from metrics.language.lexicon import glossary_index, jargon_index, shipped_lexicon
from metrics.language.results import DEFAULT_THRESHOLDS, FlaggedTerm, MessageScore, PlainLanguageThresholds
from metrics.language.terms import TermReport, explained_acronyms, find_terms
from metrics.language.text import sentences as split_sentences

SUPPORTED_LANGUAGES = frozenset({ENGLISH})
_LANGUAGE_NAMES = {
    "uk": "Ukrainian", "ru": "Russian", "pl": "Polish", "de": "German", "fr": "French", "es": "Spanish",
    "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "cs": "Czech", "ro": "Romanian", "tr": "Turkish",
    "bg": "Bulgarian", "be": "Belarusian", "sr": "Serbian", "hr": "Croatian", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian", "ka": "Georgian", "he": "Hebrew", "ar": "Arabic", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "hi": "Hindi",
}  # fmt: skip
_NOTHING_LEFT = "Not scored: nothing left to read once code, logs, links, quotes and signatures are removed"
_TERMS_SHOWN = 5
_NO_PLAIN_WORDS: Mapping[str, str] = MappingProxyType({})


def score_message(
    text: str,
    *,
    glossary: Iterable[str] = (),
    plain_words: Mapping[str, str] = _NO_PLAIN_WORDS,
    thread_text: str = "",
    thresholds: PlainLanguageThresholds = DEFAULT_THRESHOLDS,
) -> MessageScore:
    """Score a message: words a client may not know, sentence length, reading grade, and whether it passes."""
    cleaned = clean_message(text)
    found = split_sentences(cleaned)
    if not found:
        return MessageScore(language=UNDETERMINED, supported=False, reasons=(_NOTHING_LEFT,))
    language = detect_language(cleaned)
    if language not in SUPPORTED_LANGUAGES:
        name = _LANGUAGE_NAMES.get(language, f"language '{language}'")
        reason = f"Not scored: written in {name}; only English is scored for now"
        return MessageScore(language=language, supported=False, reasons=(reason,))
    report = find_terms(
        found,
        jargon=jargon_index(frozenset(plain_words.items())),
        known=glossary_index(frozenset(glossary)),
        lexicon=shipped_lexicon(),
        explained=explained_acronyms(f"{thread_text}\n{cleaned}"),
    )
    word_count = sum(len(sentence) for sentence in found)
    average = word_count / len(found)
    grade = _flesch_kincaid_grade(found, word_count)
    reasons = _reasons(report, word_count, average, grade, thresholds)
    return MessageScore(
        language=language,
        supported=True,
        words=word_count,
        sentences=len(found),
        avg_words_per_sentence=average,
        jargon_words=report.jargon_words,
        jargon_share=report.jargon_words / word_count,
        unexplained_acronyms=report.unexplained_acronyms,
        readability_grade=grade,
        flagged=report.flagged,
        passes=not reasons,
        reasons=reasons,
    )


def _flesch_kincaid_grade(found: Sequence[Sequence[str]], word_count: int) -> float:
    """Return the Flesch-Kincaid grade over our own sentence split, floored at 0 and rounded to one decimal.

    textstat counts the syllables (CMU pronouncing dictionary, then hyphenation rules). We do not use its
    ``flesch_kincaid_grade`` whole: its sentence counter ignores sentences of two words or fewer, which
    chat is full of ("Fixed it."), and would inflate the average sentence length.
    """
    import textstat  # on first use, like the language models (see detection.py): the API never scores

    syllables = sum(textstat.syllable_count(" ".join(sentence)) for sentence in found)
    grade = 0.39 * (word_count / len(found)) + 11.8 * (syllables / word_count) - 15.59
    return round(max(grade, 0.0), 1)  # below grade 0 the formula says nothing more than "very easy"


def _reasons(
    report: TermReport, word_count: int, average: float, grade: float, thresholds: PlainLanguageThresholds
) -> tuple[str, ...]:
    """Say, in plain words, each threshold the message misses."""
    reasons: list[str] = []
    acronyms = report.unexplained_acronyms
    too_many_acronyms = len(acronyms) > thresholds.max_unexplained_acronyms
    if report.jargon_words / word_count > thresholds.max_jargon_share:
        # Abbreviations get a reason of their own when they break their limit; name them here otherwise.
        terms = [flag for flag in report.flagged if not (too_many_acronyms and flag.term in acronyms)]
        if terms:
            reasons.append(f"{_count(len(terms), 'term')} a client may not know: {_list_terms(terms)}")
    if too_many_acronyms:
        reasons.append(
            f"{_count(len(acronyms), 'abbreviation')} not spelled out: {', '.join(acronyms)}"
            ' (write each in full once, e.g. "continuous integration (CI)")'
        )
    if average > thresholds.max_avg_words_per_sentence:
        reasons.append(
            f"Sentences average {average:.0f} words; aim for {thresholds.max_avg_words_per_sentence:.0f} or fewer"
        )
    if word_count >= thresholds.min_words_for_grade and grade > thresholds.max_grade:
        reasons.append(f"Reads at school grade {grade:.0f}; aim for grade {thresholds.max_grade:.0f} or lower")
    return tuple(reasons)


def _list_terms(terms: Sequence[FlaggedTerm]) -> str:
    """Return "deploy (say "release"), idempotent, …" for the first few terms."""
    shown = [
        f'{flag.term} (say "{flag.suggestion}")' if flag.suggestion else flag.term for flag in terms[:_TERMS_SHOWN]
    ]
    return ", ".join(shown) + (", …" if len(terms) > _TERMS_SHOWN else "")


def _count(number: int, noun: str) -> str:
    """Return "1 term" or "3 terms"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
