"""The doctor's clock check: this machine's time against the ``Date`` header of GitHub's and Jira's answers.

A clock off by more than a minute breaks signatures and tokens (a GitHub App's JWT is refused), and every clock's
figures: a client message would look answered before it was asked.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from app.sync.doctor import Check, Doctor, Finding, ok, problem, warning
from app.sync.doctor_jira import jira_client
from connectors.jira.client import JiraError
from metrics.wording import minutes_in_words

MAX_SKEW = timedelta(seconds=60)


def _github_date(doctor: Doctor) -> datetime | None:
    # /rate_limit costs no rate limit (https://docs.github.com/en/rest/rate-limit/rate-limit) and answers anyone.
    with httpx.Client(base_url=doctor.settings.github_api_url, timeout=doctor.http_timeout,
                      transport=doctor.transport, headers={"Accept": "application/vnd.github+json"}) as http:
        return _date(http.get("/rate_limit").headers.get("Date"))


def _jira_date(doctor: Doctor) -> datetime | None:
    client = jira_client(doctor)
    if client is None:
        return None
    with client:
        with suppress(JiraError):  # a refusal still carries Jira's Date
            client.get_json(f"/rest/api/{client.api}/serverInfo")
        return client.server_date


def _date(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def check_clock(doctor: Doctor) -> list[Finding]:
    """Compare this machine's clock with GitHub's and Jira's; more than a minute apart is a problem."""
    asked = []
    if doctor.repositories():
        asked.append(("GitHub", _github_date))
    if doctor.projects() and doctor.settings.jira_url:
        asked.append(("Jira", _jira_date))
    found, compared = [], []
    for source, ask in asked:
        before = doctor.now()
        try:
            theirs = ask(doctor)
        except httpx.HTTPError as exc:
            found.append(warning(f"Clock against {source}", f"{source} did not answer ({type(exc).__name__}).",
                                 f"Check that {source} is reachable from this machine."))
            continue
        if theirs is None:
            continue
        mine = before + (doctor.now() - before) / 2  # the Date is stamped somewhere between sending and receiving
        skew = (mine - theirs).total_seconds()
        compared.append(source)
        if abs(skew) > MAX_SKEW.total_seconds():
            way = "ahead of" if skew > 0 else "behind"
            found.append(problem("Machine clock", f"This machine's clock is about {minutes_in_words(abs(skew))} {way} "
                                 f"{source}'s: signatures, tokens and every figure go wrong.",
                                 "Keep the clock in time (enable NTP: timedatectl set-ntp true, or chrony)."))
    if compared and not any(f.check == "Machine clock" for f in found):
        found.append(ok("Machine clock", f"within a minute of {' and '.join(compared)}"))
    return found


CLOCK_CHECKS = (Check("Machine clock", check_clock),)
