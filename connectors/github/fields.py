"""Read typed fields of GitHub payloads, refusing the values GitHub's schemas forbid and naming the field.

GitHub's webhook schemas (``@octokit/webhooks-schemas``) and its OpenAPI description are the arbiter: where they say
"integer", "string", "user object or null" or "date-time", anything else is a broken sender, refused with a
PayloadError that names the field rather than stored as junk (a ``comment.id`` that is an object, an issue
``number`` of ``"7"``, a ``user`` that is a bare login). Where they allow null or leave a field out, so do these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.records import Actor, PayloadError, Source, parse_time

SOURCE = Source.GITHUB.value


def kind_of(value: Any) -> str:
    """Name a JSON value's type in words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def path(where: str, name: str) -> str:
    """Return a field's name as people read it: ``comment.id``; a top-level field by its own name (``issue``)."""
    return name if where == "payload" else f"{where}.{name}"


def wrong(where: str, name: str, expected: str, value: Any) -> PayloadError:
    """Return the PayloadError for ``where.name`` holding something other than ``expected``."""
    return PayloadError(f"The GitHub payload's {path(where, name)} must be {expected}, not {kind_of(value)}.")


def field(obj: Mapping[str, Any], name: str, where: str) -> Any:
    """Return ``obj[name]``, raising PayloadError naming ``where.name`` when it is missing or null."""
    value = obj.get(name) if isinstance(obj, Mapping) else None
    if value is None:
        raise PayloadError(f"The GitHub payload has no {path(where, name)}; expected it for this event.")
    return value


def mapping(obj: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """Return ``obj[name]`` as a mapping, raising PayloadError when it is missing or not an object."""
    value = field(obj, name, where)
    if not isinstance(value, Mapping):
        raise wrong(where, name, "an object", value)
    return value


def optional_mapping(obj: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any] | None:
    """Return ``obj[name]`` as a mapping, or None when it is missing or null."""
    value = obj.get(name)
    if value is not None and not isinstance(value, Mapping):
        raise wrong(where, name, "an object or null", value)
    return value


def _integer(value: Any, name: str, where: str) -> int:
    # JSON Schema's "integer" is any number without a fraction: 7.0 is one (draft 6 and later), true is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong(where, name, "a whole number", value)
    return value


def integer(obj: Mapping[str, Any], name: str, where: str) -> int:
    """Return ``obj[name]`` as an integer (an id, a number), raising PayloadError when absent or not one."""
    return _integer(field(obj, name, where), name, where)


def optional_integer(obj: Mapping[str, Any], name: str, where: str) -> int | None:
    """Return ``obj[name]`` as an integer, or None when it is missing or null."""
    value = obj.get(name)
    return None if value is None else _integer(value, name, where)


def string(obj: Mapping[str, Any], name: str, where: str) -> str:
    """Return ``obj[name]`` as text, raising PayloadError when it is missing, null or not text."""
    value = field(obj, name, where)
    if not isinstance(value, str):
        raise wrong(where, name, "text", value)
    return value


def optional_string(obj: Mapping[str, Any], name: str, where: str) -> str | None:
    """Return ``obj[name]`` as text, or None when it is missing or null."""
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise wrong(where, name, "text or null", value)
    return value


def body_text(obj: Mapping[str, Any], name: str, where: str) -> str | None:
    """Return a body as text, treating "" like null (webhooks send null where REST sends "")."""
    return optional_string(obj, name, where) or None


def _time(value: Any, name: str, where: str) -> datetime:
    if not isinstance(value, str):
        raise wrong(where, name, "a date and time (ISO 8601 text)", value)
    # RFC 3339, the schemas' "date-time", allows a lower-case "t" and "z" (section 5.6); fromisoformat does not.
    if len(value) > 10 and value[10] == "t":
        value = f"{value[:10]}T{value[11:]}"
    if value.endswith("z"):
        value = value[:-1] + "Z"
    return parse_time(value, field_name=path(where, name))


def time_field(obj: Mapping[str, Any], name: str, where: str) -> datetime:
    """Return ``obj[name]`` as an aware UTC datetime, raising PayloadError when absent or invalid."""
    return _time(field(obj, name, where), name, where)


def optional_time(obj: Mapping[str, Any], name: str, where: str) -> datetime | None:
    """Return ``obj[name]`` as a UTC datetime, or None when the payload leaves it null."""
    value = obj.get(name)
    return None if value is None else _time(value, name, where)


def actor(user: Mapping[str, Any], where: str) -> Actor | None:
    """Return the Actor for a GitHub user object, or None for one without a login (a deleted user)."""
    login = optional_string(user, "login", where)
    if not login:
        return None
    return Actor(
        source=SOURCE,
        id=login,
        display_name=optional_string(user, "name", where) or None,
        is_bot=user.get("type") == "Bot",
    )


def user(obj: Mapping[str, Any], name: str, where: str) -> Actor | None:
    """Return the Actor of the user ``obj[name]``; None when it is missing or null (GitHub's ghost, or not said)."""
    value = optional_mapping(obj, name, where)
    return None if value is None else actor(value, path(where, name))


def users(obj: Mapping[str, Any], name: str, where: str) -> tuple[Actor, ...]:
    """Return the Actors of the list of users ``obj[name]``, sorted by login; () when it is missing or null."""
    value = obj.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise wrong(where, name, "a list of users", value)
    found = []
    for index, each in enumerate(value):
        if each is None:
            continue
        if not isinstance(each, Mapping):
            raise wrong(where, f"{name}[{index}]", "a user object", each)
        if (one := actor(each, f"{path(where, name)}[{index}]")) is not None:
            found.append(one)
    return tuple(sorted(found, key=lambda a: a.id))


def label_names(obj: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    """Return the sorted names of the labels ``obj[name]`` (objects, or bare names as the REST API allows)."""
    value = obj.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise wrong(where, name, "a list of labels", value)
    names = []
    for index, label in enumerate(value):
        # The OpenAPI schema allows a label to be a bare name as well as an object.
        if isinstance(label, Mapping):
            label = optional_string(label, "name", f"{path(where, name)}[{index}]")
        elif not isinstance(label, str):
            raise wrong(where, f"{name}[{index}]", "a label object or name", label)
        if label:
            names.append(label)
    return tuple(sorted(names))
