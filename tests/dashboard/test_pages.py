"""The pages over HTTP: sign-in with an API token in an HTTP-only cookie, no data without it, and what each shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.core.tokens import Scope, create_token, revoke_token
from app.dashboard.auth import COOKIE
from tests.conftest import TOKEN
from tests.dashboard.conftest import READ_TOKEN
from tests.payloads import TAMPERED_CURSORS

PAGES = ["/", "/?period=7d&client=acme", "/developers/olena", "/clients/acme", "/items/github/acme/shop/2"]


def _cookie_header(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_sign_in_and_back(client, story, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    assert story.t0.isoformat() not in r.text and "acme/shop" not in r.text
    back = client.post("/login", data={"token": READ_TOKEN, "next": path}, follow_redirects=False)
    assert (back.status_code, back.headers["location"]) == (303, path)


def test_signing_in_keeps_the_token_in_an_http_only_lax_cookie(client):
    r = client.post("/login", data={"token": READ_TOKEN}, follow_redirects=False)
    cookie = _cookie_header(r)
    assert cookie.startswith(f"{COOKIE}={READ_TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    assert client.get("/").status_code == 200


def test_over_https_the_cookie_is_secure(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://pulse.example") as secure:
        r = secure.post("/login", data={"token": READ_TOKEN}, follow_redirects=False)
    assert "Secure" in _cookie_header(r)


@pytest.mark.parametrize("token", ["", "wrong-token", READ_TOKEN + "x", "x" * 5000])
def test_a_wrong_token_is_refused_and_nothing_is_stored(client, token):
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    assert 'role="alert"' in r.text


def test_a_sign_in_posted_from_another_site_is_refused(client):
    evil = {"Origin": "https://evil.example"}
    r = client.post("/login", data={"token": READ_TOKEN}, headers=evil, follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    same = {"Origin": "http://testserver"}
    assert client.post("/login", data={"token": READ_TOKEN}, headers=same, follow_redirects=False).status_code == 303


def test_admin_and_created_tokens_sign_in_too_until_revoked(client, factory):
    with factory() as session, session.begin():
        _, created = create_token(session, name="morning-view", scope=Scope.READ)
    for token in (TOKEN, created):
        client.cookies.clear()
        assert client.post("/login", data={"token": token}, follow_redirects=False).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 200
    with factory() as session, session.begin():
        revoke_token(session, "morning-view", datetime.now(UTC))
    r = client.get("/clients/acme", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/clients/acme&expired=1")
    assert _cookie_header(r).startswith(f'{COOKIE}="";')
    assert "token was revoked" in client.get("/login?expired=1").text


def test_signing_out_clears_the_cookie(viewer):
    r = viewer.post("/logout", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?signed_out=1")
    assert _cookie_header(r).startswith(f'{COOKIE}="";')
    assert viewer.get("/", follow_redirects=False).status_code == 303


def test_a_signed_in_visit_to_the_login_page_goes_on_but_never_off_site(viewer):
    r = viewer.get("/login?next=//evil.example/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/")
    r = viewer.get("/login?next=/clients/acme", follow_redirects=False)
    assert r.headers["location"] == "/clients/acme"


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_private_locked_down_and_accessible(viewer, story, path):
    r = viewer.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src" not in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in r.text and 'name="viewport"' in r.text
    assert "<caption" in r.text
    for select in re.findall(r'<select id="([^"]+)"', r.text):
        assert f'<label for="{select}">' in r.text


def test_the_overview_shows_each_client_the_running_clocks_and_the_people(viewer, story):
    html = viewer.get("/").text
    assert "Promises this week and last" in html
    assert 'href="/clients/acme"' in html
    assert "overdue by 1 h 30 min" in html or "overdue by 1 h 31 min" in html
    assert html.index("Invoice totals look wrong") < html.index("Banner is stale")
    assert 'href="/developers/olena"' in html and "Marco Rossi" in html
    # Colour is never alone: each status badge carries a word.
    assert re.search(r'class="badge status-broken"><span aria-hidden="true">✗</span> Broken', html)


def test_titles_from_client_messages_are_escaped(viewer, story):
    html = viewer.get("/clients/acme").text
    assert "=HYPERLINK(&#34;http://evil&#34;)" in html
    assert 'HYPERLINK("http' not in html


def test_the_client_page_links_each_breach_to_its_evidence(viewer, story):
    html = viewer.get("/clients/acme").text
    assert "The contract in plain words" in html
    assert 'href="/items/github/acme/shop/2#clock-github-acme-shop-2-response-0"' in html
    assert 'href="https://github.com/acme/shop/issues/2"' in html
    evidence = viewer.get("/items/github/acme/shop/2").text
    assert 'id="clock-github-acme-shop-2-response-0"' in evidence
    assert 'href="#activity-comment-21"' in evidence and 'id="activity-comment-21"' in evidence
    assert "stopped answer clock #1" in evidence


def test_filters_keep_to_the_links_and_bad_values_only_show_a_notice(viewer, story):
    html = viewer.get("/?period=7d&developer=olena").text
    assert 'href="/clients/acme?period=7d&amp;developer=olena"' in html
    assert '<option value="7d" selected>' in html
    odd = viewer.get("/?period=forever&client=nobody")
    assert odd.status_code == 200
    assert "There is no client named &#39;nobody&#39;" in odd.text


@pytest.mark.parametrize("path", ["/developers/nobody", "/clients/nobody", "/items/github/acme/shop/999",
                                  "/items/gitlab/x/1"])
def test_unknown_pages_answer_404_in_html(viewer, path):
    r = viewer.get(path)
    assert r.status_code == 404
    assert "Not found" in r.text and r.headers["content-type"].startswith("text/html")


def test_a_cursor_the_dashboard_never_gave_out_starts_the_breaches_again(viewer, story):
    r = viewer.get("/clients/acme?period=7d&breaches=bogus", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/clients/acme?period=7d")


def test_the_stylesheet_is_served_without_signing_in(client):
    r = client.get("/static/pulse.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")


def test_the_dashboard_stays_out_of_the_api_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p in {"/", "/login", "/logout"} or p.startswith(("/clients", "/items"))]


def test_too_many_wrong_tokens_from_one_address_pause_sign_in_for_that_address(client):
    from app.core.tokens import SignInLimiter

    now = [1000.0]
    client.app.state.sign_in_limiter = SignInLimiter(attempts=3, window=300, clock=lambda: now[0])
    for _ in range(3):
        assert client.post("/login", data={"token": "guess"}, follow_redirects=False).status_code == 401
    blocked = client.post("/login", data={"token": READ_TOKEN}, follow_redirects=False)
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "301"
    assert "Too many wrong tokens from this address. Try again in 6 minutes." in blocked.text
    assert COOKIE not in blocked.headers.get("set-cookie", "")
    now[0] += 301  # the window has passed
    assert client.post("/login", data={"token": READ_TOKEN}, follow_redirects=False).status_code == 303


def test_a_correct_token_clears_the_count_and_empty_forms_do_not_count(client):
    from app.core.tokens import SignInLimiter

    limiter = client.app.state.sign_in_limiter = SignInLimiter(attempts=2, window=300)
    client.post("/login", data={"token": "guess"}, follow_redirects=False)
    for _ in range(3):
        assert client.post("/login", data={"token": ""}, follow_redirects=False).status_code == 401
    assert client.post("/login", data={"token": READ_TOKEN}, follow_redirects=False).status_code == 303
    client.post("/login", data={"token": "guess"}, follow_redirects=False)
    assert limiter.wait_seconds("testclient") == 0


def test_signing_out_takes_a_post_from_this_site(viewer):
    assert viewer.get("/logout", follow_redirects=False).status_code == 405  # a link on another site does nothing
    r = viewer.post("/logout", headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/")
    assert COOKIE not in r.headers.get("set-cookie", "")
    assert viewer.get("/", follow_redirects=False).status_code == 200  # still signed in


@pytest.mark.parametrize("query", [
    {"breaches": TAMPERED_CURSORS["deeply nested JSON"]},
    {"breaches": TAMPERED_CURSORS["a date past the calendar's edge in UTC"]},
    {"breaches": "%%%not-base64"},
    {"since": "0001-01-01", "until": "9999-12-31"},
    {"since": "[[[[[[", "period": "{\"a\": [1]}"},
])
def test_the_client_page_answers_tampered_parameters_without_an_error(viewer, query):
    r = viewer.get("/clients/acme", params=query)
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 303, 422)


def test_a_cancelled_clock_shows_why_on_its_evidence_page_and_counts_apart(viewer, client, story):
    from datetime import timedelta

    from tests.conftest import post_github
    from tests.payloads import issue, issue_event

    t = story.now - timedelta(hours=5)
    bug = issue(9, "alice-acme", t, title="Totals are off", labels=("production",), updated=t)
    assert post_github(client, "issues", issue_event("opened", bug, "alice-acme")).status_code in (200, 202)
    plain = issue(9, "alice-acme", t, title="Totals are off", updated=t + timedelta(minutes=40))
    assert post_github(client, "issues", issue_event("unlabeled", plain, "olena-dev",
                                                    label={"name": "production"})).status_code in (200, 202)
    evidence = viewer.get("/items/github/acme/shop/9").text
    assert "Cancelled" in evidence and "no longer a production bug" in evidence
    assert "not met, not breached: counted apart" in evidence
    assert "1 cancelled (not counted)" in viewer.get("/clients/acme").text
