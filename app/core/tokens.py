"""API bearer tokens: from PULSE_API_TOKENS, or created with `pulse token create` (only the hash is stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.tables import ApiToken

READ_PREFIX = "read:"
TOKEN_PREFIX = "pls_"  # noqa: S105 - a visible prefix, so leaked tokens are easy to search for


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class KnownToken:
    """A configured token, kept only as its SHA-256 digest."""

    digest: bytes
    scope: Scope
    name: str


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's name and what it may do."""

    name: str
    scope: Scope

    @property
    def is_admin(self) -> bool:
        return self.scope is Scope.ADMIN


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def configured_tokens(entries: Iterable[str]) -> list[KnownToken]:
    """Read PULSE_API_TOKENS entries: a plain entry is an admin token, `read:<token>` a read-only one."""
    known = []
    for number, entry in enumerate(entries, start=1):
        scope, token = Scope.ADMIN, entry
        if entry.startswith(READ_PREFIX):
            scope, token = Scope.READ, entry.removeprefix(READ_PREFIX)
        if token:
            known.append(KnownToken(token_digest(token), scope, f"PULSE_API_TOKENS entry {number}"))
    return known


def match_configured(token: str, known: Sequence[KnownToken]) -> Caller | None:
    """Find the configured token, comparing against every entry in constant time."""
    given = token_digest(token)
    found: KnownToken | None = None
    for candidate in known:
        if hmac.compare_digest(given, candidate.digest) and found is None:
            found = candidate
    return Caller(found.name, found.scope) if found else None


def match_stored(session: Session, token: str) -> Caller | None:
    """Find a created, unrevoked token by its hash.

    The lookup is by SHA-256 digest, so its timing tells nothing about the token itself.
    """
    digest = token_digest(token).hex()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return Caller(row.name, Scope(row.scope))


def create_token(session: Session, *, name: str, scope: Scope) -> tuple[ApiToken, str]:
    """Create a token and store its hash; return the row and the token (shown once, never stored)."""
    if not name.strip():
        raise ValueError("give the token a name that says who uses it, e.g. --name billing-sheet")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip(), token_hash=token_digest(token).hex(), scope=scope.value,
                   created_at=datetime.now(UTC).replace(microsecond=0))
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, ident: str, now: datetime) -> list[ApiToken]:
    """Revoke the tokens with this id or name; return the ones revoked now."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    query = query.where(ApiToken.id == int(ident)) if ident.isdigit() else query.where(ApiToken.name == ident)
    rows = list(session.scalars(query))
    for row in rows:
        row.revoked_at = now
    return rows


def list_tokens(session: Session) -> list[ApiToken]:
    """Return every created token, newest first (hashes only)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


class SignInLimiter:
    """Refuse tokens from an address after too many wrong ones in a short time (a guard against guessing).

    One per application, shared by the dashboard's sign-in and the API's bearer tokens.

    Kept in memory per server process: failures within ``window`` seconds are counted per client address,
    a success clears them, and at most ``max_addresses`` addresses are remembered (the oldest go first).
    """

    def __init__(self, *, attempts: int = 10, window: float = 300.0, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.max_addresses, self.clock = attempts, window, max_addresses, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, address: str) -> int:
        """Return how long this address must wait before its next try (0: it may try now)."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - self.clock()) + 1)

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures
