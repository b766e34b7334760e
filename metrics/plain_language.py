"""Plain language, the third promise: score developer messages for words and sentences a client can follow.

Pure: text in, frozen dataclasses out. The only file read is the lexicon shipped in ``metrics/data``.
"""

from __future__ import annotations

from metrics.language.cleaning import clean_message
from metrics.language.detection import detect_language
from metrics.language.lexicon import shipped_lexicon
from metrics.language.results import (
    DEFAULT_THRESHOLDS,
    FlaggedTerm,
    MessageScore,
    PlainLanguageSummary,
    PlainLanguageThresholds,
)
from metrics.language.scoring import SUPPORTED_LANGUAGES, score_message
from metrics.language.summary import LanguageTotals, aggregate, summarize
from metrics.language.terms import RARE_WORD_ZIPF, explained_acronyms

__all__ = [
    "DEFAULT_THRESHOLDS",
    "RARE_WORD_ZIPF",
    "SUPPORTED_LANGUAGES",
    "FlaggedTerm",
    "LanguageTotals",
    "MessageScore",
    "PlainLanguageSummary",
    "PlainLanguageThresholds",
    "aggregate",
    "clean_message",
    "detect_language",
    "explained_acronyms",
    "score_message",
    "shipped_lexicon",
    "summarize",
]
