"""Database tables (SQLAlchemy 2), one module per part of the service; every table is importable from here.

API schemas live in app/api; metric inputs in metrics/model.py.

- ``base``: column types and the declarative base every table shares.
- ``intake``: the webhook path's tables: deliveries as received, the work queue, and records set aside.
- ``items``: work items (issues, pull requests), their activities, links, moves and the contract terms they
  were read under.
- ``sync``: what the sync and the worker remember: cursors, ETags, runs, job leases and GitHub redeliveries.
- ``access``: API tokens created with `pulse token create`.
- ``figures``: what the figures are read from: clocks, alerts about them, and plain-language scores of messages.
- ``clients``: the client's side: feedback (ratings), the outbox of mails and Slack messages, survey requests
  and opt-outs.
"""

from __future__ import annotations

from app.core.tables.access import ApiToken
from app.core.tables.base import Base, UTCDateTime, utcnow
from app.core.tables.clients import Feedback, Notification, SurveyOptOut, SurveyRequest
from app.core.tables.figures import (
    CANCELLED,
    COUNTED_STOPPED,
    Alert,
    ClockRow,
    FlaggedTermRow,
    MessageScore,
    _partial,
    _where,
)
from app.core.tables.intake import IntakeQueue, QuarantinedRecord, RawDelivery
from app.core.tables.items import ActivityRow, ContractTerms, ItemLink, ItemMoveRow, WorkItemRow
from app.core.tables.sync import GitHubRedelivery, HttpETag, SyncCursor, SyncRun, WorkerJob

__all__ = [
    "UTCDateTime",
    "utcnow",
    "Base",
    "RawDelivery",
    "IntakeQueue",
    "QuarantinedRecord",
    "WorkItemRow",
    "ActivityRow",
    "ItemLink",
    "ContractTerms",
    "ItemMoveRow",
    "SyncCursor",
    "HttpETag",
    "SyncRun",
    "WorkerJob",
    "GitHubRedelivery",
    "ApiToken",
    "_partial",
    "COUNTED_STOPPED",
    "CANCELLED",
    "_where",
    "ClockRow",
    "Alert",
    "FlaggedTermRow",
    "MessageScore",
    "Feedback",
    "Notification",
    "SurveyRequest",
    "SurveyOptOut",
]
