"""A Data Center comment that names its issue only by numeric id finds its issue, whatever the order of arrival.

Jira Data Center's ``comment_created`` has no ``issue`` object, only ``comment.self`` with the issue's numeric id, so
its record is filed under a placeholder key until the store knows the key that id belongs to. The issue's own
``jira:issue_created`` may come before it, in the same intake group (one merged batch), or after it: in each case the
developer's answer must stop the client's clock.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import ActivityRow
from app.store.recompute import recompute_clocks
from app.store.upserts import store_batch
from connectors.jira.normalize import normalize_webhook
from connectors.records import Batch
from tests.conftest import post_jira
from tests.store.test_real_world_jira import DC_CONTRACTS, _clocks, _comment, _created, _ms

ANSWERED = [("bug_fix", "breached", 0, ()), ("response", "met", 5, ())]


@pytest.fixture
def contracts():
    return parse_contracts(DC_CONTRACTS, "jira pulse.yaml")


def _bare_comment() -> dict:
    """Data Center's comment_created: the comment alone, its issue named only in ``comment.self``."""
    return {"timestamp": _ms(5), "webhookEvent": "comment_created", "comment": _comment("901", "dev", 5, cloud=False)}


def _comment_keys(factory) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(ActivityRow.item_key).where(ActivityRow.kind == "comment")))


@pytest.mark.parametrize("comment_first", [False, True], ids=["issue-then-comment", "comment-then-issue"])
def test_one_group_holding_the_issue_and_its_bare_comment_files_the_comment_under_the_issue(
    comment_first, factory, contracts
):
    batches = [normalize_webhook(_created(False)), normalize_webhook(_bare_comment())]
    assert batches[1].activities[0].item_key.startswith("jira-issue-id:")
    merged = Batch()
    for batch in batches[::-1] if comment_first else batches:
        merged.extend(batch)  # as the intake merges one group of deliveries into one transaction
    with transaction(factory) as session:
        recompute_clocks(session, contracts, store_batch(session, merged))
    assert _comment_keys(factory) == ["SHOP-7"]
    assert _clocks(factory) == ANSWERED


def test_a_bare_comment_stored_before_its_issue_moves_under_the_issue_when_it_arrives(app, client, factory, contracts):
    app.state.contracts = contracts
    assert post_jira(client, _bare_comment(), delivery="comment-first").status_code == 202
    assert _comment_keys(factory)[0].startswith("jira-issue-id:")
    assert post_jira(client, _created(False), delivery="issue-later").status_code == 202
    assert _comment_keys(factory) == ["SHOP-7"]
    assert _clocks(factory) == ANSWERED


@pytest.mark.parametrize("seed", [3, 11])
def test_separate_deliveries_in_any_order_and_twice_give_the_same_clocks(seed, app, client, factory, contracts):
    app.state.contracts = contracts
    hooks = [("issue", _created(False)), ("comment", _bare_comment())] * 2
    random.Random(seed).shuffle(hooks)
    for n, (name, hook) in enumerate(hooks):
        assert post_jira(client, hook, delivery=f"{name}-{n}").status_code == 202
    assert _comment_keys(factory) == ["SHOP-7"]
    assert _clocks(factory) == ANSWERED
