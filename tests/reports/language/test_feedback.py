"""Client feedback: checked with clear errors, one rating per client, developer and period, by API and CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.contracts import parse_contracts
from app.core.tables import Feedback
from app.reports.feedback import (
    FeedbackFileError,
    FeedbackInvalid,
    describe_period,
    import_feedback_csv,
    load_demo_feedback,
    read_feedback,
)
from tests.conftest import AUTH
from tests.conftest import CONTRACTS_YAML as ROOT_CONTRACTS
from tests.reports.language.conftest import CONTRACTS_YAML, READ

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
URL = "/v1/feedback"


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(("fields", "start", "end"), [
    ({"period": "2024-W10"}, _at(2024, 3, 4), _at(2024, 3, 11)),
    ({"period": "2024-w01"}, _at(2024, 1, 1), _at(2024, 1, 8)),
    ({"period": "2024-02"}, _at(2024, 2, 1), _at(2024, 3, 1)),
    ({"period": "2023-12"}, _at(2023, 12, 1), _at(2024, 1, 1)),
    ({"start": "2024-02-05", "end": "2024-02-05"}, _at(2024, 2, 5), _at(2024, 2, 6)),
    ({"start": "2024-02-05", "end": "2024-02-20"}, _at(2024, 2, 5), _at(2024, 2, 21)),
])
def test_periods_are_whole_utc_days(contracts, fields, start, end):
    entry = read_feedback({"client": "acme", "clarity": 4, **fields}, contracts, NOW)
    assert (entry.period_start, entry.period_end) == (start, end)
    assert entry.developer == "" and entry.clarity == 4 and entry.responsiveness is None


def test_a_full_rating_is_read_from_text_as_from_numbers(contracts):
    entry = read_feedback({"client": " acme ", "developer": "olena", "period": "2024-W10", "responsiveness": "2",
                           "fix_speed": 4.0, "clarity": 5, "comment": "  Slow answers.  "}, contracts, NOW)
    assert (entry.client, entry.developer, entry.responsiveness, entry.fix_speed, entry.clarity) == (
        "acme", "olena", 2, 4, 5)
    assert entry.comment == "Slow answers."


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"client": "acmee"}, "client", "'acmee' is not a client in the contracts file; known clients: acme, globex"),
    ({"client": ""}, "client", "is required"),
    ({"developer": "nobody"}, "developer", "leave it empty to rate the whole team"),
    ({"developer": "alice"}, "developer", "'alice' is a client for acme, not a developer"),
    ({"responsiveness": 6}, "responsiveness", "must be a whole number from 1 (poor) to 5 (excellent), not '6'"),
    ({"fix_speed": "abc"}, "fix_speed", "not 'abc'"),
    ({"clarity": 4.5}, "clarity", "not '4.5'"),
    ({"clarity": 0}, "clarity", "not '0'"),
    ({"clarity": True}, "clarity", "not True"),
    ({"clarity": None}, "scores", "give at least one score"),
    ({"period": "2024-W54"}, "period", "is not a period; write an ISO week like 2026-W07"),
    ({"period": "2024-13"}, "period", "is not a period"),
    ({"period": "last week"}, "period", "is not a period"),
    ({"period": None}, "period", "is required"),
    ({"period": "2024-W10", "start": "2024-03-04"}, "period", "either period or start and end, not both"),
    ({"period": None, "start": "2024-03-04"}, "end", "is required"),
    ({"period": None, "start": "4 March", "end": "2024-03-05"}, "start", "'4 March' is not a date"),
    ({"period": None, "start": "2024-03-05", "end": "2024-03-04"}, "end", "is before start"),
    ({"period": None, "start": "2022-01-01", "end": "2023-12-31"}, "period", "covers 730 days"),
    ({"period": "2034-W10"}, "period", "starts in the future"),
    ({"comment": "x" * 5001}, "comment", "keep it to 5000"),
])
def test_each_wrong_field_is_named_in_plain_words(contracts, fields, field, words):
    given = {"client": "acme", "period": "2024-W10", "clarity": 4, **fields}
    with pytest.raises(FeedbackInvalid) as caught:
        read_feedback(given, contracts, NOW)
    problems = {e["field"]: e["problem"] for e in caught.value.errors}
    assert field in problems, caught.value.errors
    assert words in problems[field]


# Olena is the product owner at globex; Alice develops for globex.
PER_CLIENT_ROLES = CONTRACTS_YAML.replace("role: developer, github: olena-dev",
                                          "role: developer, roles: {globex: client}, github: olena-dev").replace(
    "role: client, github: alice-acme", "role: client, roles: {globex: developer}, github: alice-acme")


@pytest.mark.parametrize(("client", "developer", "problem"), [
    ("acme", "olena", None),
    ("globex", "olena", "'olena' is a client for globex, not a developer"),
    ("acme", "alice", "'alice' is a client for acme, not a developer"),
    ("globex", "alice", None),
    ("acme", "ci", "'ci' is a bot for acme, not a developer"),
    ("nope", "alice", None),  # the client is wrong; Alice develops for some client
    ("nope", "ci", "'ci' is not a developer for any client"),
])
def test_a_rated_developer_must_develop_for_that_client(client, developer, problem):
    contracts = parse_contracts(PER_CLIENT_ROLES)
    assert contracts.people["olena"].roles == {"globex": "client"}
    given = {"client": client, "developer": developer, "period": "2024-W10", "clarity": 4}
    try:
        read_feedback(given, contracts, NOW)
        problems = {}
    except FeedbackInvalid as caught:
        problems = {e["field"]: e["problem"] for e in caught.errors}
    assert problems.get("developer") == problem


def test_every_wrong_field_is_reported_at_once(contracts):
    with pytest.raises(FeedbackInvalid) as caught:
        read_feedback({"client": "nope", "developer": "ghost", "period": "soon", "clarity": 9}, contracts, NOW)
    assert [e["field"] for e in caught.value.errors] == ["client", "developer", "period", "clarity"]


@pytest.mark.parametrize(("start", "end", "text"), [
    (_at(2024, 3, 4), _at(2024, 3, 11), "2024-W10"),
    (_at(2024, 2, 1), _at(2024, 3, 1), "2024-02"),
    (_at(2024, 3, 5), _at(2024, 3, 12), "2024-03-05..2024-03-11"),
])
def test_a_stored_period_is_named_as_given(start, end, text):
    assert describe_period(start, end) == text


BODY = {"client": "acme", "developer": "olena", "period": "2024-W10", "responsiveness": 2, "fix_speed": 4,
        "clarity": 5, "comment": "Answers come late when our shop is busy."}


def test_post_creates_then_replaces_never_doubles(client, factory):
    r = client.post(URL, json=BODY, headers=AUTH)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["period"] == "2024-W10" and created["period_start"] == "2024-03-04T00:00:00Z"
    assert created["period_end"] == "2024-03-11T00:00:00Z" and created["responsiveness"] == 2

    again = client.post(URL, json={**BODY, "start": "2024-03-04", "end": "2024-03-10", "period": None,
                                   "responsiveness": 3, "clarity": None, "comment": None}, headers=AUTH)
    assert again.status_code == 200, again.text
    replaced = again.json()
    assert replaced["id"] == created["id"]
    assert (replaced["responsiveness"], replaced["fix_speed"], replaced["clarity"]) == (3, 4, None)
    assert replaced["created_at"] == created["created_at"]

    team = client.post(URL, json={**BODY, "developer": ""}, headers=AUTH)
    assert team.status_code == 201 and team.json()["developer"] == ""
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 2


def test_get_lists_ratings_overlapping_a_period(client):
    client.post(URL, json=BODY, headers=AUTH)
    client.post(URL, json={**BODY, "period": "2024-W12", "developer": None}, headers=AUTH)
    client.post(URL, json={**BODY, "client": "globex", "developer": None, "period": "2024-03"}, headers=AUTH)

    everything = client.get(URL, headers=READ).json()["feedback"]
    assert [(f["client"], f["period"]) for f in everything] == [
        ("acme", "2024-W12"), ("acme", "2024-W10"), ("globex", "2024-03")]
    week_11 = client.get(URL, params={"since": "2024-03-11T00:00:00Z", "until": "2024-03-18T00:00:00Z"},
                         headers=READ).json()["feedback"]
    assert [f["client"] for f in week_11] == ["globex"]
    team = client.get(URL, params={"client": "acme", "developer": ""}, headers=READ).json()["feedback"]
    assert [f["period"] for f in team] == ["2024-W12"]


def test_a_wrong_rating_is_a_problem_naming_the_field(client):
    r = client.post(URL, json={**BODY, "clarity": 7, "client": "acmee"}, headers=AUTH)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["detail"].startswith("The field 'client' is wrong: 'acmee' is not a client")
    assert {e["field"] for e in problem["errors"]} == {"client", "clarity"}
    typed = client.post(URL, json={**BODY, "clarity": "great"}, headers=AUTH)
    assert typed.status_code == 422 and typed.json()["errors"][0]["field"] == "clarity"
    extra = client.post(URL, json={**BODY, "mood": "fine"}, headers=AUTH)
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "mood"


def test_feedback_needs_a_token_and_writing_needs_an_admin_token(client, factory):
    assert client.post(URL, json=BODY).status_code == 401
    assert client.get(URL).status_code == 401
    r = client.post(URL, json=BODY, headers=READ)
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
    assert client.get(URL, headers=READ).status_code == 200


CSV_TEXT = (
    "client,developer,period,start,end,responsiveness,fix_speed,clarity,comment\n"
    "acme,,2024-W10,,,2,4,5,Slow answers\n"
    'acme,olena,2024-W10,,,4,,5,"Clear, kind,\nand quick"\n'
    "acme,ghost,2024-W10,,,4,,,\n"
    "\n"
    "globex,,,2024-03-01,2024-03-31,9,3,4,\n"
    "acme,,2024-W10,,,3,4,5,Second thoughts\n"
    "acme,,2024-W11,,,3,4,5,one,too,many\n"
)


def _count(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Feedback))


def test_csv_import_keeps_good_lines_and_names_bad_ones(factory, contracts):
    with factory() as session, session.begin():
        report = import_feedback_csv(session, contracts, CSV_TEXT, NOW)
    assert [line for line, _ in report.refused] == [5, 7, 9]
    assert report.refused[0][1][0]["field"] == "developer"
    assert report.refused[1][1][0]["field"] == "responsiveness"
    assert report.refused[2][1][0]["field"] == "row"
    assert report.notes == ["line 8 rates the same client, developer and period as line 2; line 8 is kept"]
    assert (report.created, report.updated, report.saved) == (2, 0, True)
    with factory() as session:
        team = session.scalars(select(Feedback).where(Feedback.developer == "")).one()
        olena = session.scalars(select(Feedback).where(Feedback.developer == "olena")).one()
    assert (team.responsiveness, team.comment) == (3, "Second thoughts")
    assert olena.comment == "Clear, kind,\nand quick"

    with factory() as session, session.begin():
        again = import_feedback_csv(session, contracts, CSV_TEXT, NOW)
    assert (again.created, again.updated) == (0, 2)
    assert _count(factory) == 2


def test_csv_all_or_nothing_stores_nothing_when_a_line_is_bad(factory, contracts):
    with factory() as session, session.begin():
        report = import_feedback_csv(session, contracts, CSV_TEXT, NOW, all_or_nothing=True)
    assert report.saved is False and len(report.refused) == 3
    assert _count(factory) == 0


def test_csv_from_a_spreadsheet_with_semicolons_and_a_byte_order_mark(factory, contracts):
    text = "\ufeffClient;Developer;Period;Responsiveness;Fix speed;Clarity\r\nacme;marco;2024-02;5;4;3\r\n"
    with factory() as session, session.begin():
        report = import_feedback_csv(session, contracts, text, NOW)
    assert (report.created, report.refused) == (1, [])
    with factory() as session:
        row = session.scalars(select(Feedback)).one()
    assert (row.developer, row.fix_speed, describe_period(row.period_start, row.period_end)) == ("marco", 4, "2024-02")


@pytest.mark.parametrize(("text", "words"), [
    ("", "the file is empty"),
    ("client,mood\nacme,fine\n", "unknown column(s) 'mood'"),
    ("developer,period,clarity\nolena,2024-W10,4\n", "one of them must be client"),
    ("client,clarity,clarity\nacme,4,5\n", "clarity appear twice"),
])
def test_a_csv_file_that_cannot_be_read_imports_nothing(factory, contracts, text, words):
    with factory() as session, pytest.raises(FeedbackFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        import_feedback_csv(session, contracts, text, NOW)


def test_demo_feedback_is_written_once(factory):
    from app.demo import demo_contracts

    demo = demo_contracts()
    assert load_demo_feedback(factory, demo, NOW) == 12
    assert load_demo_feedback(factory, demo, NOW) == 12
    assert _count(factory) == 12
    only_acme = parse_contracts(ROOT_CONTRACTS)
    assert load_demo_feedback(factory, only_acme, NOW) == 8, "globex's ratings need globex in the contracts"
