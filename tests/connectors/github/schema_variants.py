"""GitHub's webhook examples and schema-valid variants of them, guided by ``@octokit/webhooks-schemas``.

``WebhookSchemas`` validates a payload against the schema of its event and action (JSON Schema draft 7, with
``date-time`` and ``uri`` checked), brings an example that an older payload version left incomplete into shape
(``repaired``), and derives variants of a valid payload that the schema still allows (``variants``): optional
properties dropped, nullable ones set to null, enum values the examples never use, empty strings, large or zero
integers, booleans flipped, empty lists, and the same instants written in other RFC 3339 forms. Every variant is
validated before it is returned, so a test posts only what the schema allows; a fixed ``random.Random`` makes the
variants the same on every run.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import orjson

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")
_DROP = object()  # a site's new value that removes the property
_LARGE = (0, 2**31, 2**53 - 1, 2**63 - 1)  # GitHub ids are int64; 0 is a valid integer the examples never use
_MOMENT = "2019-05-15T15:20:18Z"  # a plausible time for a date-time the repair has to invent
_DEPTH_WEIGHT = {1: 8.0, 2: 4.0, 3: 1.5}  # how often a change is picked at a depth (deeper: 0.5)


@dataclass(frozen=True)
class Example:
    """One official example payload: its flavour (api.github.com, ghes-3x), event and action."""

    flavour: str
    event: str
    action: str | None
    payload: Mapping[str, Any]

    @property
    def name(self) -> str:
        return f"{self.flavour}/{self.event}.{self.action or '-'}"


@dataclass(frozen=True)
class Variant:
    """A schema-valid payload derived from an example, and the changes that made it."""

    base: str
    event: str
    action: str
    changes: tuple[str, ...]
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.base} [{'; '.join(self.changes) or 'as is'}]"


def examples(package: Path, events: set[str]) -> list[Example]:
    """Return every example of ``events`` in every flavour folder of ``@octokit/webhooks-examples``."""
    found = []
    for index in sorted(package.glob("*/index.json")):
        for definition in json.loads(index.read_text(encoding="utf-8")):
            if definition["name"] in events:
                found.extend(
                    Example(index.parent.name, definition["name"], payload.get("action"), payload)
                    for payload in definition["examples"]
                )
    return found


def _formats() -> jsonschema.FormatChecker:
    # jsonschema checks date-time and uri only with optional packages; these two are all the schemas use that
    # matter here (uri-template is left unchecked).
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(lambda value: not isinstance(value, str) or bool(_DATE_TIME.match(value)))
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
    return checker


class WebhookSchemas:
    """The webhook schemas: validation per event and action, repair of old examples, and variants."""

    def __init__(self, schema_file: Path) -> None:
        self.definitions: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))["definitions"]
        self._formats = _formats()
        self._validators: dict[int, jsonschema.Draft7Validator] = {}

    def actions(self, event: str) -> list[str]:
        """Return every action the schema knows for ``event``, from its ``oneOf``."""
        refs = self.definitions[f"{event}_event"]["oneOf"]
        return [ref["$ref"].rsplit("$", 1)[1] for ref in refs]

    def schema(self, event: str, action: str) -> Mapping[str, Any]:
        return self.definitions[f"{event}${action}"]

    def _validator(self, schema: Mapping[str, Any]) -> jsonschema.Draft7Validator:
        key = id(schema)
        if key not in self._validators:
            rooted = {**schema, "definitions": self.definitions}
            self._validators[key] = jsonschema.Draft7Validator(rooted, format_checker=self._formats)
        return self._validators[key]

    def errors(self, event: str, action: str, payload: Any) -> list[jsonschema.ValidationError]:
        """Return why ``payload`` is not a valid ``event`` ``action`` delivery (empty: it is one)."""
        return list(self._validator(self.schema(event, action)).iter_errors(payload))

    def is_valid(self, event: str, action: str, payload: Any) -> bool:
        return self._validator(self.schema(event, action)).is_valid(payload)

    def _resolve(self, schema: Any) -> Mapping[str, Any]:
        while isinstance(schema, Mapping) and "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[1]]
        return schema if isinstance(schema, Mapping) else {}

    # --- repair: an example of an older payload version, or of another action, brought into shape ---

    def repaired(self, event: str, action: str, payload: Mapping[str, Any], rounds: int = 15) -> dict | None:
        """Return ``payload`` as a valid ``event`` ``action`` delivery, adding what it lacks and dropping extras."""
        doc: Any = dict(_copy(payload), action=action)
        for _ in range(rounds):
            errors = self.errors(event, action, doc)
            if not errors:
                return doc
            for error in errors:
                doc = self._fix(doc, error)
        return None

    def _fix(self, doc: Any, error: jsonschema.ValidationError) -> Any:
        path, schema = list(error.absolute_path), error.schema
        node = _get(doc, path)
        if error.validator in ("oneOf", "anyOf") and error.context:
            branch = _closest_branch(error.context)
            if branch:
                for sub in branch:
                    doc = self._fix(doc, sub)
                return doc
        if error.validator == "required" and isinstance(node, dict):
            properties = schema.get("properties", {})
            for name in error.validator_value:
                if name not in node:
                    node[name] = self.minimal(properties.get(name, {}), name)
            return doc
        if error.validator == "additionalProperties" and isinstance(node, dict):
            for name in [name for name in node if name not in schema.get("properties", {})]:
                del node[name]
            return doc
        name = path[-1] if path and isinstance(path[-1], str) else None
        return _set(doc, path, self.minimal(schema, name))

    def minimal(self, schema: Any, name: str | None = None, depth: int = 0) -> Any:
        """Return a small value valid under ``schema`` (a name ending in ``_at`` gets a date-time)."""
        schema = self._resolve(schema)
        if depth > 12:
            return None
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return next((value for value in schema["enum"] if value is not None), None)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                value = self.minimal(sub, name, depth + 1)
                if not isinstance(value, dict):
                    return value
                merged |= value
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = [b for b in schema[key] if self._resolve(b).get("type") != "null"] or schema[key]
                return self.minimal(branches[0], name, depth + 1)
        types = schema.get("type", "object" if "properties" in schema else "null")
        kind = next((t for t in types if t != "null"), "null") if isinstance(types, list) else types
        if kind == "object":
            properties = schema.get("properties", {})
            return {p: self.minimal(properties.get(p, {}), p, depth + 1) for p in schema.get("required", [])}
        if kind == "array":
            return [self.minimal(schema.get("items", {}), None, depth + 1) for _ in range(schema.get("minItems", 0))]
        if kind == "string":
            if schema.get("format") == "date-time" or (name or "").endswith("_at"):
                return _MOMENT
            return "https://example.com/x" if schema.get("format", "").startswith("uri") else "x"
        return {"integer": schema.get("minimum", 1), "number": 1, "boolean": False}.get(kind)

    # --- variants ---

    def variants(self, event: str, action: str, base: str, payload: Mapping[str, Any], rng: random.Random,
                 count: int) -> Iterator[Variant]:
        """Yield up to ``count`` distinct valid variants of a valid ``payload``: its leanest forms, then random ones."""
        sites = list(self._sites(self.schema(event, action), payload, ()))
        seen: set[tuple[str, ...]] = set()
        # First the leanest forms, every optional property near the top dropped, or every nullable one null.
        leanest = [[s for s in sites if s.change == change and len(s.path) <= 2] for change in ("dropped", "null")]
        # Shallow places (the payload's own fields, the issue's, the comment's) are picked most often: they are
        # fewer than the repository's and users' many, and they are what a normalizer reads.
        weights = [_DEPTH_WEIGHT.get(len(site.path), 0.5) for site in sites]
        picks = (rng.choices(range(len(sites)), weights, k=rng.randint(1, 4)) for _ in range(count * 3))
        tries = [*leanest, *([sites[i] for i in sorted(set(pick))] for pick in picks)]
        made = 0
        for chosen in tries:
            if made >= count:
                return
            doc, changes = _copy(payload), []
            for site in chosen:
                if _apply(doc, site):
                    changes.append(site.describe())
            key = tuple(sorted(changes))
            if not changes or key in seen or not self.is_valid(event, action, doc):
                continue
            seen.add(key)
            made += 1
            yield Variant(base, event, action, tuple(changes), doc)

    def _branch(self, branches: list[Any], value: Any) -> Any:
        """Return the oneOf/anyOf branch ``value`` is valid under (by its JSON type when only one branch fits)."""
        typed = [b for b in branches if _type_fits(self._resolve(b), value)]
        if len(typed) == 1:
            return typed[0]
        return next((b for b in typed if self._validator(self._resolve(b)).is_valid(value)), None)

    def _sites(self, schema: Any, value: Any, path: tuple) -> Iterator[_Site]:
        """Yield the changes the schema allows at ``path`` and below, for the value the payload holds there."""
        schema = self._resolve(schema)
        for sub in schema.get("allOf", ()):
            yield from self._sites(sub, value, path)
        for key in ("oneOf", "anyOf"):
            if key in schema and (branch := self._branch(schema[key], value)) is not None:
                yield from self._sites(branch, value, path)
        if isinstance(value, dict):
            required = set(schema.get("required", ()))
            for name, sub in schema.get("properties", {}).items():
                if name not in value:
                    continue
                if name not in required:
                    yield _Site((*path, name), "dropped", _DROP)
                yield from self._alternatives(sub, value[name], (*path, name))
                yield from self._sites(sub, value[name], (*path, name))
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            if value and not schema.get("minItems"):
                yield _Site(path, "empty list", [])
            for index, each in enumerate(value[:2]):
                yield from self._sites(schema["items"], each, (*path, index))

    def _alternatives(self, schema: Any, value: Any, path: tuple) -> Iterator[_Site]:
        """Yield other values the schema allows in place of ``value``."""
        flat = self._flat(schema)
        if value is not None and flat.nullable:
            yield _Site(path, "null", None)
        for other in flat.enum:
            if other != value and other is not None:
                yield _Site(path, f"enum {other!r}", other)
        if isinstance(value, str) and "string" in flat.types and not flat.enum:
            if flat.formats == {"date-time"} and _DATE_TIME.match(value):
                for form in _other_forms(value):
                    yield _Site(path, f"written {form!r}", form)
            elif not flat.formats:
                yield _Site(path, "empty text", "")
        if isinstance(value, int) and not isinstance(value, bool) and "integer" in flat.types and not flat.bounded:
            for large in _LARGE:
                if large != value and not flat.enum:
                    yield _Site(path, f"integer {large}", large)
        if isinstance(value, bool) and "boolean" in flat.types and not flat.enum:
            yield _Site(path, f"boolean {not value}", not value)

    def _flat(self, schema: Any) -> _Flat:
        """Flatten a property's schema (its $ref, allOf, oneOf/anyOf branches) into what a value may be."""
        flat = _Flat(set(), set(), [], False)
        stack = [schema]
        while stack:
            node = self._resolve(stack.pop())
            types = node.get("type", ())
            flat.types.update([types] if isinstance(types, str) else types)
            if "format" in node:
                flat.formats.add(node["format"])
            for value in [*node.get("enum", ()), *([node["const"]] if "const" in node else [])]:
                if value not in flat.enum:
                    flat.enum.append(value)
            flat.bounded = flat.bounded or "minimum" in node or "maximum" in node
            for key in ("oneOf", "anyOf", "allOf"):
                stack.extend(node.get(key, ()))
        return flat


@dataclass
class _Flat:
    types: set[str]
    formats: set[str]
    enum: list[Any]  # with a const: only these values (null among them when allowed)
    bounded: bool

    @property
    def nullable(self) -> bool:
        return "null" in self.types or None in self.enum


@dataclass(frozen=True)
class _Site:
    path: tuple
    change: str
    value: Any

    def describe(self) -> str:
        where = ".".join(str(p) for p in self.path) or "payload"
        return f"{where} {self.change}"


_JSON_TYPES = {"null": type(None), "boolean": bool, "string": str, "array": list, "object": dict}


def _type_fits(schema: Mapping[str, Any], value: Any) -> bool:
    """Tell whether ``value``'s JSON type is one ``schema`` declares (any, when it declares none)."""
    types = schema.get("type")
    if types is None:
        return True
    for name in [types] if isinstance(types, str) else types:
        if name in ("integer", "number"):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return name == "number" or float(value).is_integer()
        elif isinstance(value, _JSON_TYPES[name]):
            return True
    return False


def _copy(value: Any) -> Any:
    """Return a deep copy of a JSON value (orjson: several times faster than copy.deepcopy)."""
    return orjson.loads(orjson.dumps(value))


def _other_forms(text: str) -> list[str]:
    """Return the same instant in other RFC 3339 forms: +00:00, fractions, another offset, lower case."""
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
    plain = moment.strftime("%Y-%m-%dT%H:%M:%S")
    east = moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(timespec="seconds")
    west = moment.astimezone(timezone(-timedelta(hours=8))).isoformat(timespec="milliseconds")
    return [f"{plain}+00:00", f"{plain}.000000001Z", east, west, f"{plain.lower()}z", f"{plain}-00:00"]


def _closest_branch(context: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """Return the errors of the oneOf/anyOf branch nearest to valid: the fewest errors, not of the wrong type."""
    branches: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    usable = [errors for errors in branches.values() if not any(e.validator == "type" and not e.path for e in errors)]
    return min(usable, key=len) if usable else []


def _get(doc: Any, path: list) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: list, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _apply(doc: dict, site: _Site) -> bool:
    """Apply one change to ``doc``; False when an earlier change removed its place."""
    try:
        parent = _get(doc, list(site.path[:-1]))
    except (KeyError, IndexError, TypeError):
        return False
    last = site.path[-1] if site.path else None
    if last is None or not isinstance(parent, dict | list):
        return False
    if isinstance(parent, dict) and last not in parent:
        return False
    if isinstance(parent, list) and not (isinstance(last, int) and last < len(parent)):
        return False
    if site.value is _DROP:
        del parent[last]
    else:
        parent[last] = _copy(site.value)
    return True


def bases(schemas: WebhookSchemas, found: list[Example]) -> list[tuple[str, str, str, dict]]:
    """Return (name, event, action, payload) for every action the schema knows of the examples' events: each distinct
    example of it made valid (``repaired``), or for an action without one, the event's first example made into it."""
    made: list[tuple[str, str, str, dict]] = []
    # Several flavours share examples word for word: each payload is a base once.
    distinct: dict[str, Example] = {}
    for example in found:
        distinct.setdefault(json.dumps(example.payload, sort_keys=True), example)
    unique = list(distinct.values())
    for event in sorted({e.event for e in unique if f"{e.event}_event" in schemas.definitions}):
        own = [e for e in unique if e.event == event]
        for action in schemas.actions(event):
            for example in [e for e in own if e.action == action] or own[:1]:
                doc = schemas.repaired(event, action, example.payload)
                if doc is not None:
                    made.append((example.name if example.action == action else f"{example.name} as {action}",
                                 event, action, doc))
    return made
