"""Tell which language a cleaned message is written in, so the scorer never judges a language it cannot read.

py3langid (with numpy) and wordfreq are imported on first use: together they take seconds to import, and most
processes that import the metrics (the API, `pulse --help`) never score a message.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

UNDETERMINED = "und"
ENGLISH = "en"

_LETTERS_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")
_MOSTLY = 0.5
_COMMON_ZIPF = 3.0  # a word seen at least once per million words of that language counts as "its" word


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of the text's language, or ``"und"`` when it has no letters."""
    words = _LETTERS_WORD.findall(text.replace("\u2019", "'"))
    if not words:
        return UNDETERMINED
    if _latin_share("".join(words)) < 0.5:
        # Cyrillic, Greek, CJK...: certainly not English; the model only names which language it is.
        return _model_guess(text)
    prose = [word for word in words if not _ACRONYM.match(word)]
    if not prose:
        # "LGTM", "PR CI": nothing but Latin abbreviations, which are English shop talk.
        return ENGLISH
    guess = _model_guess(" ".join(prose))
    if guess == ENGLISH:
        return ENGLISH
    # Character n-gram models misname short chat replies ("Will do" -> Italian, "Looks good to me" ->
    # Afrikaans); a vote of word frequencies settles it, and a tie goes to English, the language we score.
    lowered = [word.lower() for word in prose]
    english = _known_share(lowered, ENGLISH)
    if guess in _wordfreq_languages():
        return ENGLISH if english >= _known_share(lowered, guess) else guess
    # No word list to vote against (Latin, Afrikaans...): English needs most of its words to be English.
    return ENGLISH if english >= _MOSTLY else guess


def _latin_share(letters: str) -> float:
    """Return the share of letters written in the Latin script."""
    latin = sum(1 for letter in letters if _is_latin(letter))
    return latin / len(letters)


@lru_cache(maxsize=4096)
def _is_latin(letter: str) -> bool:
    """Tell whether a letter belongs to the Latin script (ASCII or accented)."""
    return letter.isascii() or unicodedata.name(letter, "").startswith("LATIN")


def _known_share(words: list[str], language: str) -> float:
    """Return the share of words that are common in a language wordfreq knows."""
    from wordfreq import zipf_frequency

    return sum(1 for word in words if zipf_frequency(word, language) >= _COMMON_ZIPF) / len(words)


@lru_cache(maxsize=1)
def _wordfreq_languages() -> frozenset[str]:
    """Return the languages wordfreq ships frequency lists for."""
    from wordfreq import available_languages

    return frozenset(available_languages())


def _model_guess(text: str) -> str:
    """Return py3langid's best guess; its model ships inside the wheel and is loaded on first use."""
    import py3langid

    language, _score = py3langid.classify(text)
    return str(language)
