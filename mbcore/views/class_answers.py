"""The class's answers as a Plotly figure: a bar per option for a choice
question, a histogram for a number, with the measured value marked beside them;
for a sketch, every student's curve faint under the measured one."""
from __future__ import annotations

import json
from urllib.parse import quote

import plotly.graph_objects as go

from mbcore.classroom.drawing import Frame
from mbcore.views.figures import COLORS, _layout


def answers_figure(question: dict, answers: list[str],
                   measured: dict[str, float] | None = None) -> go.Figure:
    """`question` as the room stores it; `measured`: run name -> measured value."""
    title = f"The class's answers ({len(answers)})"
    if question["kind"] == "sketch":
        return sketches_figure(question, answers, measured, title)
    if question["kind"] == "choice":
        options = list(question["options"])
        counts = [sum(1 for a in answers if a == o) for o in options]
        fig = go.Figure(go.Bar(x=options, y=counts, text=counts, textposition="outside",
                               marker_color=COLORS[0]))
        return _layout(fig, title, "", "students", yaxis=dict(rangemode="tozero"))
    values = []
    for a in answers:
        try:
            values.append(float(a))
        except ValueError:
            continue
    fig = go.Figure(go.Histogram(x=values, marker_color=COLORS[0], name="answers"))
    for i, (name, value) in enumerate((measured or {}).items()):
        fig.add_vline(x=value, line_dash="dash", line_color=COLORS[(i + 1) % len(COLORS)],
                      annotation_text=f"measured ({name}): {value:.4g}")
    return _layout(fig, title, question.get("unit", ""), "students")


def sketch_figure(question: dict, points: list[float], title: str = "Your sketch") -> go.Figure:
    """One student's sketch as they draw it, or as it was sent (on a phone: small)."""
    fig = go.Figure(go.Scatter(x=[100 * a for a in question["at"]], y=points,
                               mode="lines+markers", line=dict(color=COLORS[0], width=3),
                               name="your sketch"))
    return _sketch_axes(question, fig, title, height=260)


def sketch_background(question: dict, frame: Frame = Frame()) -> str:
    """The axes under the drawing canvas, as an SVG data URL: the plot area, a
    dotted line at each point the sketch is read at (0 % … 100 % of the
    training) and the range's ends and middle, so the student draws to scale."""
    low, high = question["range"]
    ink = 'fill="#555" font-family="sans-serif" font-size="10"'
    parts = [f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_width}" '
             f'height="{frame.plot_height}" fill="#f7f8fc" stroke="#999"/>']
    for share in question["at"]:
        x = frame.x_of(share)
        parts.append(f'<line x1="{x}" y1="{frame.top}" x2="{x}" y2="{frame.y_of(0)}" '
                     'stroke="#ccc" stroke-dasharray="3 3"/>')
        parts.append(f'<text x="{x}" y="{frame.height - 6}" text-anchor="middle" {ink}>'
                     f'{100 * share:.0f}%</text>')
    for fraction in (0.0, 0.5, 1.0):
        y = frame.y_of(fraction)
        parts.append(f'<line x1="{frame.left}" y1="{y}" x2="{frame.width - frame.right}" '
                     f'y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{frame.left - 4}" y="{y + 3}" text-anchor="end" {ink}>'
                     f'{low + fraction * (high - low):.3g}</text>')
    # twice the canvas's pixels, so a phone's dense screen shows it sharp
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * frame.width}" '
           f'height="{2 * frame.height}" viewBox="0 0 {frame.width} {frame.height}">'
           '<rect width="100%" height="100%" fill="white"/>'
           + "".join(parts) + "</svg>")
    return "data:image/svg+xml;charset=utf-8," + quote(svg)


def sketches_figure(question: dict, answers: list[str], measured: dict | None,
                    title: str) -> go.Figure:
    """Every sketch a faint line; the measured validation curve (run name -> values
    per epoch) bold over them, its epochs spread over the same 0–100 % of training."""
    fig = go.Figure()
    x = [100 * a for a in question["at"]]
    for i, answer in enumerate(answers):
        try:
            y = [float(v) for v in json.loads(answer)]
        except (TypeError, ValueError):
            continue
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", opacity=0.35, showlegend=i == 0,
                                 line=dict(color=COLORS[0], width=2), name="sketches",
                                 legendgroup="sketches", hoverinfo="skip"))
    for i, (name, curve) in enumerate((measured or {}).items()):
        if isinstance(curve, (list, tuple)) and curve:
            n = len(curve)
            fig.add_trace(go.Scatter(x=[100 * (e + 1) / n for e in range(n)], y=list(curve),
                                     mode="lines", name=f"measured ({name})",
                                     line=dict(color=COLORS[(i + 1) % len(COLORS)], width=5)))
    return _sketch_axes(question, fig, title)


def _sketch_axes(question: dict, fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    low, high = question["range"]
    fig.update_yaxes(range=[low, high])
    fig.update_xaxes(range=[0, 100])
    return _layout(fig, title, "share of the training (%)",
                   f"validation {question.get('measured', '')}".strip(), height=height)


def results_figure(results: list[dict], field: str, measured: str) -> go.Figure:
    """The class's own variants: the submitted validation value against the setting
    they varied, one dot per student (named on hover)."""
    points = []
    for r in results:
        raw = r["settings"].get(field)
        try:
            x = float(raw)
        except (TypeError, ValueError):
            x = raw          # a choice or a switch: a category on the axis
        points.append((x, r["value"], r["nickname"]))
    fig = go.Figure(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points],
                               text=[p[2] for p in points], mode="markers",
                               marker=dict(size=14, color=COLORS[0], opacity=0.75),
                               hovertemplate="%{text}: %{y:.4g}<extra></extra>"))
    return _layout(fig, f"The class's variants ({len(points)})", field,
                   f"validation {measured}")
