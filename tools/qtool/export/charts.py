"""SVG charts for the site's coverage page, drawn at build time from ``qtool.export.coverage`` figures.

Plain SVG with no script and no inline style: colours come from classes the site's CSS defines
for light and dark schemes, so the pictures follow ``prefers-color-scheme`` and print. Every
text is escaped; each chart has a <title> and is marked ``role="img"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

#: Rough width of one character of the 12px chart font, for laying out labels.
CHAR = 6.6
FONT = 12
CELL = 30
BAR_WIDTH = 420
BAR_HEIGHT = 20
BUCKETS = 5
#: Longest label drawn, in pixels (longer ones are cut with an ellipsis; the <title> has them whole).
LABEL_MAX = 280


def _label_width(labels: Sequence[str], cap: float = 260) -> float:
    return min(cap, max((len(label) for label in labels), default=0) * CHAR) + 12


def _clip(label: str, width: float) -> str:
    most = max(4, int((width - 12) / CHAR))
    return label if len(label) <= most else label[: most - 1] + "…"


def _open(width: float, height: float, ident: str, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="{ident}-title">',
            f'<title id="{ident}-title">{escape(title)}</title>']


def bucket(count: int, most: int) -> int:
    """Which of the heat map's shades a count gets: 0 for none, 1..BUCKETS by share of the largest."""
    if count <= 0 or most <= 0:
        return 0
    return 1 + min(BUCKETS - 1, (count - 1) * BUCKETS // most)


def heatmap(rows: Sequence[str], columns: Sequence[str], counts: Mapping[str, Mapping[str, int]], ident: str,
            title: str) -> str:
    """A rows × columns grid of counts, shaded by count, with slanted column labels."""
    left = _label_width(rows)
    top = _label_width(columns, cap=LABEL_MAX) * 0.72 + 8
    width = left + CELL * len(columns) + top * 0.72 + 10
    height = top + CELL * len(rows) + 4
    most = max((counts[r].get(c, 0) for r in rows for c in columns), default=0)
    out = _open(width, height, ident, title)
    for j, column in enumerate(columns):
        x = left + CELL * j + CELL / 2
        out.append(f'<text class="label" x="{x:.0f}" y="{top - 6:.0f}" transform="rotate(-45 {x:.0f} {top - 6:.0f})">'
                   f'{escape(_clip(column, LABEL_MAX))}</text>')
    for i, row in enumerate(rows):
        y = top + CELL * i
        out.append(f'<text class="label" x="{left - 8:.0f}" y="{y + CELL / 2 + 4:.0f}" text-anchor="end">{escape(_clip(row, left))}</text>')
        for j, column in enumerate(columns):
            count = counts[row].get(column, 0)
            x = left + CELL * j
            out.append(f'<g class="h{bucket(count, most)}"><title>{escape(row)} × {escape(column)}: {count}</title>'
                       f'<rect x="{x:.0f}" y="{y:.0f}" width="{CELL - 2}" height="{CELL - 2}" rx="3"/>'
                       f'<text x="{x + (CELL - 2) / 2:.0f}" y="{y + CELL / 2 + 3:.0f}" text-anchor="middle">{count}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def stacked_bars(rows: Sequence[str], keys: Sequence[str], counts: Mapping[str, Mapping[str, int]], ident: str,
                 title: str) -> str:
    """One horizontal bar per row, split into one shaded segment per key, with a legend above."""
    left = _label_width(rows)
    totals = {row: sum(counts[row].get(key, 0) for key in keys) for row in rows}
    most = max(totals.values(), default=0) or 1
    legend_height = 26
    width = left + BAR_WIDTH + 60
    height = legend_height + (BAR_HEIGHT + 8) * len(rows) + 4
    out = _open(width, height, ident, title)
    x = left
    for k, key in enumerate(keys):
        out.append(f'<g class="s{k % 6}"><rect x="{x:.0f}" y="4" width="12" height="12" rx="2"/>'
                   f'<text class="label" x="{x + 16:.0f}" y="14">{escape(key)}</text></g>')
        x += 16 + len(key) * CHAR + 14
    for i, row in enumerate(rows):
        y = legend_height + (BAR_HEIGHT + 8) * i
        out.append(f'<text class="label" x="{left - 8:.0f}" y="{y + BAR_HEIGHT / 2 + 4:.0f}" text-anchor="end">{escape(_clip(row, left))}</text>')
        x = left
        for k, key in enumerate(keys):
            count = counts[row].get(key, 0)
            if not count:
                continue
            span = BAR_WIDTH * count / most
            out.append(f'<g class="s{k % 6}"><title>{escape(row)}, {escape(key)}: {count}</title>'
                       f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="{BAR_HEIGHT}"/></g>')
            x += span
        out.append(f'<text class="label" x="{x + 6:.1f}" y="{y + BAR_HEIGHT / 2 + 4:.0f}">{totals[row]}</text>')
    out.append("</svg>")
    return "\n".join(out)
