"""Where the activities of a moved work item go: the same facts, under the key the item has now. Pure.

A natural key or link that names the item's old key names the new one, so a fact stored before the move and the
same fact a later sync reads under the new key are one row, whichever arrives first.
"""

from __future__ import annotations

import re
from dataclasses import replace

from connectors.records import Activity, Source


def names_item(external_id: str, key: str) -> bool:
    """Tell whether a natural key names its item's key: ``opened:<key>``, GitHub's ``<fact>:<key>:<time>...``."""
    _, sep, rest = external_id.partition(":")
    return bool(sep) and (rest == key or rest.startswith(key + ":"))


def refiled(activity: Activity, key: str) -> Activity:
    """Return the activity filed under another item ``key``, its natural key and link naming that key.

    Ids the source gives (``comment:<id>``, ``changelog:<history id>:<field>``) stay as they are.
    """
    old = activity.item_key
    if old == key:
        return activity
    external_id = activity.external_id
    if names_item(external_id, old):
        prefix, _, rest = external_id.partition(":")
        external_id = f"{prefix}:{key}{rest[len(old):]}"
    return replace(activity, item_key=key, external_id=external_id, url=_moved_link(activity, key))


def _moved_link(activity: Activity, key: str) -> str | None:
    """Return the activity's web link on the item's new page (GitHub and Jira redirect old pages, not links)."""
    url = activity.url
    if url is None:
        return None
    for old_path, new_path in zip(_web_paths(activity.source, activity.item_key), _web_paths(activity.source, key),
                                  strict=True):
        # "/browse/SHOP-7" must not match "/browse/SHOP-70": the path ends where the number does.
        url = re.sub(re.escape(old_path) + r"(?![0-9])", new_path.replace("\\", "\\\\"), url)
    return url


def _web_paths(source: str, key: str) -> tuple[str, ...]:
    """Return the paths of an item's web pages: ``/owner/repo/issues/7`` (GitHub), ``/browse/SHOP-7`` (Jira)."""
    if source == Source.GITHUB:
        repo, _, number = key.rpartition("#")
        return (f"/{repo}/issues/{number}", f"/{repo}/pull/{number}")
    return (f"/browse/{key}",)
