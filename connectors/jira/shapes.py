"""Small pure readers for Jira JSON shapes shared by the webhook and REST paths."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.records import ISSUE_ID_KEY_PREFIX, Actor, PayloadError, Source, issue_id_of, parse_time

SOURCE = Source.JIRA.value
SD_PUBLIC_COMMENT = "sd.public.comment"  # the comment property Jira Service Management keeps internal-ness in

# Placeholder item key for a Data Center ``comment_created`` delivery that names the issue only by its
# numeric id (the payload has no ``issue``; the id is read from ``comment.self``). See ``issue_id_of``.
_REST_MARKER = "/rest/api/"
_ISSUE_IN_URL = re.compile(r"/rest/api/[^/]+/issue/([^/?#]+)")
_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else raise a PayloadError naming ``what``."""
    if not isinstance(value, Mapping):
        raise PayloadError(f"The Jira payload has no {what} object.")
    return value


def required_str(obj: Mapping[str, Any], name: str, where: str) -> str:
    """Return a non-empty string field (numbers are accepted and converted), else raise PayloadError."""
    value = obj.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PayloadError(f"The Jira payload has no {where}.{name} field.")
    if not isinstance(value, str):
        raise PayloadError(f"The Jira {where}.{name} must be text or a number, not {_shape(value)}.")
    return value.strip()


def issue_key(issue: Mapping[str, Any]) -> str:
    """Return an issue's ``key`` (``PROJ-12``), else raise a PayloadError naming ``issue.key``."""
    value = issue.get("key")
    if value is None or value == "":
        raise PayloadError("The Jira payload has no issue.key field.")
    key = plain_key(value)
    if key is None:
        raise PayloadError(f"The Jira issue.key must be an issue key like PROJ-12, not {_shape(value)}.")
    return key


def plain_key(value: Any) -> str | None:
    """Return ``value`` as an issue key when it is one (``PROJ-12``), else None."""
    if not isinstance(value, str) or not _ISSUE_KEY.match(value.strip()):
        return None
    return value.strip()


def plain_issue_id(value: Any) -> str | None:
    """Return a numeric Jira issue id (``10045``, as a number or as text), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdecimal():
        return value.strip()
    return None


def _shape(value: Any) -> str:
    """Name a wrong value for an error message: short values as they are, longer ones by their JSON type."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def optional_time(value: Any, field_name: str) -> datetime | None:
    """Parse a Jira time if present; None when the field is empty."""
    if value is None or value == "":
        return None
    return parse_time(value, field_name=field_name)


def name_of(value: Any) -> str | None:
    """Return the ``name`` of a Jira named object (status, priority, issuetype, resolution)."""
    if isinstance(value, Mapping):
        name = value.get("name")
        return name if isinstance(name, str) and name else None
    return None


def actor_from(user: Any) -> Actor | None:
    """Return the Actor for a Jira user object, keyed on accountId (Cloud) or key/name (Data Center)."""
    if not isinstance(user, Mapping):
        return None
    # Pre-2019 Cloud captures carry name/key next to accountId; accountId is the stable one.
    for field in ("accountId", "key", "name"):
        ident = user.get(field)
        if isinstance(ident, str) and ident:
            break
    else:
        return None
    email = user.get("emailAddress")
    # Cloud hides e-mails behind privacy settings and sometimes sends placeholders such as '"?"'.
    if not isinstance(email, str) or "@" not in email:
        email = None
    display = user.get("displayName")
    return Actor(
        source=SOURCE,
        id=ident,
        display_name=display if isinstance(display, str) and display else None,
        is_bot=user.get("accountType") == "app",
        email=email,
    )


def user_ids(user: Any) -> set[str]:
    """Return every identifier a user object carries (accountId, key, name)."""
    if not isinstance(user, Mapping):
        return set()
    return {v for f in ("accountId", "key", "name") if isinstance(v := user.get(f), str) and v}


def comment_restriction(comment: Mapping[str, Any]) -> dict[str, Any]:
    """Return what keeps a comment from the client: ``{}`` when public, else ``internal`` (and ``visibility``).

    Jira Service Management marks an internal note with ``jsdPublic: false`` (Cloud webhooks and REST) and
    with the comment property ``sd.public.comment`` = ``{"internal": true}`` (returned only when comments
    are read with ``expand=properties``); any Jira comment can also be restricted to a project role or a
    group by ``visibility``. Any one of them makes the comment not public.
    """
    restricted = _visibility_text(comment.get("visibility"))
    if restricted is not None:
        return {"internal": True, "visibility": restricted}
    if comment.get("jsdPublic") is False or _internal_property(comment.get("properties")):
        return {"internal": True}
    return {}


def _visibility_text(visibility: Any) -> str | None:
    """Return ``"role:Developers"`` / ``"group:jira-developers"`` for a restriction, None for none."""
    if not isinstance(visibility, Mapping) or visibility.get("type") not in ("role", "group"):
        return None
    # Cloud names a group by "identifier" (its id) next to "value" (its name); older payloads send the name only.
    for field in ("value", "identifier"):
        name = visibility.get(field)
        if isinstance(name, str) and name.strip():
            return f"{visibility['type']}:{name.strip()}"
    return None


def _internal_property(properties: Any) -> bool:
    if not isinstance(properties, list):
        return False
    return any(
        isinstance(prop, Mapping)
        and prop.get("key") == SD_PUBLIC_COMMENT
        and isinstance(prop.get("value"), Mapping)
        and prop["value"].get("internal") is True
        for prop in properties
    )


def base_url_from_self(self_url: Any) -> str | None:
    """Return the site's base URL from a REST ``self`` link (everything before ``/rest/api/``)."""
    if not isinstance(self_url, str):
        return None
    head, sep, _ = self_url.partition(_REST_MARKER)
    return head.rstrip("/") if sep and head else None


def issue_ref_from_self(self_url: Any) -> str | None:
    """Return the issue key or numeric id a comment's ``self`` URL names."""
    if not isinstance(self_url, str):
        return None
    match = _ISSUE_IN_URL.search(self_url)
    return match.group(1) if match else None


def item_key_for_ref(ref: str) -> str:
    """Return the item key for an issue reference: the key itself, or the documented id placeholder."""
    if _ISSUE_KEY.match(ref):
        return ref
    issue_id = plain_issue_id(ref)
    if issue_id is None:
        raise PayloadError(f"The Jira comment.self URL names neither an issue key nor an issue id: {ref[:40]!r}.")
    return ISSUE_ID_KEY_PREFIX + issue_id


def browse_url(base_url: str | None, key: str) -> str | None:
    """Return the human link to an issue."""
    return f"{base_url}/browse/{key}" if base_url else None


def comment_url(base_url: str | None, key: str, comment_id: str) -> str | None:
    """Return the human link to a comment (Jira's focusedCommentId permalink)."""
    if not base_url or issue_id_of(key) is not None:
        return None
    return f"{base_url}/browse/{key}?focusedCommentId={comment_id}"


def text_of(body: Any) -> str | None:
    """Return plain text for a body: wiki-markup strings as-is, Atlassian Document Format flattened."""
    if body is None:
        return None
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping):
        parts: list[str] = []
        _adf_text(body, parts)
        text = "".join(parts).strip("\n")
        return text
    return str(body)


_ADF_BLOCKS = frozenset({"paragraph", "heading", "blockquote", "codeBlock", "listItem", "rule", "panel", "tableRow"})


def _adf_text(node: Mapping[str, Any], parts: list[str]) -> None:
    """Append the text of an ADF node to ``parts`` (REST v3 bodies; webhooks send wiki markup)."""
    kind = node.get("type")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), Mapping) else {}
    if kind == "text":
        parts.append(str(node.get("text", "")))
    elif kind == "hardBreak":
        parts.append("\n")
    elif kind in ("mention", "emoji", "status", "date"):
        parts.append(str(attrs.get("text") or attrs.get("shortName") or ""))
    elif kind in ("inlineCard", "blockCard"):
        parts.append(str(attrs.get("url", "")))
    content = node.get("content")
    for child in content if isinstance(content, list) else ():
        if isinstance(child, Mapping):
            _adf_text(child, parts)
    if kind in _ADF_BLOCKS and parts and not parts[-1].endswith("\n"):
        parts.append("\n")
