"""Split cleaned prose into sentences and words the same way for every count the scorer makes."""

from __future__ import annotations

import re

# Letters or digits, joined by inner apostrophes, dots or hyphens: don't, follow-up, v2.3, e.g
_WORD = re.compile(r"[^\W_]+(?:['.\-][^\W_]+)*")
_BOUNDARY = re.compile(r"(?<=[.!?\u2026])[\"')\]]*\s+")
_ABBREVIATION = re.compile(r"\b(e\.g|i\.e|etc|vs|approx|mrs?|ms|dr|no|cf)\.$", re.IGNORECASE)


def words(text: str) -> list[str]:
    """Return the words of a piece of prose, with typographic apostrophes made plain."""
    return _WORD.findall(text.replace("\u2019", "'"))


def sentences(text: str) -> list[list[str]]:
    """Return the words of each sentence; a line break ends a sentence too, as chat rarely punctuates."""
    found: list[list[str]] = []
    for line in text.split("\n"):
        start = 0
        for boundary in _BOUNDARY.finditer(line):
            if _ABBREVIATION.search(line[: boundary.start()]):
                continue
            found.append(words(line[start : boundary.start()]))
            start = boundary.end()
        found.append(words(line[start:]))
    return [sentence for sentence in found if sentence]
