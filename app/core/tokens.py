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
CLIENT_PREFIX = "client:"
TOKEN_PREFIX = "pls_"  # noqa: S105 - a visible prefix, so leaked tokens are easy to search for


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"
    CLIENT = "client"  # one client's own promises only: stored and written as `client:<name>`


class ScopeInvalid(ValueError):
    """A scope that is not read, admin or client:<name> of a client in the contracts."""


@dataclass(frozen=True, slots=True)
class Access:
    """What a token may do: read, admin, or one client's own view (``client`` names it)."""

    scope: Scope
    client: str | None = None

    @property
    def text(self) -> str:
        return f"{CLIENT_PREFIX}{self.client}" if self.scope is Scope.CLIENT else self.scope.value


def parse_access(text: str, clients: Iterable[str] | None = None) -> Access:
    """Read `read`, `admin` or `client:<name>`; with `clients` given, the name must be one of them."""
    value = text.strip()
    if value in (Scope.READ.value, Scope.ADMIN.value):
        return Access(Scope(value))
    if not value.startswith(CLIENT_PREFIX):
        raise ScopeInvalid(f"{text!r} is not a scope: write read, admin or client:<name> (e.g. client:acme)")
    name = value.removeprefix(CLIENT_PREFIX)
    if not name:
        raise ScopeInvalid("a client scope names its client: write client:<name>, e.g. client:acme")
    if clients is not None and name not in set(clients):
        known = ", ".join(sorted(clients)) or "none"
        raise ScopeInvalid(f"there is no client named {name!r} in the contracts (clients: {known}); "
                           "a client token can only be made for one of them")
    return Access(Scope.CLIENT, name)


@dataclass(frozen=True, slots=True)
class KnownToken:
    """A configured token, kept only as its SHA-256 digest."""

    digest: bytes
    scope: Scope
    name: str
    client: str | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's name, what it may do and, for a client token, which client it is."""

    name: str
    scope: Scope
    client: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.scope is Scope.ADMIN

    @property
    def is_client(self) -> bool:
        return self.scope is Scope.CLIENT


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def configured_tokens(entries: Iterable[str], clients: Iterable[str] | None = None) -> list[KnownToken]:
    """Read PULSE_API_TOKENS entries: a plain entry is an admin token, `read:<token>` a read-only one,
    `client:<name>:<token>` one client's own view.

    With `clients` given, a client entry must name one of them (ScopeInvalid otherwise, naming the entry).
    """
    known = []
    for number, entry in enumerate(entries, start=1):
        scope, token, client = Scope.ADMIN, entry, None
        if entry.startswith(READ_PREFIX):
            scope, token = Scope.READ, entry.removeprefix(READ_PREFIX)
        elif entry.startswith(CLIENT_PREFIX):
            client, sep, token = entry.removeprefix(CLIENT_PREFIX).partition(":")
            if not sep or not client or not token:
                raise ScopeInvalid(f"PULSE_API_TOKENS entry {number} starts with client: but is not "
                                   "client:<name>:<token>, e.g. client:acme:<a long random token>")
            try:
                parse_access(CLIENT_PREFIX + client, clients)
            except ScopeInvalid as exc:
                raise ScopeInvalid(f"PULSE_API_TOKENS entry {number}: {exc}") from None
            scope = Scope.CLIENT
        if token:
            known.append(KnownToken(token_digest(token), scope, f"PULSE_API_TOKENS entry {number}", client))
    return known


def match_configured(token: str, known: Sequence[KnownToken]) -> Caller | None:
    """Find the configured token, comparing against every entry in constant time."""
    given = token_digest(token)
    found: KnownToken | None = None
    for candidate in known:
        if hmac.compare_digest(given, candidate.digest) and found is None:
            found = candidate
    return Caller(found.name, found.scope, found.client) if found else None


def match_stored(session: Session, token: str) -> Caller | None:
    """Find a created, unrevoked token by its hash.

    The lookup is by SHA-256 digest, so its timing tells nothing about the token itself.
    """
    digest = token_digest(token).hex()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    access = parse_access(row.scope)
    return Caller(row.name, access.scope, access.client)


def new_token() -> str:
    """A new random token: 'pls_' and 43 URL-safe characters, so it never starts with '-' in a shell line."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(session: Session, *, name: str, scope: Scope | Access) -> tuple[ApiToken, str]:
    """Create a token and store its hash; return the row and the token (shown once, never stored)."""
    if not name.strip():
        raise ValueError("give the token a name that says who uses it, e.g. --name billing-sheet")
    access = scope if isinstance(scope, Access) else Access(scope)
    if access.scope is Scope.CLIENT and not access.client:
        raise ScopeInvalid("a client scope names its client: write client:<name>, e.g. client:acme")
    token = new_token()
    row = ApiToken(name=name.strip(), token_hash=token_digest(token).hex(), scope=access.text,
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
