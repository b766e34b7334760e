"""What the plain-language scorer returns: frozen dataclasses, explainable field by field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlainLanguageThresholds:
    """Limits a message must stay within to pass as plain language.

    Defaults follow common plain-language guidance: sentences of 15-20 words on average, text a
    15-year-old reads (Flesch-Kincaid grade 10 or lower), and no unexplained abbreviations.
    """

    max_jargon_share: float = 0.10  # at most one word in ten a client may not know
    max_unexplained_acronyms: int = 0  # every unexplained abbreviation is a question the client must ask
    max_avg_words_per_sentence: float = 20.0
    max_grade: float = 10.0
    # A reading grade over a one-liner is noise ("Idempotent." reads at grade 32), so it is only judged
    # once a message has this many words; the grade is still reported.
    min_words_for_grade: int = 20


DEFAULT_THRESHOLDS = PlainLanguageThresholds()


@dataclass(frozen=True, slots=True)
class FlaggedTerm:
    """A term a client may not know, how often it appeared, and a plain alternative when we have one."""

    term: str
    count: int
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class MessageScore:
    """The plain-language reading of one developer message.

    ``supported`` is False for a message the scorer does not read (a language other than English, or
    nothing left after cleaning); such a message has zero counts, ``passes`` False and a reason, and
    must be counted as skipped, never as failed.
    """

    language: str
    supported: bool
    words: int = 0
    sentences: int = 0
    avg_words_per_sentence: float = 0.0
    jargon_words: int = 0
    jargon_share: float = 0.0
    unexplained_acronyms: tuple[str, ...] = ()
    readability_grade: float = 0.0
    flagged: tuple[FlaggedTerm, ...] = ()
    passes: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlainLanguageSummary:
    """Plain-language figures over many messages; the shares are None when there is too little to tell."""

    messages: int
    scored_messages: int
    skipped_messages: int
    words: int
    passed_messages: int
    pass_share: float | None
    mean_jargon_share: float | None  # jargon words over all scored words, so long messages weigh more
    top_flagged: tuple[FlaggedTerm, ...]
    enough_data: bool
    note: str | None = None
