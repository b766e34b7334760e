"""Dashboard fixtures: the API tests' known history, and a browser-like client signed in with a read token."""

from __future__ import annotations

import pytest

from app.core.tokens import configured_tokens
from app.dashboard.auth import COOKIE
from tests.api.conftest import Story, seed_story
from tests.conftest import TOKEN

READ_TOKEN = "reader-token-0123456789"


@pytest.fixture
def app(app):
    """The shared app, also accepting a read-only token from PULSE_API_TOKENS."""
    app.state.api_tokens = configured_tokens([TOKEN, f"read:{READ_TOKEN}"])
    return app


@pytest.fixture
def story(client) -> Story:
    return seed_story(client)


@pytest.fixture
def viewer(client):
    """The test client signed in with the read token, holding the cookie a browser would."""
    r = client.post("/login", data={"token": READ_TOKEN}, follow_redirects=False)
    assert r.status_code == 303 and COOKIE in client.cookies
    return client
