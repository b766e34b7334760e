"""The accessibility check of the browser tests: axe-core (tests/conformance/package.json) run in a Playwright page.

It checks the WCAG 2.0 and 2.1 rules of levels A and AA (labels, names, contrast, language, ...) and axe's best
practices (landmarks, heading order, one main heading), and fails with the rule, its impact, the failing elements
and what to do. axe cannot see the keyboard's focus ring, so ``assert_focus_visible`` tabs through a page and
measures it (WCAG 1.4.11: 3:1 against what is around it). Skipped locally when axe-core is not installed
(`make conformance-packages`); in CI (CI=true) its absence fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import INSTALL_HINT, NODE_MODULES

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RULES = [*WCAG_AA, "best-practice"]
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def axe_script() -> Path:
    """Return axe-core's script, or skip (fail in CI) when it is not installed."""
    if not AXE.is_file():
        message = f"axe-core is not installed for the accessibility check: {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(f"The accessibility check must run in CI: {message}.")
        pytest.skip(message)
    return AXE


def describe(violations: list[dict[str, Any]]) -> str:
    """Say each violation on a few lines: rule id, impact, how many elements, their selectors and the help text."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        lines.append(f"- {v['id']} ({v['impact']}, {len(targets)} element{'s' if len(targets) != 1 else ''}): "
                     f"{v['help']} ({v['helpUrl']})")
        lines += [f"    {target}" for target in targets[:8]]
        if len(targets) > 8:
            lines.append(f"    ... and {len(targets) - 8} more")
    return "\n".join(lines)


def violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.1 A and AA rules and best practices over the page as it is now; return the violations."""
    # The pages' policy (script-src 'none') refuses a <script> tag, as it should: page.add_script_tag would be
    # blocked. Evaluating the file through Playwright leaves the policy in force, so axe sees the page a client sees.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script().read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(RUN, RULES)
    return list(result["violations"])


def assert_accessible(page: Any, what: str) -> None:
    """Fail with a readable list when axe-core finds a WCAG 2.1 A or AA violation, or a best practice broken."""
    found = violations(page)
    assert not found, f"{what} ({page.url}) fails the accessibility check:\n{describe(found)}"


# The focused element's outline, and its contrast with the first opaque background behind the element.
FOCUS_RING = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  let background = [255, 255, 255];
  for (let p = e.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length < 4 || c[3] > 0) { background = c; break; }
  }
  const lum = ([r, g, b]) => [r, g, b].map(v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(rgb(style.outlineColor)), lum(background)].sort((a, b) => b - a);
  const name = (e.getAttribute('aria-label') || e.textContent || e.name || e.id || e.tagName).trim().slice(0, 40);
  return {tag: e.tagName, name, style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          contrast: (hi + 0.05) / (lo + 0.05)};
}"""


def focus_ring(page: Any) -> dict[str, Any]:
    """Return the focused element's name, outline style and width, and the outline's contrast with its background."""
    ring: dict[str, Any] = page.evaluate(FOCUS_RING)
    return ring


def assert_focus_visible(page: Any, what: str, presses: int = 12) -> None:
    """Tab through the first controls of the page: each must show a solid ring of 3:1 contrast or more."""
    weak = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["tag"] == "BODY":  # past the last control
            break
        if ring["style"] in {"none", "hidden"} or ring["width"] < 2 or ring["contrast"] < 3:
            weak.append(f"- {ring['name']!r}: {ring['style']} {ring['width']}px, contrast {ring['contrast']:.2f}:1")
    assert not weak, f"{what} ({page.url}) hides where the keyboard is:\n" + "\n".join(weak)
