"""The survey page over HTTP: answer, answer again, the 0-10 question, a comment, closed, changed and unknown
links, unsubscribing; a GET never changes anything; answers become the client's feedback (both databases)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.db import transaction
from app.core.tables import Feedback, Notification, SurveyOptOut, SurveyRequest
from app.reports.feedback import import_feedback_csv
from app.surveys import ask_due, links_from
from tests.surveys.builders import survey_contracts, survey_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def surveyed(app):
    app.state.settings = survey_settings()
    app.state.contracts = survey_contracts("{every: week, slack_webhook: 'https://hooks.slack.test/acme'}")
    return app


def _ask(app, now: datetime | None = None) -> dict[str, str]:
    """Ask this week's survey; return each person's link path, taken from the queued messages."""
    now = now or datetime.now(UTC)
    links = links_from(app.state.settings, app.state.contracts)
    with transaction(app.state.sessionmaker) as s:
        ask_due(s, app.state.contracts, links, now)
        messages = s.scalars(select(Notification).order_by(Notification.id)).all()
        requests = {r.id: r.person for r in s.scalars(select(SurveyRequest))}
    paths: dict[str, str] = {}
    for message in messages:
        path = re.search(r"http://pulse\.test(/survey/[A-Za-z0-9_.\-]+)", message.text)[1]
        person = requests[links.read_survey(path.rsplit("/", 1)[1])]
        paths.setdefault(person, path)
    return paths


def _request(app, person: str) -> SurveyRequest:
    with app.state.sessionmaker() as s:
        return s.scalars(select(SurveyRequest).where(SurveyRequest.person == person)).one()


def _feedback(app) -> list[Feedback]:
    with app.state.sessionmaker() as s:
        return list(s.scalars(select(Feedback).order_by(Feedback.id)))


def test_the_page_asks_in_plain_words_and_one_click_saves_one_answer(surveyed, client):
    path = _ask(surveyed)["alice"]
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and "default-src 'none'" in page.headers[
        "content-security-policy"]
    html = page.text
    for words in ("How quickly did we answer your messages?", "How quickly did we fix production problems?",
                  "How clear were our explanations?", "How likely are you to recommend us to a colleague?",
                  "What we do with your answers", "Hello Alice Meyer", "No more surveys"):
        assert words in html
    assert html.count("<fieldset>") == 4 and html.count("<legend>") == 4
    assert '<label for="comment-text">' in html and "<script" not in html
    assert _request(surveyed, "alice").answered_at is None and _feedback(surveyed) == []  # a GET changes nothing

    saved = client.post(path, data={"clarity": "2"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?saved=clarity#clarity"
    after = client.get(saved.headers["location"])
    assert "Saved: 2 of 5. Thank you." in after.text
    assert 'value="2" aria-describedby="clarity-scale" aria-pressed="true"' in after.text
    [rating] = _feedback(surveyed)
    assert (rating.client, rating.developer, rating.origin, rating.clarity, rating.responsiveness) == (
        "acme", "", "survey", 2, None)
    assert rating.period_start == _request(surveyed, "alice").period_start


def test_answering_again_counts_the_last_answer_and_contacts_are_averaged(surveyed, client):
    paths = _ask(surveyed)
    client.post(paths["alice"], data={"responsiveness": "2"})
    client.post(paths["alice"], data={"responsiveness": "4"})  # changed her mind: the last answer counts
    client.post(paths["alice"], data={"recommend": "9"})
    client.post(paths["alice"], data={"comment": "  Fast answers lately.  "})
    client.post(paths["bob"], data={"responsiveness": "5"})
    client.post(paths["bob"], data={"recommend": "6"})
    alice = _request(surveyed, "alice")
    assert (alice.responsiveness, alice.recommend, alice.comment) == (4, 9, "Fast answers lately.")
    [rating] = _feedback(surveyed)
    assert (rating.responsiveness, rating.recommend, rating.fix_speed) == (5, 8, None)  # (4+5)/2 and (9+6)/2, half up
    assert rating.comment == "Alice Meyer: Fast answers lately."


def test_a_wrong_answer_gets_a_plain_explanation_and_changes_nothing(surveyed, client):
    path = _ask(surveyed)["alice"]
    for body, words in (({"clarity": "7"}, "Choose a whole number from 1 to 5"),
                        ({"recommend": "11"}, "Choose a whole number from 0 to 10"),
                        ({}, "Nothing was answered"),
                        ({"comment": "x" * 5001}, "please keep it to 5000")):
        r = client.post(path, data=body)
        assert r.status_code == 400 and words in r.text
    assert _request(surveyed, "alice").answered_at is None and _feedback(surveyed) == []


@pytest.mark.parametrize(("change", "status", "words"), [
    ("tamper", 400, "The link is not complete or was changed"),
    ("unknown", 404, "We cannot find the survey this link belongs to"),
    ("expire", 410, "The time to answer this survey is over"),
])
def test_closed_changed_and_unknown_links_get_a_clear_page_never_a_500(surveyed, client, change, status, words):
    path = _ask(surveyed)["alice"]
    if change == "tamper":
        path = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    elif change == "unknown":
        path = "/survey/" + links_from(surveyed.state.settings, surveyed.state.contracts).survey_token(999999)
    else:
        with transaction(surveyed.state.sessionmaker) as s:
            s.scalars(select(SurveyRequest)).first().expires_at = datetime.now(UTC) - timedelta(minutes=1)
    for response in (client.get(path), client.post(path, data={"clarity": "5"})):
        assert response.status_code == status and words in response.text
    assert _feedback(surveyed) == []


def test_unsubscribing_asks_first_then_is_honoured(surveyed, client):
    _ask(surveyed)
    with surveyed.state.sessionmaker() as s:
        text = s.scalars(select(Notification).where(Notification.channel == "email")).one().text
    path = re.search(r"http://pulse\.test(/survey/unsubscribe/\S+)", text)[1]
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Send me no more surveys" in confirm.text
    with surveyed.state.sessionmaker() as s:
        assert s.scalars(select(SurveyOptOut)).all() == []  # the GET (a mail scanner's too) changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "You will get no more surveys" in done.text
    assert "You will get no more surveys" in client.get(path).text
    with surveyed.state.sessionmaker() as s:
        assert [(o.client, o.person) for o in s.scalars(select(SurveyOptOut))] == [("acme", "alice")]
    bad = client.post(path[:-4] + "AAAA")
    assert bad.status_code == 400


def test_feedback_typed_in_for_the_period_wins_and_the_import_says_it_replaced_survey_answers(surveyed, client):
    paths = _ask(surveyed)
    period = _request(surveyed, "alice").period_start.date().isocalendar()
    week = f"{period.year}-W{period.week:02d}"
    client.post(paths["alice"], data={"clarity": "2"})
    with transaction(surveyed.state.sessionmaker) as s:
        report = import_feedback_csv(s, surveyed.state.contracts, f"client,period,clarity\nacme,{week},4\n",
                                     datetime.now(UTC))
    assert report.created == 0 and report.updated == 1
    assert report.notes == [f"line 2 replaces the survey answers of acme for {week}; the answers stay with their "
                            "survey requests"]
    client.post(paths["bob"], data={"clarity": "1"})  # a later survey answer leaves the typed-in rating alone
    [rating] = _feedback(surveyed)
    assert (rating.origin, rating.clarity) == ("csv", 4)
    assert _request(surveyed, "bob").clarity == 1  # kept with its request
