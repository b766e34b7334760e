"""Survey and unsubscribe links: signed, single-purpose, refused when changed or too old; a secret is required."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.settings import SettingsError
from app.surveys import LinkRefused, Links, links_from
from app.surveys.links import MAX_LINK_SECONDS
from tests.conftest import make_settings
from tests.surveys.builders import PUBLIC, SECRET, survey_contracts, survey_settings


def _links() -> Links:
    links = links_from(survey_settings(), survey_contracts())
    assert links is not None
    return links


def test_a_survey_link_carries_only_the_request_id_and_reads_back():
    links = _links()
    url = links.survey_url(42)
    assert url.startswith(f"{PUBLIC}/survey/")
    token = url.rsplit("/", 1)[1]
    assert links.read_survey(token) == 42
    assert "answer" not in token and "alice" not in token


def test_a_changed_link_or_another_secret_is_refused():
    links = _links()
    token = links.survey_token(42)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "42", "", "x" * 600):
        with pytest.raises(LinkRefused) as info:
            links.read_survey(bad)
        assert info.value.problem == "tampered"
    with pytest.raises(LinkRefused):
        Links("another-secret-0123456789", PUBLIC).read_survey(token)


def test_a_link_for_one_purpose_does_not_work_for_the_other():
    links = _links()
    with pytest.raises(LinkRefused):
        links.read_unsubscribe(links.survey_token(42))
    with pytest.raises(LinkRefused):
        links.read_survey(links.unsubscribe_token("acme", "alice"))
    assert links.read_unsubscribe(links.unsubscribe_token("acme", "alice")) == ("acme", "alice")


def test_a_link_older_than_any_survey_lifetime_is_expired(monkeypatch):
    old = URLSafeTimedSerializer(SECRET, salt="pulse-survey")
    import itsdangerous.timed as timed

    real = timed.time.time
    monkeypatch.setattr(timed.time, "time", lambda: real() - MAX_LINK_SECONDS - 60)
    token = old.dumps(7)
    monkeypatch.setattr(timed.time, "time", real)
    with pytest.raises(LinkRefused) as info:
        _links().read_survey(token)
    assert info.value.problem == "expired"


def test_surveys_switched_on_need_a_long_enough_secret():
    with pytest.raises(SettingsError, match="PULSE_SURVEY_SECRET is not set, but acme has surveys switched on"):
        links_from(make_settings(), survey_contracts())
    with pytest.raises(SettingsError, match="too short"):
        links_from(make_settings(survey_secret="short"), survey_contracts())
    assert links_from(make_settings(), survey_contracts("{every: null}")) is None
