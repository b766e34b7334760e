"""Weekly trend charts drawn on the server as SVG: no script, no build step, readable without colour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from markupsafe import Markup

from app.dashboard.views import percent

WIDTH, HEIGHT = 1100, 290
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
MAX_LABELS = 14


@dataclass(frozen=True)
class Series:
    """One line of the chart: which promise, how it is drawn, and how its points are named."""

    promise: str
    label: str
    css: str  # class names: colour, and the dash and marker that set it apart without colour
    marker: str  # circle | square
    noun: str  # "answers on time"


SERIES = (
    Series("responsiveness", "Answers on time", "series series-answers", "circle", "answers on time"),
    Series("bug_fix", "Bug fixes on time", "series series-fixes", "square", "production bugs fixed on time"),
)


def _x(index: int, count: int) -> float:
    return LEFT + (index + 0.5) * (WIDTH - LEFT - RIGHT) / max(count, 1)


def _y(share: float) -> float:
    return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _grid(good: float) -> list[str]:
    parts = []
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = _y(share)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{share * 100:.0f}%</text>')
    y = _y(good)
    parts.append(f'<line class="goal" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    parts.append(f'<text class="goal-label" x="{WIDTH - RIGHT - 4}" y="{y - 5:.1f}" text-anchor="end">'
                 f'holding at {percent(good)}</text>')
    return parts


def _labels(weeks: Sequence[Mapping[str, Any]]) -> list[str]:
    step = max(1, -(-len(weeks) // MAX_LABELS))
    out = []
    for i, week in enumerate(weeks):
        if i % step == 0:
            out.append(f'<text class="axis" x="{_x(i, len(weeks)):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                       f'text-anchor="middle">{escape(_day(week["starts_on"]))}</text>')
    out.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 6}">Weeks (UTC), by the day each starts</text>')
    return out


def _marker(series: Series, x: float, y: float, tip: str) -> str:
    if series.marker == "square":
        shape = f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"/>'
    else:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5"/>'
    return f'<g class="point"><title>{escape(tip)}</title>{shape}</g>'


def _series(series: Series, weeks: Sequence[Mapping[str, Any]]) -> str:
    segments: list[list[tuple[float, float]]] = [[]]
    markers = []
    for i, week in enumerate(weeks):
        fig = week[series.promise]
        if fig["attainment"] is None:
            if segments[-1]:
                segments.append([])  # a week without decided clocks breaks the line rather than inventing a value
            continue
        x, y = _x(i, len(weeks)), _y(fig["attainment"])
        segments[-1].append((x, y))
        tip = (f"Week of {_day(week['starts_on'])}: {percent(fig['attainment'])} {series.noun} "
               f"({fig['met']} met, {fig['breached']} late)")
        markers.append(_marker(series, x, y, tip))
    paths = [
        '<path d="' + " ".join(f"{'M' if j == 0 else 'L'}{x:.1f},{y:.1f}" for j, (x, y) in enumerate(seg)) + '"/>'
        for seg in segments if len(seg) > 1
    ]
    return f'<g class="{series.css}">{"".join(paths)}{"".join(markers)}</g>'


def trend_chart(weeks: Sequence[Mapping[str, Any]], *, good: float, title: str, chart_id: str = "trend") -> Markup:
    """Draw attainment per week for both promises, with the line where a promise counts as holding."""
    described = [f"{_day(w['starts_on'])}: answers {percent(w['responsiveness']['attainment'])}, "
                 f"bug fixes {percent(w['bug_fix']['attainment'])}" for w in weeks]
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">Share on time per week. {escape("; ".join(described))}.</desc>',
        *_grid(good),
        *_labels(weeks),
        *(_series(s, weeks) for s in SERIES),
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every dynamic text above is escaped
