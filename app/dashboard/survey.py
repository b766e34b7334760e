"""The survey page a client opens from a signed link: no account, one click per answer, nothing changed by a GET."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.db import transaction
from app.core.tables import SurveyRequest
from app.dashboard.audience import check_page
from app.dashboard.rendering import PAGE_HEADERS, render
from app.settings import SettingsError
from app.surveys import (
    QUESTIONS,
    RECOMMEND,
    USE,
    AnswerInvalid,
    LinkRefused,
    Links,
    SurveyUnavailable,
    about,
    describe_period,
    is_opted_out,
    links_from,
    open_request,
    opt_out,
    read_answer,
    record_answer,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_page)])
MAX_ANSWER_BYTES = 24 * 1024  # a comment of 5,000 characters, encoded, with room to spare
_CLOSED = {
    "tampered": (400, "This link does not work",
                 "The link is not complete or was changed. Open it again from the e-mail or message you received; "
                 "if it still does not work, ask your contact at our company for a new one."),
    "expired": (410, "This survey has closed",
                "The time to answer this survey is over. Thank you all the same: the next survey will come with "
                "a new link."),
    "unknown": (404, "This survey is not known here",
                "We cannot find the survey this link belongs to. Ask your contact at our company for a new link."),
}


def survey_links(request: Request) -> Links | None:
    """Return the link signer for the settings and contracts in force (None: no secret, so no link is valid)."""
    try:
        return links_from(request.app.state.settings, request.app.state.contracts)
    except SettingsError:
        return None


def _closed(request: Request, problem: str) -> HTMLResponse:
    status, heading, explanation = _CLOSED[problem]
    context = {"title": heading, "heading": heading, "explanation": explanation}
    return render(request, "survey_closed.html", context, status_code=status)


def _context(request: Request, survey: SurveyRequest, token: str, **extra: Any) -> dict[str, Any]:
    contracts = request.app.state.contracts
    with request.app.state.sessionmaker() as session:
        topic = about(session, contracts, survey, describe_period(survey.period_start, survey.period_end))
    person = contracts.people.get(survey.person)
    links = survey_links(request)
    assert links is not None  # the request was opened with them
    return {
        "title": f"How did we do? · {survey.client}", "token": token, "survey": survey, "about": topic,
        "person_name": person.name if person else survey.person, "questions": QUESTIONS, "recommend": RECOMMEND,
        "use": USE, "saved": None, "error": None,
        # The promises page's survey names no contact: there is nobody to unsubscribe.
        "unsubscribe": links.unsubscribe_url(survey.client, survey.person) if survey.person else None,
        **extra,
    }


@router.get("/survey/{token}", response_class=HTMLResponse)
def read_survey(token: str, request: Request, saved: str | None = None) -> Response:
    now = datetime.now(UTC)
    with request.app.state.sessionmaker() as session:
        try:
            survey = open_request(session, survey_links(request), token, now)
        except SurveyUnavailable as exc:
            return _closed(request, exc.problem)
    shown = saved if saved in {*(q.name for q in QUESTIONS), "recommend", "comment"} else None
    return render(request, "survey.html", _context(request, survey, token, saved=shown))


async def _read_fields(request: Request) -> dict[str, str] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[-1] for name, values in fields.items() if values}


@router.post("/survey/{token}", response_class=HTMLResponse)
async def answer_survey(token: str, request: Request) -> Response:
    fields = await _read_fields(request)
    return await run_in_threadpool(_save, request, token, fields)


def _save(request: Request, token: str, fields: dict[str, str] | None) -> Response:
    now = datetime.now(UTC)
    with transaction(request.app.state.sessionmaker) as session:
        try:
            survey = open_request(session, survey_links(request), token, now, for_update=True)
        except SurveyUnavailable as exc:
            return _closed(request, exc.problem)
        try:
            if fields is None:
                raise AnswerInvalid("The answer could not be read; it may be too long. Please try again.")
            answer = read_answer(survey, fields)
        except AnswerInvalid as exc:  # nothing was changed: the transaction ends with nothing to commit
            return render(request, "survey.html", _context(request, survey, token, error=str(exc)), status_code=400)
        record_answer(session, request.app.state.contracts, survey, answer, now)
    saved = next(iter(answer))
    return RedirectResponse(f"/survey/{token}?saved={saved}#{saved}", status_code=303,
                            headers={"Cache-Control": "no-store"})


def _unsubscribe_target(request: Request, token: str) -> tuple[str, str] | None:
    links = survey_links(request)
    if links is None:
        return None
    try:
        return links.read_unsubscribe(token)
    except LinkRefused:
        return None


@router.get("/survey/unsubscribe/{token}", response_class=HTMLResponse)
def read_unsubscribe(token: str, request: Request) -> Response:
    target = _unsubscribe_target(request, token)
    if target is None:
        return _closed(request, "tampered")
    with request.app.state.sessionmaker() as session:
        done = is_opted_out(session, *target)
    context = {"title": "No more surveys", "token": token, "client": target[0], "done": done}
    return render(request, "survey_unsubscribe.html", context)


@router.post("/survey/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request) -> Response:
    target = _unsubscribe_target(request, token)
    if target is None:
        return _closed(request, "tampered")
    with transaction(request.app.state.sessionmaker) as session:
        opt_out(session, *target, datetime.now(UTC))
    context = {"title": "No more surveys", "token": token, "client": target[0], "done": True}
    response = render(request, "survey_unsubscribe.html", context)
    response.headers.update(PAGE_HEADERS)
    return response
