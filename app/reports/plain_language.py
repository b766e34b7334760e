"""Score stored developer messages for plain language (app/reports/language_figures.py reads the scores back).

Scoring runs apart from webhook intake (``pulse score``, later the worker), so a slow scorer never
delays an acknowledgement. Which messages: a developer's opening, comment, review or review comment,
with a body, in a work item that belongs to a client.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts
from app.core.db import pairs_in
from app.core.tables import ActivityRow, FlaggedTermRow, MessageScore, WorkItemRow
from app.store.upserts import dialect_insert
from connectors.records import MESSAGE_KINDS
from metrics.model import Role
from metrics.plain_language import MessageScore as Score
from metrics.plain_language import score_message, shipped_lexicon

# Bump when metrics/language changes how a message is read: every stored score is then read again.
SCORER_VERSION = "1"
_KINDS = sorted(str(kind) for kind in MESSAGE_KINDS)
_PAGE = 200
_CHUNK = 400


@dataclass(frozen=True)
class ScoreRun:
    """What one scoring pass did; ``more`` says the limit was reached and messages may still wait.

    ``resume`` is where the sweep stopped: hand it to the next ``score_pending`` call and that one goes on from
    there instead of walking past every message scored before (the sweep over a large history stays linear).
    """

    scored: int = 0
    unsupported: int = 0
    removed: int = 0
    more: bool = False
    resume: ScoreCursor | None = None


@dataclass(frozen=True)
class ScoreCursor:
    """How far one sweep over the clients' messages has gone: the clients done, and the last message id seen in
    the client being scored. Messages edited behind it are found by the next sweep, which starts from nothing."""

    done: frozenset[str] = frozenset()
    client: str | None = None
    after: int = 0


def scorer_version(client: Client) -> str:
    """Name the scorer and the word lists a client's messages are read with, so changing either rescoring."""
    lexicon = shipped_lexicon()
    lists = [
        client.name,
        sorted(term.lower() for term in client.spec.glossary),
        sorted(client.spec.plain_words.items()),
        sorted(lexicon.jargon.items()),
        sorted(lexicon.plain),
        sorted(lexicon.plain_acronyms),
    ]
    digest = hashlib.sha256(json.dumps(lists, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"{SCORER_VERSION}:{digest}"


def score_pending(session: Session, contracts: Contracts, *, limit: int = 500,
                  resume: ScoreCursor | None = None) -> ScoreRun:
    """Score up to ``limit`` developer messages not scored yet, edited since, or scored with other word lists.

    Goes on from ``resume`` (an earlier run's ``resume``) when given, else sweeps from the first message.
    Drops the scores of authors who are no longer developers (the store drops those of deleted messages as it
    stores the deletion). Flushes but does not commit: the caller owns the transaction, so a pass that fails
    leaves nothing half written.
    """
    cursor = resume or ScoreCursor()
    scored = unsupported = removed = 0
    done = set(cursor.done)
    for client in contracts.clients.values():
        if client.name in done:
            continue
        version = scorer_version(client)
        after = cursor.after if client.name == cursor.client else 0
        while scored < limit:
            page = _candidates(session, contracts, client, version, after, min(_PAGE, limit - scored))
            if not page:
                done.add(client.name)
                break
            after = page[-1][0].id
            finished, skipped, dropped = _score_page(session, contracts, client, version, page)
            scored += finished
            unsupported += skipped
            removed += dropped
        if scored >= limit:
            where = None if client.name in done else client.name
            return ScoreRun(scored, unsupported, removed, more=True,
                            resume=ScoreCursor(frozenset(done), where, after if where else 0))
    return ScoreRun(scored, unsupported, removed)


def _candidates(
    session: Session, contracts: Contracts, client: Client, version: str, after: int, page: int
) -> list[tuple[ActivityRow, WorkItemRow, bool]]:
    """Return the next messages of a client's work items that need a score, with whether one is stored."""
    stale = or_(
        MessageScore.source.is_(None),
        MessageScore.scorer_version != version,
        # scored_at holds the edit time of the version scored (see _store), so this is "edited since".
        ActivityRow.updated_at > MessageScore.scored_at,
    )
    stmt = (
        select(ActivityRow, WorkItemRow, MessageScore.source.is_not(None))
        .join(WorkItemRow, and_(WorkItemRow.source == ActivityRow.source, WorkItemRow.key == ActivityRow.item_key))
        .outerjoin(MessageScore, and_(MessageScore.source == ActivityRow.source,
                                      MessageScore.external_id == ActivityRow.external_id))
        .where(
            ActivityRow.id > after,
            ActivityRow.kind.in_(_KINDS),
            ActivityRow.deleted.is_(False),
            func.coalesce(ActivityRow.body, "") != "",
            WorkItemRow.deleted.is_(False),
            _in_client(client),
            _maybe_developer(contracts, client),
            stale,
        )
        .order_by(ActivityRow.id)
        .limit(page)
    )
    return [(a, item, bool(has)) for a, item, has in session.execute(stmt)]


def _in_client(client: Client) -> ColumnElement[bool]:
    repos = [r.lower() for r in client.spec.github_repos]
    projects = [p.upper() for p in client.spec.jira_projects]
    return or_(
        and_(WorkItemRow.source == "github", func.lower(WorkItemRow.container).in_(repos)),
        and_(WorkItemRow.source == "jira", func.upper(WorkItemRow.container).in_(projects)),
    )


def _maybe_developer(contracts: Contracts, client: Client) -> ColumnElement[bool]:
    """Narrow in SQL to authors who may be developers; contracts.resolve has the final word.

    Without it, every client message would be a candidate again on every pass.
    """
    devs = contracts.developers(client.name)
    github = [p.github.lower() for p in devs if p.github]
    jira = [j for p in devs for j in p.jira_ids]
    emails = [e.lower() for p in devs for e in p.emails]
    listed = or_(
        and_(ActivityRow.source == "github", func.lower(ActivityRow.actor_id).in_(github)),
        and_(ActivityRow.source == "jira", ActivityRow.actor_id.in_(jira)),
        func.lower(ActivityRow.actor_email).in_(emails),
    )
    if client.spec.unknown_authors != "developer":
        return listed
    everyone_github = [p.github.lower() for p in contracts.spec.people if p.github]
    everyone_jira = [j for p in contracts.spec.people for j in p.jira_ids]
    unknown = and_(
        ActivityRow.actor_id.is_not(None),
        ActivityRow.actor_is_bot.is_(False),
        ~and_(ActivityRow.source == "github", func.lower(ActivityRow.actor_id).in_(everyone_github)),
        ~and_(ActivityRow.source == "jira", ActivityRow.actor_id.in_(everyone_jira)),
    )
    return or_(listed, unknown)


def _score_page(
    session: Session, contracts: Contracts, client: Client, version: str,
    page: Sequence[tuple[ActivityRow, WorkItemRow, bool]],
) -> tuple[int, int, int]:
    """Score one page of candidates; return (scored, of them unsupported, stale scores removed)."""
    threads = _threads(session, {(a.source, a.item_key) for a, _, _ in page})
    scored = unsupported = removed = 0
    written: list[dict[str, Any]] = []
    for activity, item, has_score in page:
        who = contracts.resolve(client, activity.source, activity.actor_id, email=activity.actor_email,
                                is_bot=activity.actor_is_bot)
        if who.role is not Role.DEVELOPER or who.person is None:
            if has_score:  # the roster changed: this author is no longer a developer
                removed += _remove(session, [(activity.source, activity.external_id)])
            continue
        others = [body for ext, body in threads[(activity.source, activity.item_key)] if ext != activity.external_id]
        score = score_message(
            activity.body or "",
            glossary=client.spec.glossary,
            plain_words=client.spec.plain_words,
            thread_text="\n".join([item.title or "", *others]),
        )
        written.append(_store(session, activity, client.name, who.person, version, score))
        scored += 1
        unsupported += not score.supported
    write_flagged_terms(session, written)
    session.flush()
    return scored, unsupported, removed


def _threads(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Return the message bodies of each work item, for abbreviations spelled out elsewhere in its thread."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        rows = session.execute(
            select(ActivityRow.source, ActivityRow.item_key, ActivityRow.external_id, ActivityRow.body).where(
                pairs_in(ActivityRow.source, ActivityRow.item_key, ordered[start : start + _CHUNK]),
                ActivityRow.kind.in_(_KINDS), ActivityRow.deleted.is_(False),
            ).order_by(ActivityRow.at, ActivityRow.id)
        )
        for source, item_key, external_id, body in rows:
            if body:
                out[(source, item_key)].append((external_id, body))
    return out


def _store(session: Session, activity: ActivityRow, client: str, developer: str, version: str, score: Score
           ) -> dict[str, Any]:
    """Write one score, replacing an older one of the same message; return what was written."""
    values: dict[str, Any] = {
        "source": activity.source, "external_id": activity.external_id, "item_key": activity.item_key,
        "client": client, "developer": developer, "at": activity.at, "language": score.language,
        "supported": score.supported, "words": score.words,
        "jargon_share": score.jargon_share if score.supported else None,
        "unexplained_acronyms": len(score.unexplained_acronyms),
        "avg_words_per_sentence": score.avg_words_per_sentence if score.supported else None,
        "readability_grade": score.readability_grade if score.supported else None,
        "passes": score.passes if score.supported else None,
        "flagged": [{"term": f.term, "count": f.count, "suggestion": f.suggestion} for f in score.flagged],
        "reasons": list(score.reasons),
        "scorer_version": version,
        # The edit time of the message version scored, not the wall clock: an edit that reaches us late
        # (a sync hours after the edit) is still newer than this, so it is rescored.
        "scored_at": activity.updated_at or activity.at,
    }
    stmt = dialect_insert(session, MessageScore.__table__).values(**values)
    keys = ("source", "external_id")
    session.execute(stmt.on_conflict_do_update(
        index_elements=list(keys), set_={k: stmt.excluded[k] for k in values if k not in keys}))
    return values


_TERM_LENGTH = 200  # a longer "word" is kept whole in the score's JSON, cut here to fit the index


def write_flagged_terms(session: Session, scores: Sequence[Any]) -> None:
    """Write the flagged terms of these stored scores as rows of ``flagged_terms``, replacing their old ones.

    ``scores`` are the values written to ``message_scores`` (dicts, or rows with the same attributes). Only a
    supported message's terms count in the figures, so only those are written. Deleting a score deletes its
    terms (the foreign key cascades); a rescored message gets its new terms here, in the same transaction.
    """
    if not scores:
        return
    get = (lambda row, name: row[name]) if isinstance(scores[0], dict) else getattr
    ids = sorted({(get(row, "source"), get(row, "external_id")) for row in scores})
    for start in range(0, len(ids), _CHUNK):
        session.execute(delete(FlaggedTermRow).where(
            pairs_in(FlaggedTermRow.source, FlaggedTermRow.external_id, ids[start : start + _CHUNK])))
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in scores:
        if not get(row, "supported"):
            continue
        for flag in get(row, "flagged") or ():
            term = str(flag["term"])[:_TERM_LENGTH]
            key = (get(row, "source"), get(row, "external_id"), term)
            if key in rows:  # two terms alike in their first 200 characters: one row, their counts added
                rows[key]["count"] += int(flag["count"])
                continue
            rows[key] = {"source": key[0], "external_id": key[1], "term": term, "count": int(flag["count"]),
                         "suggestion": flag.get("suggestion"), "client": get(row, "client"),
                         "developer": get(row, "developer"), "at": get(row, "at")}
    values = list(rows.values())
    for start in range(0, len(values), _CHUNK):
        session.execute(dialect_insert(session, FlaggedTermRow.__table__).values(values[start : start + _CHUNK]))


def _remove(session: Session, keys: Sequence[tuple[str, str]]) -> int:
    removed = 0
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        session.execute(delete(MessageScore).where(pairs_in(MessageScore.source, MessageScore.external_id, chunk)))
        removed += len(chunk)
    return removed


def forget_scores(session: Session, client: str | None = None) -> int:
    """Delete stored scores (of one client, or all), so the next passes score every message afresh."""
    stmt = delete(MessageScore)
    if client is not None:
        stmt = stmt.where(MessageScore.client == client)
    return session.execute(stmt).rowcount or 0
