"""Client surveys: ask each client contact by a signed link, remind once, and turn answers into feedback."""

from app.reports.feedback import describe_period
from app.surveys.answers import (
    QUESTIONS,
    RECOMMEND,
    AnswerInvalid,
    SurveyUnavailable,
    is_opted_out,
    open_request,
    opt_out,
    rate_period,
    read_answer,
    record_answer,
)
from app.surveys.asking import ask_due, contacts, remind_due
from app.surveys.links import LinkRefused, Links, links_from
from app.surveys.messages import USE, about

__all__ = [
    "QUESTIONS",
    "RECOMMEND",
    "USE",
    "AnswerInvalid",
    "LinkRefused",
    "Links",
    "SurveyUnavailable",
    "about",
    "ask_due",
    "contacts",
    "describe_period",
    "is_opted_out",
    "links_from",
    "open_request",
    "opt_out",
    "rate_period",
    "read_answer",
    "record_answer",
    "remind_due",
]
