"""The one error of the intake, and the one rule deciding whether a delivery that failed is to blame.

A failure is ``permanent`` when the delivery itself is at fault: its body does not parse, the normalizer or the
record checks refuse it, or the database refuses one of its values. Sending or processing it again gives the
same result, so it is refused (400) or kept marked ``failed`` with the reason, never dropped. Anything else (the
database gone, restarting, locked, a deadlock, or a unique key another writer took first) is ``transient``: the
sender is told to retry (503) or the delivery stays queued for the next sweep.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import DataError, IntegrityError

from connectors.records import PayloadError

# What the database raises for a value of the delivery it cannot hold (too long, not text, a constraint).
_REFUSED_VALUES = (DataError, IntegrityError)
# ...except a unique key that another writer took first: a race between two processes, not the delivery's fault
# (PostgreSQL's SQLSTATE 23505; SQLite says it in words). Deadlocks and serialization failures are
# OperationalErrors, transient already.
_UNIQUE_VIOLATION = "23505"


def _raced(exc: Exception) -> bool:
    if not isinstance(exc, IntegrityError):
        return False
    return getattr(exc.orig, "sqlstate", None) == _UNIQUE_VIOLATION or "UNIQUE constraint failed" in str(exc.orig)
MAX_REASON = 500


class IntakeError(Exception):
    """A delivery that could not be normalized or stored, with whether trying again can help."""

    def __init__(self, reason: str, *, permanent: bool, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason  # kept with a delivery marked failed
        self.permanent = permanent
        self.detail = detail  # what the sender is told, in one sentence


def intake_error(
    exc: Exception, *, stage: Literal["normalizing", "storing"], source: str | None = None
) -> IntakeError:
    """Decide whether an error normalizing or storing a delivery is permanent (its own) or transient."""
    if isinstance(exc, IntakeError):
        return exc
    lines = str(exc).splitlines()
    reason = f"{type(exc).__name__}: {lines[0] if lines else ''}"[:MAX_REASON]
    payload = f"The {source} payload" if source else "The payload"
    if isinstance(exc, PayloadError):
        return IntakeError(reason, permanent=True, detail=f"{payload} is not usable: {exc}")
    if stage == "normalizing":  # normalizing is pure: whatever it raises comes from the payload's shape
        return IntakeError(reason, permanent=True, detail=f"{payload} has a field of an unexpected type or shape "
                                                          f"({type(exc).__name__}); nothing was stored.")
    if isinstance(exc, _REFUSED_VALUES) and not _raced(exc):
        return IntakeError(reason, permanent=True,
                           detail="The payload holds a value the database cannot store; nothing was stored.")
    return IntakeError(reason, permanent=False,
                       detail="The database is unavailable right now; nothing was stored. Retry later.")
