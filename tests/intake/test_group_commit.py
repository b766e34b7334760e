"""Group commit: concurrent deliveries share transactions; each is acknowledged only once committed."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

import app.intake.group_commit as batcher_module
from app.core.tables import ActivityRow, RawDelivery
from tests.conftest import settle, sign
from tests.payloads import comment_event, issue

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _deliveries(n: int) -> list[tuple[dict, bytes]]:
    item = issue(1, "alice-acme", T0)
    out = []
    for i in range(n):
        body = json.dumps(comment_event(item, 100 + i, "olena-dev", T0 + timedelta(minutes=i))).encode()
        headers = {"X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": str(uuid.uuid4()),
                   "X-Hub-Signature-256": sign(body), "Content-Type": "application/json"}
        out.append((headers, body))
    return out


async def _post_all(app, deliveries) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.post("/webhooks/github", content=b, headers=h) for h, b in deliveries))


def test_concurrent_deliveries_are_committed_in_groups(app, factory, monkeypatch):
    sizes: list[int] = []
    real = batcher_module.store_raw

    def counting(factory_, group):
        sizes.append(len(group))
        return real(factory_, group)

    monkeypatch.setattr(batcher_module, "store_raw", counting)
    deliveries = _deliveries(40)
    responses = asyncio.run(_post_all(app, deliveries + deliveries[:5]))  # 5 sent twice at once
    assert sorted(r.status_code for r in responses) == [200] * 5 + [202] * 40
    assert sum(sizes) == 45
    assert len(sizes) < 45  # some commits covered several deliveries
    settle(app)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(RawDelivery)) == 40
        assert s.scalar(select(func.count()).select_from(ActivityRow).where(ActivityRow.kind == "comment")) == 40


def test_one_failing_delivery_does_not_fail_its_neighbours(app, factory, monkeypatch):
    real = batcher_module.store_raw

    def fussy(factory_, group):
        if any(d.delivery_id.endswith(":poison") for d, _ in group):
            from sqlalchemy.exc import OperationalError

            raise OperationalError("insert", {}, Exception("disk full"))
        return real(factory_, group)

    monkeypatch.setattr(batcher_module, "store_raw", fussy)
    deliveries = _deliveries(10)
    deliveries[3][0]["X-GitHub-Delivery"] = "poison"
    responses = asyncio.run(_post_all(app, deliveries))
    codes = [r.status_code for r in responses]
    assert codes[3] == 503
    assert codes[:3] + codes[4:] == [202] * 9
