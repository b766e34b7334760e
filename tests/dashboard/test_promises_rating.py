"""The rating link on a client's own promises page, on SQLite and PostgreSQL: shown to the client's token while its
surveys are on, opening the survey of its current period, the answers stored as its feedback from the promises page;
never a link for another client, none on the team's preview, no slot while surveys are off."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.tables import Feedback, SurveyRequest
from app.reports.feedback import describe_period
from app.surveys import links_from
from metrics.wording import period_in_words
from tests.api.client_scope import ACME_TOKEN, GONE_TOKEN, TWO_CLIENTS_YAML, scoped_tokens
from tests.dashboard.conftest import READ_TOKEN
from tests.dashboard.test_client_pages import sign_in
from tests.surveys.builders import PUBLIC, survey_settings

pytestmark = pytest.mark.postgres
GLOBEX_TOKEN = GONE_TOKEN  # a client:globex token of scoped_tokens
SURVEY_LINK = re.compile(re.escape(PUBLIC) + r"(/survey/[A-Za-z0-9_.\-]+)")


def _contracts(acme: str = "{every: month}", globex: str = "{}"):
    text = TWO_CLIENTS_YAML.replace(
        '{id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}',
        '{id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, jira: "acc-alice", '
        'emails: [alice@acme.test]}',
    ).replace(
        "{id: bob, name: Bob Lindqvist, role: client, github: bob-globex}",
        "{id: bob, name: Bob Lindqvist, role: client, clients: [globex], github: bob-globex, "
        "emails: [bob@globex.test]}",
    ).replace("    calendar: {timezone: UTC", f"    survey: {acme}\n    calendar: {{timezone: UTC")
    return parse_contracts(text + f"    survey: {globex}\n", "rating pulse.yaml")


@pytest.fixture
def app_settings():
    return survey_settings()


@pytest.fixture
def contracts():
    return _contracts()


@pytest.fixture
def app(app, contracts):
    app.state.api_tokens = scoped_tokens(list(contracts.clients))
    return app


def _requests(app) -> list[SurveyRequest]:
    with app.state.sessionmaker() as s:
        return list(s.scalars(select(SurveyRequest).order_by(SurveyRequest.id)))


def _link(html: str) -> str:
    found = SURVEY_LINK.search(html)
    assert found is not None, "no survey link on the page"
    return found[1]


def test_the_clients_page_links_to_its_survey_and_the_answer_is_its_feedback(client, app):
    sign_in(client, ACME_TOKEN)
    page = client.get("/promises")
    assert page.status_code == 200 and "How do you see it?" in page.text
    path = _link(page.text)
    [request] = _requests(app)
    read = links_from(app.state.settings, app.state.contracts).read_survey
    assert read(_link(client.get("/promises").text).rsplit("/", 1)[1]) == request.id  # the same survey each time
    period = describe_period(request.period_start, request.period_end)
    assert (request.client, request.person, request.reason, request.developer) == ("acme", "", "promises_page", "")
    words = period_in_words(period)  # the monthly survey's month, in words
    assert re.fullmatch(r"\d{4}-\d{2}", period) and re.fullmatch(r"[A-Z][a-z]+ \d{4}", words)
    assert f"how we did in {words}" in page.text
    assert read(path.rsplit("/", 1)[1]) == request.id
    printed = client.get("/promises/print")
    assert "How do you see it?" in printed.text and read(_link(printed.text).rsplit("/", 1)[1]) == request.id

    survey = client.get(path)  # the survey page itself needs no sign-in: its link is the key
    assert survey.status_code == 200 and "How clear were our explanations?" in survey.text
    assert f"our work for you in {words}" in survey.text and "No more surveys" not in survey.text
    saved = client.post(path, data={"clarity": "2"}, follow_redirects=False)
    assert saved.status_code == 303
    client.post(path, data={"comment": "Explain the releases in plain words, please."})
    with app.state.sessionmaker() as s:
        [rating] = s.scalars(select(Feedback)).all()
    assert (rating.client, rating.developer, rating.origin, rating.clarity) == ("acme", "", "promises_page", 2)
    assert (rating.period_start, rating.period_end) == (request.period_start, request.period_end)
    assert rating.comment == "From the promises page: Explain the releases in plain words, please."


def test_another_clients_token_never_gets_a_link_for_acme(client, app):
    sign_in(client, GLOBEX_TOKEN)
    page = client.get("/promises")
    assert page.status_code == 200 and "globex: your promises" in page.text
    assert "How do you see it?" not in page.text and "/survey/" not in page.text  # globex's surveys are off
    assert client.get("/promises?client=acme").status_code == 403
    assert _requests(app) == []
    app.state.contracts = _contracts(globex="{every: week}")
    path = _link(client.get("/promises").text)
    [request] = _requests(app)
    assert request.client == "globex" and request.reason == "promises_page"
    assert links_from(app.state.settings, app.state.contracts).read_survey(path.rsplit("/", 1)[1]) == request.id
    assert "acme" not in client.get(path).text


def test_the_teams_preview_shows_where_the_link_goes_without_one(client, app):
    sign_in(client, READ_TOKEN)
    page = client.get("/promises?client=acme")
    assert "How do you see it?" in page.text and "nobody rates in the client's name" in page.text
    assert "/survey/" not in page.text and _requests(app) == []


def test_no_slot_while_the_clients_surveys_are_off(client, app):
    app.state.contracts = _contracts(acme="{}")
    sign_in(client, ACME_TOKEN)
    for path in ("/promises", "/promises/print"):
        page = client.get(path)
        assert page.status_code == 200 and "How do you see it?" not in page.text and "/survey/" not in page.text
    assert _requests(app) == []
