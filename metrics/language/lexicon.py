"""Load the shipped plain-words lexicon and look terms up in a message's words, inflections included."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files

import yaml

_LEXICON_RESOURCE = ("metrics", "data/plain_words.yaml")
_CAPS_PLURAL = re.compile(r"^([A-Z0-9]{2,})s$")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The shipped word lists: jargon with plain alternatives, and words that are plain though rare."""

    jargon: Mapping[str, str]
    plain: frozenset[str]
    plain_acronyms: frozenset[str]


@dataclass(frozen=True, slots=True)
class Term:
    """A lexicon or glossary entry as it matched: the words it covered, how to show it, what to say instead."""

    display: str
    length: int
    suggestion: str | None = None


@dataclass(slots=True)
class TermIndex:
    """Terms ready for lookup: single words (any case or capitals only) and phrases keyed by first word."""

    words: dict[str, Term] = field(default_factory=dict)
    capitals: dict[str, Term] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], Term]]] = field(default_factory=dict)

    def match(self, words: Sequence[str], start: int) -> Term | None:
        """Return the longest term that begins at ``words[start]``, or None."""
        word = words[start]
        for phrase, term in self.phrases.get(word.lower(), ()):
            end = start + len(phrase)
            if end <= len(words) and _phrase_matches(phrase, words[start:end]):
                return term
        if word.isupper() or _CAPS_PLURAL.match(word):
            base = _CAPS_PLURAL.sub(r"\1", word)
            if base in self.capitals:
                return self.capitals[base]
        return next((self.words[form] for form in base_forms(word.lower()) if form in self.words), None)


@cache
def shipped_lexicon() -> Lexicon:
    """Read the lexicon that ships inside the package."""
    package, path = _LEXICON_RESOURCE
    data = yaml.safe_load(files(package).joinpath(path).read_text(encoding="utf-8"))
    return Lexicon(
        jargon={str(term): str(suggestion) for term, suggestion in data["jargon"].items()},
        plain=frozenset(str(word).lower() for word in data["plain"]),
        plain_acronyms=frozenset(str(word) for word in data["plain_acronyms"]),
    )


def build_index(entries: Iterable[tuple[str, str | None]]) -> TermIndex:
    """Index terms; a term written in capitals ("PR", "REST") matches only capitals, any other any case."""
    index = TermIndex()
    for raw, suggestion in entries:
        parts = tuple(raw.split())
        if not parts:
            continue
        term = Term(display=raw.strip(), length=len(parts), suggestion=suggestion or None)
        if len(parts) > 1:
            index.phrases.setdefault(parts[0].lower(), []).append((tuple(p.lower() for p in parts), term))
        elif raw.isupper():
            index.capitals[raw] = term
        else:
            index.words[raw.lower()] = term
    for candidates in index.phrases.values():
        candidates.sort(key=lambda candidate: -len(candidate[0]))
    return index


@lru_cache(maxsize=64)
def jargon_index(client_plain_words: frozenset[tuple[str, str]]) -> TermIndex:
    """Index the shipped jargon merged with a client's own plain words, the client's suggestion winning."""
    merged = {term.lower(): (term, suggestion) for term, suggestion in shipped_lexicon().jargon.items()}
    merged.update({term.lower(): (term, suggestion) for term, suggestion in client_plain_words})
    return build_index(merged.values())


@lru_cache(maxsize=64)
def glossary_index(glossary: frozenset[str]) -> TermIndex:
    """Index a client's glossary: terms the client knows, matched in any case."""
    return build_index((term.lower(), None) for term in glossary)


def base_forms(word: str) -> Iterator[str]:
    """Yield a lower-case word and the base forms it may inflect from (deployed -> deploy, queries -> query)."""
    yield word
    if word.endswith("'s"):
        yield word[:-2]
    if word.endswith("ies"):
        yield word[:-3] + "y"
    if word.endswith("es"):
        yield word[:-2]
    if word.endswith("s"):
        yield word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            yield stem
            yield stem + "e"
            if stem[-1] == stem[-2]:
                yield stem[:-1]  # committed -> commit


def _phrase_matches(phrase: tuple[str, ...], words: Sequence[str]) -> bool:
    """Tell whether words spell a phrase, allowing the last word to be inflected (race conditions)."""
    *head, last = phrase
    lowered = [word.lower() for word in words]
    return lowered[:-1] == head and last in base_forms(lowered[-1])
