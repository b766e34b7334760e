"""Figures counted and ranked in SQL equal summarize() over the same clocks, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from app.reports.clocks import ClockFilter, load_clocks
from app.reports.figures import (
    NO_CLOCKS,
    attainment_by_groupings,
    figures_by,
    figures_by_client_and_kind,
    figures_by_developer,
    figures_by_groupings,
    metric_groups,
)
from metrics.model import ClockKind
from metrics.stats import group_clocks, summarize
from metrics.wording import week_name
from tests.reports.figures.conftest import NOW, store_random_clocks
from tests.reports.figures.reference import reference_groups

WINDOWS = [
    (None, None),
    (NOW - timedelta(days=30), NOW),
    (NOW - timedelta(days=7), NOW - timedelta(seconds=1)),
    (NOW - timedelta(days=3), NOW - timedelta(days=3)),  # empty
]
NOWS = [NOW, NOW - timedelta(days=2), NOW + timedelta(hours=1), NOW - timedelta(seconds=1)]


def _inside(clock, since, until) -> bool:
    return (since is None or clock.started_at >= since) and (until is None or clock.started_at < until)


@pytest.mark.parametrize("group_by", ["developer", "client", "work_item", "week"])
def test_metric_groups_equal_summarize_per_group(factory, contracts, stored, group_by):
    with factory() as session:
        for since, until in WINDOWS:
            for kind in [*ClockKind, None]:
                flt = ClockFilter(kind=kind, since=since, until=until)
                for now in NOWS:
                    expected = reference_groups(session, load_clocks(session, flt), group_by, contracts, now)
                    assert metric_groups(session, flt, group_by, contracts, now) == expected


def test_figures_by_keys_equal_summarize_per_group(factory, stored):
    keyings = {
        "kind": (["kind"], lambda c: (c.kind.value,)),
        "developer": (["credited", "kind"], lambda c: (c.developer or "unassigned", c.kind.value)),
        "client": (["client"], lambda c: (c.client,)),
        "week": (["week"], lambda c: (week_name(c.started_at),)),
    }
    with factory() as session:
        for name, (keys, key_of) in keyings.items():
            for since, until in WINDOWS:
                for now in NOWS:
                    found = figures_by(session, ClockFilter(since=since, until=until), keys, now)
                    if name == "week":
                        found = {(week_name(monday),): value for (monday,), value in found.items()}
                    inside = (c for c in stored if _inside(c, since, until))
                    groups = group_clocks(inside, lambda c, key_of=key_of: str(key_of(c)))
                    assert sorted(map(str, found)) == sorted(groups), name
                    for key, value in found.items():
                        clocks = groups[str(key)]
                        assert value.stats == summarize(clocks, now), (name, key)
                        targets = {c.target_seconds for c in clocks}
                        assert value.target == (targets.pop() if len(targets) == 1 else None)


def test_filters_narrow_the_figures_as_in_python(factory, contracts, stored):
    with factory() as session:
        for flt in [
            ClockFilter(developer="olena"), ClockFilter(client="globex", kind=ClockKind.BUG_FIX),
            ClockFilter(open_only=True), ClockFilter(developer="nobody"), ClockFilter(developer="bad\x00id"),
        ]:
            expected = reference_groups(session, load_clocks(session, flt), "developer", contracts, NOW)
            assert metric_groups(session, flt, "developer", contracts, NOW) == expected


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10, 11])
def test_small_groups_pick_the_right_ranks(factory, contracts, count):
    """Medians of odd and even counts, and p90 on one, two or three values, where ranks are easy to miss."""
    store_random_clocks(factory, 100 + count, count)
    with factory() as session:
        flt = ClockFilter()
        for group_by in ("developer", "client"):
            expected = reference_groups(session, load_clocks(session, flt), group_by, contracts, NOW)
            assert metric_groups(session, flt, group_by, contracts, NOW) == expected
        if count == 0:
            assert figures_by(session, flt, ["kind"], NOW) == {}
            assert NO_CLOCKS.stats == summarize([], NOW)


def test_many_clocks_per_developer_read_in_order(factory, contracts):
    """Enough clocks per developer that SQLite reads the ranks developer by developer, walking or sorting."""
    clocks = store_random_clocks(factory, 7, 2400)
    # All of them, most (walked in order with the window checked row by row), and a short one (sorted).
    windows = [*WINDOWS, (NOW - timedelta(days=40), None), (None, NOW - timedelta(days=20)),
               (NOW - timedelta(days=20), NOW)]
    with factory() as session:
        for since, until in windows:
            for kind in ClockKind:
                found = figures_by_developer(session, ClockFilter(kind=kind, since=since, until=until), NOW)
                inside = (c for c in clocks if c.kind is kind and _inside(c, since, until))
                groups = group_clocks(inside, lambda c: repr(c.developer))
                assert sorted(map(repr, found)) == sorted(groups)
                for person, value in found.items():
                    assert value.stats == summarize(groups[repr(person)], NOW), (kind, since, until, person)


def test_metric_groups_by_developer_read_in_order(factory, contracts):
    store_random_clocks(factory, 8, 2000, developers=["olena", "marco", "github:stranger", None])
    with factory() as session:
        for since, until in [*WINDOWS, (NOW - timedelta(days=40), None)]:
            for kind in ClockKind:
                flt = ClockFilter(kind=kind, since=since, until=until)
                expected = reference_groups(session, load_clocks(session, flt), "developer", contracts, NOW)
                assert metric_groups(session, flt, "developer", contracts, NOW) == expected


@pytest.mark.parametrize("count", [40, 2400])
def test_figures_per_client_and_kind_equal_summarize(factory, count):
    """Few clocks per client (read all at once) and many (SQLite walks each client's durations in order)."""
    clocks = store_random_clocks(factory, 9, count)
    windows = [*WINDOWS, (NOW - timedelta(days=40), None), (NOW - timedelta(days=20), NOW)]
    with factory() as session:
        for since, until in windows:
            for now in (NOW, NOW - timedelta(days=2)):
                found = figures_by_client_and_kind(session, ClockFilter(since=since, until=until), now)
                inside = (c for c in clocks if _inside(c, since, until))
                groups = group_clocks(inside, lambda c: repr((c.client, c.kind.value)))
                assert sorted(map(repr, found)) == sorted(groups)
                for key, value in found.items():
                    assert value.stats == summarize(groups[repr(key)], now), (since, until, key)


def test_attainment_alone_equals_the_full_figures_but_for_the_ranked_ones(factory):
    """The alignment's counts-only read gives every figure the ranked read gives, the median and p90 left out."""
    store_random_clocks(factory, 11, 600)
    groupings = [["client", "kind"], ["client", "developer", "kind"], ["kind", "week"]]
    windows = [*WINDOWS, (NOW - timedelta(days=20), NOW)]
    compared = 0
    with factory() as session:
        for since, until in windows:
            for zone in ("UTC", "Europe/Kyiv"):
                flt = ClockFilter(since=since, until=until)
                full = figures_by_groupings(session, flt, groupings, NOW, week_zone=zone)
                counted = attainment_by_groupings(session, flt, groupings, NOW, week_zone=zone)
                compared += sum(len(found) for found in full)
                for ranked, alone in zip(full, counted, strict=True):
                    assert alone == {key: replace(found, stats=replace(found.stats, median_seconds=None,
                                                                       p90_seconds=None))
                                     for key, found in ranked.items()}, (since, until, zone)
    assert compared > 100  # the windows held clocks in many groups
