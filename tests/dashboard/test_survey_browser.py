"""The survey in a real browser, from the e-mail the worker sent: answer on a phone with a click and from the
keyboard, see changed and closed links refused plainly, unsubscribe; every page passes the accessibility check.

The app is served by uvicorn over a fresh database (SQLite and PostgreSQL) with acme's contacts asked every week;
the worker's own survey and notification jobs run in this process and send by SMTP to a local aiosmtpd server
(tests/mailserver.py). Debian's chromium opens the link taken from the captured mail. Screenshots go to
tests/output/. Skipped locally without chromium, Playwright or axe-core; in CI (CI=true) their absence fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import parse_contracts
from app.core.db import make_sessionmaker
from app.core.tables import Feedback, SurveyOptOut, SurveyRequest
from app.main import create_app
from app.surveys import Links
from app.surveys.links import MAX_LINK_SECONDS
from app.sync.runner import Connectors
from app.sync.worker import Worker
from tests.conftest import CONTRACTS_YAML, make_settings
from tests.dashboard.axe import assert_accessible, axe_script, focus_ring
from tests.dashboard.test_browser import (  # noqa: F401
    LAPTOP,
    OUTPUT,
    PHONE,
    _page,
    base_url,
    browser,
    listening_socket,
    serve,
)
from tests.mailserver import Inbox, smtp_server
from tests.surveys.builders import SECRET

pytestmark = pytest.mark.postgres

# Alice and Tom are acme's contacts; each is asked by e-mail about last week (UTC), all day every day.
CONTRACTS = CONTRACTS_YAML.replace(
    '{id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}',
    '{id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, jira: "acc-alice", '
    'emails: [alice@acme.test]}\n'
    '  - {id: tom, name: Tom Becker, role: client, clients: [acme], github: tom-acme, emails: [tom@acme.test]}',
) + "    survey: {every: week}\n"
NARROW = {"width": 320, "height": 700}  # the smallest phones, and WCAG's reflow width
CLARITY = "How clear were our explanations?"
ANSWERS = "How quickly did we answer your messages?"


@dataclass
class Mail:
    """One captured survey e-mail: who it went to, its words, and the links of its text and HTML parts."""

    to: str
    subject: str
    text: str
    html_text: str
    survey: str
    unsubscribe: str
    header_unsubscribe: str


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.words: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        self.words.append(data)
        if self._href is not None:
            self.links[data.strip()] = self._href


def read_mail(message: EmailMessage) -> Mail:
    """Take a survey e-mail apart; the text and the HTML part must carry the same two links."""
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None and html_part is not None, "a survey e-mail has a text and an HTML part"
    text = text_part.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    anchors = _Anchors()
    anchors.feed(html_part.get_content())
    survey = re.search(r"Answer here: (\S+)", text)
    stop = re.search(r"No more of these questions\? (\S+)", text)
    assert survey and stop, text
    assert anchors.links == {"Answer the questions": survey[1], "No more of these questions": stop[1]}
    return Mail(str(message["To"]), str(message["Subject"]), text, " ".join(" ".join(anchors.words).split()),
                survey[1], stop[1], str(message["List-Unsubscribe"]).strip("<>"))


@dataclass
class Surveyed:
    """The served app, the worker wired to the same database and settings, and the mail server's inbox."""

    base: str
    factory: sessionmaker[Session]
    worker: Worker
    inbox: Inbox
    now: datetime  # the moment the worker's jobs run at; the page reads the real clock, so it is today

    def run_survey_job(self, at: datetime | None = None) -> list[Mail]:
        """Run the worker's survey job, then its notifications job; return the e-mails they sent."""
        before = len(self.inbox.messages)
        self.worker.ask_clients(at or self.now)
        self.worker.send_notifications(at or self.now)
        return [read_mail(m) for m in self.inbox.messages[before:]]

    def feedback(self) -> list[tuple[Any, ...]]:
        with self.factory() as s:
            return [(f.client, f.developer, f.period_start, f.period_end, f.origin, f.responsiveness, f.clarity,
                     f.comment) for f in s.scalars(select(Feedback).order_by(Feedback.id))]

    def request_of(self, person: str) -> SurveyRequest:
        with self.factory() as s:
            return s.scalars(select(SurveyRequest).where(SurveyRequest.person == person)
                             .order_by(SurveyRequest.id.desc())).first()


@pytest.fixture
def surveyed(engine: Engine) -> Iterator[Surveyed]:
    axe_script()  # every page here is checked for accessibility
    contracts = parse_contracts(CONTRACTS, "test pulse.yaml")
    with smtp_server() as (inbox, port), httpx.Client() as http:
        sock = listening_socket()
        settings = make_settings(survey_secret=SECRET, public_url=base_url(sock), smtp_host="127.0.0.1",
                                 smtp_port=port, mail_from="Delivery team <delivery@pulse.test>")
        app = create_app(settings, contracts=contracts, warn=False)
        app.state.engine.dispose()
        app.state.engine = engine
        app.state.sessionmaker = factory = make_sessionmaker(engine)
        worker = Worker(settings, factory, contracts, Connectors(settings, factory), http)
        with serve(app, sock) as base:
            yield Surveyed(base, factory, worker, inbox, datetime.now(UTC).replace(microsecond=0))
        app.state.intake_processor.close(timeout=10)


def _iso_week(day: datetime) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _last_week(now: datetime) -> tuple[datetime, datetime]:
    monday = now.date() - timedelta(days=now.weekday() + 7)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def _focused(page: Any) -> list[str]:
    return page.evaluate("() => { const e = document.activeElement; "
                         "return [e.tagName, e.name || e.id || '', e.value === undefined ? '' : e.value]; }")


# Each control whose box reaches past its question's card (a button cut off, or the page scrolling sideways).
OUTSIDE_CARD = """() => Array.from(document.querySelectorAll('.question button, .question textarea')).filter(e => {
  const box = e.getBoundingClientRect(), card = e.closest('.question').getBoundingClientRect();
  return box.left < card.left || box.right > card.right;
}).map(e => `${e.name || e.id} ${e.value || ''}`.trim())"""


def _tab_to(page: Any, tag: str, name: str, value: str = "", limit: int = 40) -> int:
    """Press Tab until the control is focused; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if _focused(page) == [tag, name, value]:
            return presses
    raise AssertionError(f"{limit} presses of Tab never reached {tag} {name}={value!r}")


def test_a_contact_answers_the_mailed_survey_on_a_phone_by_click_and_by_keyboard(browser: Any,  # noqa: F811
                                                                                 surveyed: Surveyed):
    mails = surveyed.run_survey_job()
    start, end = _last_week(surveyed.now)
    week = _iso_week(start)
    assert sorted(m.to for m in mails) == ["alice@acme.test", "tom@acme.test"]
    mail = next(m for m in mails if m.to == "alice@acme.test")
    assert mail.subject == f"How did we do on week {week}? (acme)"
    for words in (f"Hello Alice,\n\nHow did you find our work for you in week {week}?",
                  "Three questions, 1 to 5; one click answers one of them",
                  "Your answers go to the team's account manager, who sets them beside our own figures for answer "
                  "times and fix times", "They are not shared outside our company.",
                  "It needs no account or password; please do not forward it."):
        assert words in mail.text
        assert " ".join(words.split()) in mail.html_text
    assert mail.survey.startswith(f"{surveyed.base}/survey/")
    assert mail.unsubscribe.startswith(f"{surveyed.base}/survey/unsubscribe/")
    assert mail.header_unsubscribe == mail.unsubscribe

    page = _page(browser, PHONE)
    opened = page.goto(mail.survey)
    assert opened is not None and opened.status == 200
    assert page.locator("h1").inner_text() == "How did we do?"
    assert page.get_by_role("heading", name="What we do with your answers").is_visible()
    assert "Your answers go to the team's account manager" in page.locator("main").inner_text()
    groups = page.get_by_role("group")
    assert groups.all_inner_texts()[0].startswith(ANSWERS) and groups.count() == 4  # and the 0-10 question
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the survey is {width}px wide on a {PHONE['width']}px screen"
    clarity = page.get_by_role("group", name=CLARITY)
    box = clarity.get_by_role("button", name="4 of 5", exact=True).bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44  # a finger's target
    assert_accessible(page, "the survey on a phone")
    page.screenshot(path=OUTPUT / "20-survey-phone.png", full_page=True)
    narrow = _page(browser, NARROW)
    narrow.goto(mail.survey)
    assert narrow.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert narrow.evaluate(OUTSIDE_CARD) == [], "on a 320px screen these answers fall outside their question"
    narrow.context.close()

    with page.expect_navigation():
        clarity.get_by_role("button", name="4 of 5", exact=True).click()
    assert page.url.endswith("?saved=clarity#clarity")
    assert clarity.get_by_role("status").inner_text() == "Saved: 4 of 5. Thank you."
    assert clarity.get_by_role("button", name="4 of 5", exact=True).get_attribute("aria-pressed") == "true"
    assert surveyed.feedback() == [("acme", "", start, end, "survey", None, 4, None)]
    assert_accessible(page, "the survey's confirmation")
    page.screenshot(path=OUTPUT / "21-survey-saved-phone.png", full_page=True)

    with page.expect_navigation():  # changed her mind: the last answer counts, still one row
        clarity.get_by_role("button", name="2 of 5", exact=True).click()
    assert clarity.get_by_role("status").inner_text() == "Saved: 2 of 5. Thank you."
    assert surveyed.feedback() == [("acme", "", start, end, "survey", None, 2, None)]

    page.goto(mail.survey)  # from the top of the page, with the keyboard only
    assert _tab_to(page, "BUTTON", "responsiveness", "1") == 1
    assert _tab_to(page, "BUTTON", "responsiveness", "5") == 4
    ring = focus_ring(page)
    assert ring["style"] == "solid" and ring["contrast"] >= 3, f"the focused answer hardly shows: {ring}"
    with page.expect_navigation():
        page.keyboard.press("Space")
    answers = page.get_by_role("group", name=ANSWERS)
    assert answers.get_by_role("status").inner_text() == "Saved: 5 of 5. Thank you."
    _tab_to(page, "TEXTAREA", "comment")
    page.keyboard.type("Clear answers this week.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save the comment"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#comment").get_by_role("status").inner_text() == "Comment saved. Thank you."
    assert page.get_by_label("Anything you would like to tell us? (optional)").input_value() == (
        "Clear answers this week.")
    assert surveyed.feedback() == [
        ("acme", "", start, end, "survey", 5, 2, "Alice Meyer: Clear answers this week.")]
    request = surveyed.request_of("alice")
    assert (request.responsiveness, request.clarity, request.comment) == (5, 2, "Clear answers this week.")
    assert_accessible(page, "the survey with a saved comment")
    page.screenshot(path=OUTPUT / "22-survey-comment-phone.png", full_page=True)
    page.context.close()

    laptop = _page(browser, LAPTOP)
    laptop.goto(mail.survey)
    assert laptop.get_by_role("group", name=CLARITY).inner_text().endswith("Your answer: 2 of 5.")
    assert_accessible(laptop, "the survey on a laptop")
    laptop.screenshot(path=OUTPUT / "23-survey-laptop.png", full_page=True)
    laptop.context.close()


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - MAX_LINK_SECONDS - 3600


@dataclass(frozen=True)
class _OldLinks(Links):
    """Sign as links.py does, but dated past the longest lifetime a survey link may have."""

    def _serializer(self, purpose: str) -> Any:
        serializer = super()._serializer(purpose)
        serializer.signer = _SignedLongAgo
        return serializer


def test_changed_closed_and_unknown_links_get_a_clear_page_never_a_500(browser: Any,  # noqa: F811
                                                                        surveyed: Surveyed):
    [old] = [m for m in surveyed.run_survey_job(surveyed.now - timedelta(days=21)) if m.to == "alice@acme.test"]
    [mail] = [m for m in surveyed.run_survey_job() if m.to == "alice@acme.test"]
    request = surveyed.request_of("alice")
    links = Links(SECRET, surveyed.base)
    token = mail.survey.rsplit("/", 1)[1]
    changed = mail.survey[:-3] + ("abc" if not mail.survey.endswith("abc") else "xyz")
    cases = [
        ("changed", changed, 400, "This link does not work", "The link is not complete or was changed"),
        ("cut short", mail.survey.replace(token, token[: len(token) // 2]), 400, "This link does not work",
         "Open it again from the e-mail or message you received"),
        ("past its survey's end", old.survey, 410, "This survey has closed", "The time to answer this survey is over"),
        ("signed too long ago", _OldLinks(SECRET, surveyed.base).survey_url(request.id), 410,
         "This survey has closed", "the next survey will come with a new link"),
        ("unknown", links.survey_url(request.id + 1000), 404, "This survey is not known here",
         "Ask your contact at our company for a new link"),
    ]
    page = _page(browser, PHONE)
    for name, link, status, heading, words in cases:
        opened = page.goto(link)
        assert opened is not None and opened.status == status, name
        assert page.locator("h1").inner_text() == heading, name
        assert words in page.locator("main").inner_text(), name
        assert page.get_by_role("button").count() == 0, name
        posted = page.request.post(link, form={"clarity": "5"}, max_redirects=0)
        assert posted.status == status and words in posted.text(), name
        assert_accessible(page, f"the page of a link {name}")
    page.screenshot(path=OUTPUT / "24-survey-unknown-link-phone.png", full_page=True)
    page.context.close()
    assert surveyed.feedback() == []

    laptop = _page(browser, LAPTOP)  # the same page, wide
    laptop.goto(changed)
    assert_accessible(laptop, "the page of a changed link on a laptop")
    laptop.screenshot(path=OUTPUT / "24-survey-changed-link-laptop.png", full_page=True)
    laptop.context.close()


def test_the_unsubscribe_link_asks_then_stops_the_next_survey_to_that_person(browser: Any,  # noqa: F811
                                                                             surveyed: Surveyed):
    [mail] = [m for m in surveyed.run_survey_job() if m.to == "alice@acme.test"]
    page = _page(browser, PHONE)
    opened = page.goto(mail.unsubscribe)
    assert opened is not None and opened.status == 200
    assert page.locator("h1").inner_text() == "No more surveys?"
    assert_accessible(page, "the unsubscribe question")
    with surveyed.factory() as s:
        assert s.scalars(select(SurveyOptOut)).all() == []  # opening the link (or a mail scanner) changes nothing

    with page.expect_navigation():
        page.get_by_role("button", name="Send me no more surveys").click()
    assert page.locator("h1").inner_text() == "You will get no more surveys"
    assert "We will not ask you about our work for acme again" in page.get_by_role("status").inner_text()
    assert_accessible(page, "the unsubscribe confirmation")
    page.screenshot(path=OUTPUT / "25-survey-unsubscribed-phone.png", full_page=True)
    page.context.close()
    with surveyed.factory() as s:
        assert [(o.client, o.person) for o in s.scalars(select(SurveyOptOut))] == [("acme", "alice")]

    next_week = surveyed.run_survey_job(surveyed.now + timedelta(days=7))
    start, _ = _last_week(surveyed.now)
    # The job ran: Tom gets this week's survey and the one reminder of last week's; Alice gets neither.
    assert sorted((m.to, m.subject) for m in next_week) == [
        ("tom@acme.test", f"How did we do on week {_iso_week(start + timedelta(days=7))}? (acme)"),
        ("tom@acme.test", "Reminder: how did we do? (acme)")]
    with surveyed.factory() as s:
        asked = sorted((r.person, r.period_start) for r in s.scalars(select(SurveyRequest)))
    assert asked == [("alice", start), ("tom", start), ("tom", start + timedelta(days=7))]
