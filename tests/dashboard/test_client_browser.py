"""A real browser over the demo with a client token: sign in, land on the client's own promises page, open a late
answer's evidence, and print the printable page to PDF (Chrome's Page.printToPDF): A4 pages holding the figures.

Skipped locally without chromium or Playwright, like tests/dashboard/test_browser.py; in CI their absence fails.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from tests.dashboard.test_browser import LAPTOP, OUTPUT, _page, _sign_in, browser, serve_demo  # noqa: F401

CLIENT_TOKEN = "demo-acme-portal-0123456789"
A4_POINTS = (595, 842)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory, f"client:acme:{CLIENT_TOKEN}") as base:
        yield base


def test_a_client_signs_in_to_its_own_promises_and_prints_them(browser: Any, served: str):  # noqa: F811
    page = _page(browser, LAPTOP)
    _sign_in(page, served, CLIENT_TOKEN)
    assert page.url == served + "/promises"
    assert page.locator("h1").inner_text() == "acme: your promises"
    nav = page.get_by_role("navigation", name="Pages")
    assert nav.get_by_role("link").all_inner_texts() == ["Your promises"]
    assert page.get_by_role("heading", name="What we promised you").count() == 1
    assert page.locator("article.month h3").count() == 2
    assert "globex" not in page.content()
    page.screenshot(path=OUTPUT / "10-client-promises.png", full_page=True)

    page.goto(served + "/developers/olena")
    assert page.locator("h1").inner_text() == "Not available"
    page.goto(served + "/clients/globex")
    assert page.locator("h1").inner_text() == "Not available"

    page.goto(served + "/promises/print")
    assert page.get_by_role("navigation").count() == 0
    figures = page.locator("article.month .share").all_inner_texts()
    assert len(figures) == 4
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (OUTPUT / "11-client-promises.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "acme: your promises" in flat and "What we promised you" in flat
    assert "This month and last" in flat and "Late answers" in flat and "Week by week" in flat
    for figure in figures:  # each month's share on time, as on the screen
        assert figure.split()[0] in flat, figure
    assert "globex" not in flat
    for sheet in reader.pages:
        size = (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height)))
        assert size == A4_POINTS
    assert len(reader.pages) <= 20
    page.context.close()
