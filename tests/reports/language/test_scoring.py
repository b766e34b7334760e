"""Developer messages arrive through the real webhook intake and are scored apart from it, once per version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.tables import FlaggedTermRow, MessageScore
from app.reports.language_figures import ScoreFilter, plain_language_figures
from app.reports.plain_language import ScoreCursor, forget_scores, score_pending, scorer_version
from tests.conftest import post_github
from tests.payloads import issue, issue_event
from tests.reports.language.conftest import CONTRACTS_YAML, T0, Thread

JARGON = ("I refactored the idempotent webhook handler and will deploy after the CI pipeline passes. "
          "The race condition in the ORM was the root cause.")
PLAIN = "Thanks, I found the problem: the page adds the tax twice. I will fix it today and tell you when it is live."
CODE_ONLY = "```python\nfor order in orders:\n    total += order.vat\n```\nhttps://github.com/acme/shop/pull/3"
UKRAINIAN = "Дякую, я знайшов проблему: сторінка рахує податок двічі. Виправлю сьогодні й напишу, коли все запрацює."
GLOSSARY = "The invoice shows VAT twice at checkout. I will fix it today."


def _score(factory, contracts, limit=500):
    with factory() as session, session.begin():
        return score_pending(session, contracts, limit=limit)


def _rows(factory) -> dict[str, MessageScore]:
    with factory() as session:
        return {row.external_id: row for row in session.scalars(select(MessageScore))}


def _terms(factory) -> dict[str, dict[str, int]]:
    """The flagged_terms rows, per message; checked against each supported score's own list of flagged terms."""
    with factory() as session:
        rows = session.execute(select(FlaggedTermRow.external_id, FlaggedTermRow.term, FlaggedTermRow.count,
                                      FlaggedTermRow.client, FlaggedTermRow.developer, FlaggedTermRow.at)).all()
        scores = {s.external_id: s for s in session.scalars(select(MessageScore))}
    out: dict[str, dict[str, int]] = {}
    for external_id, term, count, client, developer, at in rows:
        score = scores[external_id]
        assert (client, developer, at) == (score.client, score.developer, score.at)
        out.setdefault(external_id, {})[term] = count
    expected = {s.external_id: {f["term"]: f["count"] for f in s.flagged}
                for s in scores.values() if s.supported and s.flagged}
    assert out == expected
    return out


def test_each_kind_of_message_is_scored_as_expected(client, factory, contracts):
    thread = Thread(client, 1)
    for n, body in enumerate((JARGON, PLAIN, CODE_ONLY, UKRAINIAN, GLOSSARY), start=11):
        thread.comment(n, "olena-dev", T0 + timedelta(minutes=n), body)
    assert _rows(factory) == {}, "intake itself never scores"

    run = _score(factory, contracts)

    assert (run.scored, run.unsupported, run.more) == (5, 2, False)
    rows = _rows(factory)
    jargon, plain, code, ukrainian, glossary = (rows[f"comment:{n}"] for n in range(11, 16))
    assert jargon.passes is False and jargon.supported and jargon.language == "en"
    flagged = {f["term"]: f["suggestion"] for f in jargon.flagged}
    assert flagged["idempotent"] == "safe to repeat"
    assert flagged["deploy"] == "put live", "the client's own plain words win"
    assert jargon.unexplained_acronyms == 2 and any("CI, ORM" in r for r in jargon.reasons)
    assert plain.passes is True and plain.flagged == [] and plain.reasons == []
    assert code.supported is False and code.passes is None and "nothing left" in code.reasons[0]
    assert ukrainian.supported is False and ukrainian.language == "uk" and "Ukrainian" in ukrainian.reasons[0]
    assert glossary.passes is True, "checkout, invoice and VAT are in the client's glossary"
    assert {r.client for r in rows.values()} == {"acme"} and {r.developer for r in rows.values()} == {"olena"}
    assert all(r.scorer_version == scorer_version(contracts.clients["acme"]) for r in rows.values())
    assert set(_terms(factory)) == {"comment:11"} and _terms(factory)["comment:11"]["idempotent"] == 1


def test_only_developer_messages_in_client_work_are_scored(client, factory, contracts):
    thread = Thread(client, 2, body="The total is wrong since the deploy.")  # opened by the client
    thread.comment(21, "alice-acme", T0 + timedelta(minutes=1), "Any news? The idempotent thing again?")
    thread.comment(22, "acme-ci", T0 + timedelta(minutes=2), "Automated check: no deploy in progress.")
    thread.comment(23, "stranger", T0 + timedelta(minutes=3), "Unknown authors count as the client here.")
    thread.comment(24, "marco-codes", T0 + timedelta(minutes=4), PLAIN)
    own = issue(3, "olena-dev", T0, body="I will move the checkout button so it shows on small screens too.")
    post_github(client, "issues", issue_event("opened", own, "olena-dev"))
    outside = issue(4, "olena-dev", T0, body=JARGON)
    outside["html_url"] = "https://github.com/other/repo/issues/4"
    payload = issue_event("opened", outside, "olena-dev")
    payload["repository"] = {**payload["repository"], "name": "repo", "full_name": "other/repo"}
    post_github(client, "issues", payload)

    run = _score(factory, contracts)

    assert run.scored == 2
    rows = _rows(factory)
    assert set(rows) == {"comment:24", "opened:acme/shop#3"}
    assert rows["comment:24"].developer == "marco"


def test_an_abbreviation_spelled_out_elsewhere_in_the_thread_is_explained(client, factory, contracts):
    thread = Thread(client, 5, body="Do we run continuous integration (CI) on every change?")
    thread.comment(51, "olena-dev", T0 + timedelta(minutes=5), "The CI run failed again; I am looking at it now.")
    thread.comment(52, "olena-dev", T0 + timedelta(minutes=6), "Yes: the ORM change broke the CI run.")
    _score(factory, contracts)
    rows = _rows(factory)
    assert rows["comment:51"].passes is True
    assert [f["term"] for f in rows["comment:52"].flagged] == ["ORM"]


def test_scoring_again_changes_nothing(client, factory, contracts):
    thread = Thread(client, 6)
    thread.comment(61, "olena-dev", T0 + timedelta(minutes=5), JARGON)
    assert _score(factory, contracts).scored == 1
    before = _rows(factory)["comment:61"].scored_at
    again = _score(factory, contracts)
    assert (again.scored, again.removed, again.more) == (0, 0, False)
    assert _rows(factory)["comment:61"].scored_at == before


def test_an_edited_message_is_rescored_even_when_the_edit_arrives_late(client, factory, contracts):
    thread = Thread(client, 7)
    thread.comment(71, "olena-dev", T0 + timedelta(minutes=5), JARGON)
    _score(factory, contracts)
    assert _rows(factory)["comment:71"].passes is False
    # Edited long ago, reaching us only now (a sync after a lost webhook): still newer than the version scored.
    thread.edit(71, T0 + timedelta(minutes=9), PLAIN)
    assert "comment:71" in _terms(factory)
    run = _score(factory, contracts)
    assert run.scored == 1
    row = _rows(factory)["comment:71"]
    assert row.passes is True and row.flagged == []
    assert _terms(factory) == {}, "the plain version's score has no terms left from the jargon one"


def test_a_deleted_message_loses_its_score_as_the_deletion_is_stored(client, factory, contracts):
    thread = Thread(client, 8)
    thread.comment(81, "olena-dev", T0 + timedelta(minutes=5), JARGON)
    thread.comment(82, "olena-dev", T0 + timedelta(minutes=6), PLAIN)
    _score(factory, contracts)
    assert set(_terms(factory)) == {"comment:81"}
    thread.delete(81)
    assert set(_rows(factory)) == {"comment:82"}  # gone before any scoring pass, so no figure counts it
    assert _terms(factory) == {}, "its flagged terms went with its score"
    with factory() as session:
        assert plain_language_figures(session, ScoreFilter(client="acme"))["messages"] == 1
    run = _score(factory, contracts)
    assert (run.removed, run.scored) == (0, 0)
    assert set(_rows(factory)) == {"comment:82"}


def test_a_glossary_change_rescores_that_clients_messages(client, factory, contracts):
    thread = Thread(client, 9)
    thread.comment(91, "olena-dev", T0 + timedelta(minutes=5), "The ORM change is live now.")
    _score(factory, contracts)
    assert _rows(factory)["comment:91"].passes is False
    knowing = parse_contracts(CONTRACTS_YAML.replace("glossary: [checkout, invoice, VAT]",
                                                     "glossary: [checkout, invoice, VAT, ORM]"))
    assert scorer_version(knowing.clients["acme"]) != scorer_version(contracts.clients["acme"])
    assert _score(factory, knowing).scored == 1
    assert _rows(factory)["comment:91"].passes is True


def test_the_limit_leaves_the_rest_for_the_next_pass(client, factory, contracts):
    thread = Thread(client, 10)
    for n in range(101, 106):
        thread.comment(n, "olena-dev", T0 + timedelta(minutes=n - 100), PLAIN)
    first = _score(factory, contracts, limit=3)
    assert (first.scored, first.more) == (3, True)
    second = _score(factory, contracts, limit=3)
    assert (second.scored, second.more) == (2, False)
    assert len(_rows(factory)) == 5


def test_a_sweep_goes_on_from_where_the_last_pass_stopped_and_the_next_sweep_finds_edits_behind_it(
        client, factory, contracts):
    thread = Thread(client, 12)
    for n in range(121, 126):
        thread.comment(n, "olena-dev", T0 + timedelta(minutes=n - 120), PLAIN)
    first = _score(factory, contracts, limit=3)
    assert (first.scored, first.more) == (3, True)
    assert first.resume is not None and first.resume.client == "acme" and first.resume.after > 0
    thread.edit(121, T0 + timedelta(minutes=30), JARGON)  # behind where the sweep stopped
    with factory() as session, session.begin():
        second = score_pending(session, contracts, limit=3, resume=first.resume)
    # The sweep goes on past the three it scored: only the two it had not reached, not the edit behind it.
    assert (second.scored, second.more, second.resume) == (2, False, None)
    assert _rows(factory)["comment:121"].passes is True
    third = _score(factory, contracts)  # a new sweep starts from the first message
    assert third.scored == 1
    assert _rows(factory)["comment:121"].passes is False


def test_a_sweep_skips_the_clients_it_finished(client, factory, contracts):
    thread = Thread(client, 13)
    for n in range(131, 134):
        thread.comment(n, "olena-dev", T0 + timedelta(minutes=n - 130), PLAIN)
    done = ScoreCursor(done=frozenset({"acme", "globex"}))
    with factory() as session, session.begin():
        assert score_pending(session, contracts, resume=done).scored == 0
    assert _score(factory, contracts).scored == 3


def test_forgotten_scores_come_back_on_the_next_pass(client, factory, contracts):
    thread = Thread(client, 11)
    thread.comment(111, "olena-dev", T0 + timedelta(minutes=5), PLAIN)
    thread.comment(112, "olena-dev", T0 + timedelta(minutes=6), JARGON)
    _score(factory, contracts)
    assert set(_terms(factory)) == {"comment:112"}
    with factory() as session, session.begin():
        assert forget_scores(session) == 2
    assert _terms(factory) == {}
    assert _score(factory, contracts).scored == 2
    assert set(_terms(factory)) == {"comment:112"}


# At acme, Olena is a client person (say its product owner) and Alice develops.
SWAPPED_AT_ACME = CONTRACTS_YAML.replace("role: developer, github: olena-dev",
                                         "role: developer, roles: {acme: client}, github: olena-dev").replace(
    "role: client, github: alice-acme", "role: client, roles: {acme: developer}, github: alice-acme")


@pytest.mark.parametrize("contracts", [parse_contracts(SWAPPED_AT_ACME, "language test pulse.yaml")])
def test_the_role_a_person_plays_for_that_client_decides_what_is_scored(client, factory, contracts):
    thread = Thread(client, 15, author="stranger")
    thread.comment(151, "alice-acme", T0 + timedelta(minutes=1), PLAIN)
    thread.comment(152, "olena-dev", T0 + timedelta(minutes=2), JARGON)

    _score(factory, contracts)

    rows = _rows(factory)
    assert set(rows) == {"comment:151"} and rows["comment:151"].developer == "alice"


def test_unknown_authors_count_as_developers_where_the_contract_says_so(client, factory, contracts):
    item = issue(12, "bob-globex", T0, body="Can you look at the login page?")
    item["html_url"] = "https://github.com/globex/portal/issues/12"
    repo = {"id": 2, "name": "portal", "full_name": "globex/portal", "owner": {"login": "globex", "id": 8},
            "html_url": "https://github.com/globex/portal", "private": True}
    opened = issue_event("opened", item, "bob-globex")
    post_github(client, "issues", {**opened, "repository": repo})
    own = issue(13, "new-hire", T0, body=PLAIN)
    own["html_url"] = "https://github.com/globex/portal/issues/13"
    post_github(client, "issues", {**issue_event("opened", own, "new-hire"), "repository": repo})
    post_github(client, "issues", {**issue_event("opened", issue(14, "acme-ci", T0, body=PLAIN), "acme-ci"),
                                   "repository": repo})

    _score(factory, contracts)

    rows = _rows(factory)
    # bob is not in the roster either, so under globex's rule he counts as a developer too.
    assert {r.developer for r in rows.values()} == {"github:bob-globex", "github:new-hire"}
    assert {r.client for r in rows.values()} == {"globex"}
