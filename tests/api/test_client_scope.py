"""A client token (client:<name>) sees its own client only, on SQLite and PostgreSQL: every /v1 route is classified,
the staff-only ones refuse it, the rest answer narrowed to its client, with no internal notes and no per-developer
figures, in JSON and CSV."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.api.audience import (
    GONE_TEXT,
    OTHER_CLIENT_TEXT,
    PER_DEVELOPER_TEXT,
    ROUTE_ACCESS,
    STAFF_ONLY_TEXT,
    RouteAccess,
    resolve_audience,
    route_keys,
)
from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tokens import Access, Scope, ScopeInvalid, configured_tokens, create_token, parse_access
from tests.api.client_scope import (
    ACME,
    GLOBEX_TITLE,
    GONE_TOKEN,
    JIRA_KEY,
    OTHER_CLIENT,
    SECRET_NOTE,
    scoped_tokens,
    seed_two_clients,
    two_clients,
)
from tests.api.conftest import READ
from tests.conftest import CONTRACTS_YAML

SAMPLE_PATH_VALUES = {"developer_id": "olena", "client_name": "acme", "source": "github", "key": "acme/shop%231"}


@pytest.fixture
def contracts():
    return two_clients()


@pytest.fixture
def app(app, contracts):
    app.state.api_tokens = scoped_tokens(list(contracts.clients))
    return app


@pytest.fixture
def seeded(client):
    return seed_two_clients(client)


def v1_routes(app) -> list:
    """Every /v1 route of the app's table, as served (included routers flattened)."""
    return [r for r in iter_route_contexts(app.routes)
            if isinstance(r.original_route, APIRoute) and (r.path or "").startswith("/v1")]


def sample_url(route) -> str:
    """Fill a route's path parameters with known values; an unknown parameter fails the test, to be added here."""
    def value(match: re.Match[str]) -> str:
        name = match[1]
        assert name in SAMPLE_PATH_VALUES, f"add a sample value for the path parameter {name!r} of {route.path}"
        return SAMPLE_PATH_VALUES[name]
    return re.sub(r"\{(\w+)(?::\w+)?\}", value, route.path)


def test_every_v1_route_is_classified_and_checked(app):
    found = {key for route in v1_routes(app) for key in route_keys(route)}
    assert found - ROUTE_ACCESS.keys() == set(), "classify each new /v1 route in app/api/audience.py ROUTE_ACCESS"
    assert ROUTE_ACCESS.keys() - found == set(), "ROUTE_ACCESS lists routes the app no longer has"
    for route in v1_routes(app):
        calls = [d.call for d in route.dependant.dependencies]
        assert resolve_audience in calls, f"{route.path} is not behind the audience check"


def test_each_staff_only_route_refuses_a_client_token(client, seeded):
    seen = 0
    for route in v1_routes(client.app):
        for key in route_keys(route):
            if ROUTE_ACCESS[key] is not RouteAccess.STAFF_ONLY:
                continue
            method = key.split()[0]
            r = client.request(method, sample_url(route), headers=ACME, json={} if method == "POST" else None)
            assert r.status_code == 403, (key, r.status_code, r.text)
            assert r.json()["detail"] == STAFF_ONLY_TEXT, key
            seen += 1
            staff = client.request(method, sample_url(route), headers=READ, json={} if method == "POST" else None)
            assert staff.status_code != 403 or method == "POST", (key, staff.text)  # the route itself works
    assert seen >= 8


def _own_url(key: str, route) -> str:
    url = sample_url(route)
    return url + ("?group_by=week" if key in ("GET /v1/metrics/responsiveness", "GET /v1/metrics/bug-fix") else "")


def test_each_own_client_route_answers_and_refuses_other_clients_alike(client, seeded):
    for route in v1_routes(client.app):
        for key in route_keys(route):
            if ROUTE_ACCESS[key] is not RouteAccess.OWN_CLIENT:
                continue
            url = _own_url(key, route)
            r = client.get(url, headers=ACME)
            assert r.status_code == 200, (key, r.text)
            assert OTHER_CLIENT not in r.text and GLOBEX_TITLE not in r.text, key
            joiner = "&" if "?" in url else "?"
            other = client.get(f"{url}{joiner}client={OTHER_CLIENT}", headers=ACME)
            missing = client.get(f"{url}{joiner}client=no-such-client", headers=ACME)
            assert other.status_code == missing.status_code == 403, key
            assert other.json()["detail"] == missing.json()["detail"] == OTHER_CLIENT_TEXT


@pytest.mark.parametrize("path", ["/v1/clients/globex", "/v1/clients/no-such-client", "/v1/contracts/globex",
                                  "/v1/contracts/no-such-client"])
def test_naming_another_client_in_the_path_reveals_nothing(client, seeded, path):
    r = client.get(path, headers=ACME)
    assert r.status_code == 403 and r.json()["detail"] == OTHER_CLIENT_TEXT


def test_lists_show_the_own_client_only(client, seeded):
    staff = client.get("/v1/clients", headers=READ).json()
    assert {c["name"] for c in staff["clients"]} == {"acme", "globex"}
    mine = client.get("/v1/clients", headers=ACME).json()
    assert [c["name"] for c in mine["clients"]] == ["acme"]
    clocks = client.get("/v1/clocks?limit=1000", headers=ACME).json()["clocks"]
    assert clocks and {c["client"] for c in clocks} == {"acme"}
    assert {c["client"] for c in client.get("/v1/clocks?limit=1000", headers=READ).json()["clocks"]} == {
        "acme", "globex"}
    contracts = client.get("/v1/contracts", headers=ACME).json()
    assert [c["client"] for c in contracts["clients"]] == ["acme"] and contracts["people"] == []
    assert client.get("/v1/contracts", headers=READ).json()["people"]


def test_csv_downloads_hold_the_own_client_only(client, seeded):
    staff = client.get("/v1/clocks?format=csv&limit=1000", headers=READ).text
    assert GLOBEX_TITLE in staff
    clocks = client.get("/v1/clocks?format=csv&limit=1000", headers=ACME)
    assert clocks.status_code == 200 and clocks.headers["content-type"].startswith("text/csv")
    assert GLOBEX_TITLE not in clocks.text and ",globex," not in clocks.text and ",acme," in clocks.text
    figures = client.get("/v1/metrics/responsiveness?group_by=client&format=csv", headers=ACME)
    assert figures.status_code == 200
    assert [line.split(",")[0] for line in figures.text.splitlines()[1:]] == ["acme"]
    assert client.get("/v1/metrics/responsiveness?format=csv", headers=ACME).status_code == 403


def test_per_developer_figures_are_refused_or_left_out(client, seeded):
    for url in ("/v1/metrics/responsiveness", "/v1/metrics/bug-fix?group_by=developer",
                "/v1/clocks?developer=olena", "/v1/metrics/responsiveness?group_by=week&developer=olena",
                "/v1/feedback?developer=olena"):
        r = client.get(url, headers=ACME)
        assert r.status_code == 403 and r.json()["detail"] == PER_DEVELOPER_TEXT, url
    for url in ("/v1/metrics/plain-language", "/v1/metrics/plain-language?group_by=client",
                "/v1/developers", "/v1/developers/olena", "/v1/metrics/alignment"):
        assert client.get(url, headers=ACME).status_code == 403, url
    staff_card = client.get("/v1/clients/acme", headers=READ).json()
    assert staff_card["developers"]
    card = client.get("/v1/clients/acme", headers=ACME).json()
    assert card["developers"] == [] and card["responsiveness"] == staff_card["responsiveness"]
    assert all(c["holders"] == [] for c in card["open_clocks"])
    weeks = client.get("/v1/metrics/responsiveness?group_by=week", headers=ACME).json()
    assert weeks["groups"] and "olena" not in {g["key"] for g in weeks["groups"]}


def test_a_work_item_shows_no_internal_note_and_another_clients_item_is_not_found(client, seeded):
    staff = client.get(f"/v1/work-items/jira/{JIRA_KEY}", headers=READ)
    assert staff.status_code == 200 and SECRET_NOTE in staff.text
    mine = client.get(f"/v1/work-items/jira/{JIRA_KEY}", headers=ACME)
    assert mine.status_code == 200 and SECRET_NOTE not in mine.text
    assert not any(a["internal"] for a in mine.json()["activities"])
    assert mine.json()["clocks"] and all(c["client"] == "acme" for c in mine.json()["clocks"])
    other = client.get("/v1/work-items/github/globex/portal%239", headers=ACME)
    never = client.get("/v1/work-items/github/globex/portal%2399", headers=ACME)
    assert client.get("/v1/work-items/github/globex/portal%239", headers=READ).status_code == 200
    assert other.status_code == never.status_code == 404
    assert other.json()["detail"].replace("#9'", "#99'") == never.json()["detail"]


def test_a_token_whose_client_left_the_contracts_sees_nothing(client, seeded):
    gone = {"Authorization": f"Bearer {GONE_TOKEN}"}
    assert [c["name"] for c in client.get("/v1/clients", headers=gone).json()["clients"]] == [OTHER_CLIENT]
    client.app.state.contracts = parse_contracts(CONTRACTS_YAML, "acme only")
    for url in ("/v1/clients", "/v1/clocks", "/v1/contracts", "/v1/clients/globex", "/v1/developers"):
        r = client.get(url, headers=gone)
        assert r.status_code == 403, url
    assert client.get("/v1/clients", headers=gone).json()["detail"] == GONE_TEXT
    assert client.get("/v1/clients", headers=ACME).status_code == 200


def test_a_created_client_token_is_stored_and_narrowed(client, factory, seeded):
    with transaction(factory) as session:
        row, token = create_token(session, name="acme-portal", scope=Access(Scope.CLIENT, "acme"))
        assert row.scope == "client:acme"
    headers = {"Authorization": f"Bearer {token}"}
    assert [c["name"] for c in client.get("/v1/clients", headers=headers).json()["clients"]] == ["acme"]
    assert client.get("/v1/developers", headers=headers).status_code == 403
    assert client.post("/v1/contracts/reload", headers=headers).status_code == 403


def test_the_api_description_names_the_scope_and_no_client(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    assert OTHER_CLIENT not in spec.text
    bearer = spec.json()["components"]["securitySchemes"]["HTTPBearer"]["description"]
    assert "client:<name>" in bearer


def test_a_client_scope_must_name_a_client_in_the_contracts():
    assert parse_access("client:acme", ["acme"]) == Access(Scope.CLIENT, "acme")
    with pytest.raises(ScopeInvalid, match="no client named 'nope'"):
        parse_access("client:nope", ["acme"])
    with pytest.raises(ScopeInvalid, match="not a scope"):
        parse_access("owner")
    with pytest.raises(ScopeInvalid, match="entry 2: there is no client named 'nope'"):
        configured_tokens(["admin-token", "client:nope:tok-123"], ["acme"])
    with pytest.raises(ScopeInvalid, match="client:<name>:<token>"):
        configured_tokens(["client:acme"], ["acme"])
