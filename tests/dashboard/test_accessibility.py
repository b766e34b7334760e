"""Every dashboard page a manager or a client opens passes the accessibility check, on a laptop and on a phone.

The demo served as in tests/dashboard/test_browser.py, with a read token and acme's client token; axe-core
(tests/dashboard/axe.py) checks each page, and the keyboard's focus ring is measured on each. Skipped locally
without chromium, Playwright or axe-core; in CI (CI=true) their absence fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.axe import assert_accessible, assert_focus_visible, axe_script, describe, violations
from tests.dashboard.test_browser import LAPTOP, PHONE, TOKEN, _page, _sign_in, browser, serve_demo  # noqa: F401

CLIENT_TOKEN = "demo-acme-portal-0123456789"
VIEWPORTS = [pytest.param(LAPTOP, id="laptop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    axe_script()
    with serve_demo(tmp_path_factory, f"read:{TOKEN},client:acme:{CLIENT_TOKEN}") as base:
        yield base


def _evidence_path(page: Any, served: str) -> str:
    page.goto(served + "/clients/acme")
    href = page.locator("table", has=page.locator("caption", has_text="Breaches of acme")).locator(
        "td.item a").first.get_attribute("href")
    assert href and href.startswith("/items/")
    return href


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_sign_in_page_and_its_error(browser: Any, served: str, viewport: dict[str, int]):  # noqa: F811
    page = _page(browser, viewport)
    page.goto(served + "/login")
    assert_accessible(page, "the sign-in page")
    assert_focus_visible(page, "the sign-in page")
    _sign_in(page, served, "not-a-token")
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, "the sign-in page with a wrong token")
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("what", "path"), [
    ("the overview", "/"),
    ("a client page", "/clients/acme"),
    ("a developer page", "/developers/olena"),
    ("a clock's evidence", None),
    ("the page of an unknown client", "/clients/nobody"),
])
def test_a_managers_pages(browser: Any, served: str, viewport: dict[str, int], what: str,  # noqa: F811
                          path: str | None):
    page = _page(browser, viewport)
    _sign_in(page, served)
    opened = page.goto(served + (path or _evidence_path(page, served)))
    assert opened is not None and opened.status in {200, 404}
    assert_accessible(page, what)
    assert_focus_visible(page, what)
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("what", "path"), [
    ("the client's promises", "/promises"),
    ("the client's printable promises", "/promises/print"),
    ("a page refused to a client", "/clients/globex"),
])
def test_a_clients_pages(browser: Any, served: str, viewport: dict[str, int], what: str, path: str):  # noqa: F811
    page = _page(browser, viewport)
    _sign_in(page, served, CLIENT_TOKEN)
    page.goto(served + path)
    assert_accessible(page, what)
    assert_focus_visible(page, what)
    page.context.close()


def test_the_check_names_each_broken_rule_and_the_elements_that_break_it(browser: Any):  # noqa: F811
    page = _page(browser, LAPTOP)
    page.set_content('<html><head><title>Broken</title></head><body><main><h1>Broken</h1>'
                     '<img src="data:," id="photo"><input id="nameless">'
                     '<p style="color:#aaa;background:#fff">Pale words</p></main></body></html>')
    found = {v["id"]: v for v in violations(page)}
    assert {"html-has-lang", "image-alt", "label", "color-contrast"} <= set(found)
    text = describe(list(found.values()))
    assert "- image-alt (critical, 1 element): Images must have alternative text" in text
    assert "    #photo" in text and "    #nameless" in text
    with pytest.raises(AssertionError, match="a broken page .* fails the accessibility check"):
        assert_accessible(page, "a broken page")
    page.context.close()
