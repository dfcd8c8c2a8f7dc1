"""A small server-side SVG builder for the dashboard (no JavaScript, no CDN).

Each function returns markup for an inline ``<svg>``; labels are escaped.  Bars and points
carry a ``<title>`` so a pointer shows the exact figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#3b6ea8"
BAR_ALT = "#8fb3d9"
BELOW = "#c0504d"
TARGET = "#d08c00"
TEXT = "#333"
GRID = "#ddd"


def _fmt(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if percent else f"{value:g}"


def hbars(rows: Sequence[tuple[str, float | None]], *, target: float | None = None,
          maximum: float | None = None, percent: bool = True, title: str = "",
          width: int = 640, bar_height: int = 18) -> Markup:
    """Horizontal bars, one per (label, value); a dashed line at ``target``."""
    label_w, gap, top = 170, 6, 24
    plot_w = width - label_w - 60
    top_value = maximum or max([v or 0 for _, v in rows] + [target or 0, 1e-9])
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" fill="{TEXT}">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        length = 0 if not value else plot_w * min(value / top_value, 1.0)
        colour = BELOW if target is not None and value is not None and value < target else BAR
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_height - 5}" font-size="12" '
                     f'text-anchor="end" fill="{TEXT}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                     f'fill="{colour}"><title>{escape(label)}: {_fmt(value, percent)}</title>'
                     f'</rect>')
        parts.append(f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height - 5}" '
                     f'font-size="11" fill="{TEXT}">{_fmt(value, percent)}</text>')
    if target is not None:
        x = label_w + plot_w * min(target / top_value, 1.0)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" '
                     f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5,3" '
                     f'class="target-line"><title>{_fmt(target, percent)}</title></line>')
        parts.append(f'<text x="{x + 3:.1f}" y="{top - 8}" font-size="11" fill="{TARGET}">'
                     f'{_fmt(target, percent)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_columns(groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None],
                                                                  float | None]],
                    *, title: str = "", width: int = 640, height: int = 240) -> Markup:
    """Vertical bars per group (county), one bar per series; each series its target line."""
    left, bottom, top = 40, 40, 36
    plot_h = height - bottom - top
    plot_w = width - left - 10
    values = [v or 0 for _, vals, _ in series for v in vals] + [t or 0 for _, _, t in series]
    top_value = max(values + [1e-9]) * 1.1
    group_w = plot_w / max(len(groups), 1)
    bar_w = min(28.0, (group_w - 12) / max(len(series), 1))
    colours = [BAR, BAR_ALT, "#6aa84f", "#999"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" fill="{TEXT}">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
             f'stroke="{GRID}"/>']
    for s, (name, _vals, _t) in enumerate(series):
        parts.append(f'<rect x="{left + s * 150}" y="20" width="10" height="10" '
                     f'fill="{colours[s % len(colours)]}"/><text x="{left + s * 150 + 14}" '
                     f'y="29" font-size="11" fill="{TEXT}">{escape(name)}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + 6
        for s, (name, vals, _t) in enumerate(series):
            value = vals[g] if g < len(vals) else None
            h = 0 if not value else plot_h * value / top_value
            x = x0 + s * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" fill="{colours[s % len(colours)]}"><title>'
                         f'{escape(group)} {escape(name)}: {_fmt(value, False)}</title></rect>')
            parts.append(f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                         f'font-size="10" text-anchor="middle" fill="{TEXT}">'
                         f'{_fmt(value, False)}</text>')
        parts.append(f'<text x="{x0 + group_w / 2 - 6:.1f}" y="{top + plot_h + 16}" '
                     f'font-size="12" text-anchor="middle" fill="{TEXT}">{escape(group)}</text>')
    for s, (name, _vals, target) in enumerate(series):
        if target is None:
            continue
        y = top + plot_h - plot_h * target / top_value
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
                     f'stroke="{colours[s % len(colours)]}" stroke-width="1.5" '
                     f'stroke-dasharray="5,3" class="target-line"><title>{escape(name)} '
                     f'{target:g}</title></line>')
        parts.append(f'<text x="2" y="{y + 4:.1f}" font-size="10" fill="{TEXT}">{target:g}'
                     f'</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: Sequence[tuple[str, float | None]], *, target: float | None = None,
         title: str = "", width: int = 640, height: int = 220, percent: bool = True,
         floor: float | None = None) -> Markup:
    """A line over labelled points (months); gaps where a value is missing."""
    left, bottom, top = 48, 34, 26
    plot_h = height - bottom - top
    plot_w = width - left - 16
    known = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    low = floor if floor is not None else (min(known) if known else 0)
    high = max(known + [low + 1e-9]) if known else 1
    span = (high - low) or 1
    step = plot_w / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * (value - low) / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" fill="{TEXT}">{escape(title)}</text>',
             f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">'
             f'{_fmt(high, percent)}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">'
             f'{_fmt(low, percent)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 16}" y2="{top + plot_h}" '
             f'stroke="{GRID}"/>']
    path: list[str] = []
    for i, (label, value) in enumerate(points):
        x = left + i * step
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" font-size="10" '
                     f'text-anchor="middle" fill="{TEXT}">{escape(label)}</text>')
        if value is None:
            if len(path) > 1:
                parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{BAR}" '
                             f'stroke-width="2"/>')
            path = []
            continue
        path.append(f"{x:.1f},{y_of(value):.1f}")
        colour = BELOW if target is not None and value < target else BAR
        parts.append(f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{colour}">'
                     f'<title>{escape(label)}: {_fmt(value, percent)}</title></circle>')
    if len(path) > 1:
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{BAR}" '
                     f'stroke-width="2"/>')
    if target is not None:
        y = y_of(target)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 16}" y2="{y:.1f}" '
                     f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="5,3" '
                     f'class="target-line"><title>{_fmt(target, percent)}</title></line>')
    parts.append("</svg>")
    return Markup("".join(parts))
