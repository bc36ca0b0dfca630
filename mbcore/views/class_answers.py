"""The class's answers as a Plotly figure: a bar per option for a choice
question, a histogram for a number, with the measured value marked beside them."""
from __future__ import annotations

import plotly.graph_objects as go

from mbcore.views.figures import COLORS, _layout


def answers_figure(question: dict, answers: list[str],
                   measured: dict[str, float] | None = None) -> go.Figure:
    """`question` as the room stores it; `measured`: run name -> measured value."""
    title = f"The class's answers ({len(answers)})"
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
