"""Plotly figures the pages share: curves, fits, matrices, images, bars.

Plain functions from arrays and dicts to go.Figure, with no Streamlit in
them, so a figure can be tested (or exported) without a running app. Large
fonts and few colours, because the lessons are shown on a projector.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mbcore.views.curves import shown_base, shown_val

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22")
FONT = 15


def export_config(file_stem: str) -> dict:
    """Plotly's own toolbar: no logo, and the camera button saves a sharp PNG
    (twice the screen's pixels) under a file name that says what it is."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": file_stem, "scale": 2}}


def _layout(fig: go.Figure, title: str, x: str = "", y: str = "", height: int = 360,
            **extra) -> go.Figure:
    return set_layout(fig, _layout_dict(title, x, y, height, **extra))


def _layout_dict(title: str, x: str = "", y: str = "", height: int = 360, **extra) -> dict:
    """The layout every figure shares, as nested dicts (no 'title_text' shorthands)."""
    return merged(dict(title=dict(text=title, font=dict(size=FONT + 3), y=0.98, yanchor="top"),
                        height=height, font=dict(size=FONT), margin=dict(l=10, r=10, t=90, b=10),
                        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0),
                        xaxis=dict(title=dict(text=x)), yaxis=dict(title=dict(text=y))), extra)


def set_layout(fig: go.Figure, changes: dict) -> go.Figure:
    """fig.update_layout(changes) for nested dicts, five to ten times faster.

    Why: Plotly's update_* calls resolve every key path one by one (~30 ms a
    call on this machine, 80 ms for a curve chart), while a layout assigned
    whole is validated in one pass. The live curves are rebuilt several times
    a second, so this is most of a redraw's server time."""
    fig.layout = merged(fig.layout.to_plotly_json(), changes)
    return fig


def merged(base: dict, changes: dict) -> dict:
    """A copy of `base` with `changes` laid over it, nested dicts merged key by key."""
    out = dict(base)
    for key, value in changes.items():
        old = out.get(key)
        out[key] = (merged(old, value) if isinstance(old, dict) and isinstance(value, dict)
                    else value)
    return out


WAITING = "waiting for the first epoch…"
BEFORE_TRAIN = "Press Train: the curves are drawn here as it learns"
PAIR_KEY = "solid: training<br>dashed: validation"   # a crowded legend's heading
LEGEND_ROOM = 170     # px of a figure that are not its legend's entries (title, axis, key)
LEGEND_ROW_TOP = 74   # px above the plot: the title, then a one-row legend under it
WHOLE_EPOCH_TICKS = 10   # up to this many epochs, the epoch axis has a tick at each


def curves(series: dict[str, list], title: str, y: str = "loss", x: str = "epoch",
           log_y: bool = False, height: int = 400, empty: str = WAITING,
           key_in_title: bool = False) -> go.Figure:
    """One line per named series; 'val …' series are dashed in their partner's colour.

    `series` maps a legend name to per-epoch values; a name starting with
    'val ' is drawn dashed in the colour of the name without the prefix.
    `key_in_title`: a crowded legend's key (solid, dashed) goes in the title, for
    a chart too short for the key and every entry beside the plot.
    """
    crowded = len(series) > 2          # then one legend entry per pair, on the right
    traces = _curve_traces(series, _partners(series), crowded=crowded)
    return _curves_figure(traces, series, title, x, y, log_y, height, crowded, empty,
                          key_in_title)


def overlay(a: dict[str, list], b: dict[str, list], title: str, y: str = "loss",
            log_y: bool = False, height: int = 400, empty: str = WAITING,
            key_in_title: bool = False) -> go.Figure:
    """Pinned run A against run B on one chart: the same colour for the same curve,
    A thin and faded, B bold, so each pair reads as 'before' and 'after'."""
    both = {**{f"A {k}": v for k, v in a.items()}, **b}
    base = _partners({**a, **b})
    crowded = len(both) > 2
    traces = (_curve_traces(a, base, label="A · ", width=2, opacity=0.45, crowded=crowded)
              + _curve_traces(b, base, label="B · ", crowded=crowded))
    return _curves_figure(traces, both, title, "epoch", y, log_y, height, crowded, empty,
                          key_in_title)


def _partners(series: dict) -> list[str]:
    """The curve names without 'val ', in order: one colour each."""
    base = [n for n in series if not shown_val(n)]
    return base + [shown_base(n) for n in series if shown_val(n) and shown_base(n) not in base]


def _curve_traces(series: dict, base: list[str], label: str = "", width: float = 3,
                  opacity: float = 1.0, crowded: bool = False) -> list[dict]:
    traces = []
    for name, values in series.items():
        val, partner = shown_val(name), shown_base(name)
        traces.append(dict(
            type="scatter", x=list(range(1, len(values) + 1)), y=list(values),
            name=label + (partner if crowded and not val else name), opacity=opacity,
            mode="lines" if len(values) > 1 else "markers",     # one epoch: a dot
            legendgroup=label + partner, showlegend=not (crowded and val),
            line=dict(color=COLORS[base.index(partner) % len(COLORS)], width=width,
                      dash="dash" if val else "solid")))
    return traces


def _curves_figure(traces: list[dict], series: dict, title: str, x: str, y: str, log_y: bool,
                   height: int, crowded: bool, empty: str = WAITING,
                   key_in_title: bool = False) -> go.Figure:
    """The curves' figure, made in one go (the live view rebuilds it a few times a second)."""
    pairs = any(shown_val(n) for n in series)
    key_in_title = key_in_title and crowded and pairs
    if key_in_title:
        title = f"{title} · {PAIR_KEY.replace('<br>', ', ')}"
    layout = _layout_dict(title, x, y, height)
    if not any(len(v) for v in series.values()):    # before the first epoch, or none came
        layout.update(annotations=[dict(text=empty, showarrow=False, xref="paper",
                                        yref="paper", x=0.5, y=0.5, font=dict(size=FONT + 2))])
        layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
        return go.Figure(data=traces, layout=layout)
    if crowded:
        # one entry per train/validation pair, beside the plot: above or below a
        # short live chart, rows of entries took half its height
        # (small type, and the figure tall enough that every entry shows: a
        # legend taller than the plot scrolls and hides its last entries)
        entries = sum(1 for trace in traces if trace["showlegend"])
        layout.update(legend=dict(orientation="v", x=1.02, y=1, yanchor="top",
                                  title=dict(text=PAIR_KEY if pairs and not key_in_title
                                             else None),
                                  font=dict(size=FONT - 3), tracegroupgap=0),
                      height=max(height, LEGEND_ROOM + 22 * entries))
        layout["margin"]["t"] = 50
    else:
        # a pair or a single curve: one row under the title, above the plot. Inside
        # the plot, even in the corner the curves end away from, it covered a
        # validation curve that turned back up (an overfitting net's, the very
        # thing the lesson shows), in the narrow two-across charts of the panel.
        layout.update(legend=dict(orientation="h", x=0, xanchor="left", y=1.0,
                                  yanchor="bottom", font=dict(size=FONT - 2)))
        layout["margin"]["t"] = LEGEND_ROW_TOP
    if log_y:
        layout["yaxis"].update(_log_axis_dict([v for vs in series.values() for v in vs]))
    if max(len(v) for v in series.values()) <= WHOLE_EPOCH_TICKS:
        # a few epochs: one tick each (Plotly's own steps of 0.5 read as half epochs)
        layout["xaxis"].update(tick0=1, dtick=1)
    return go.Figure(data=traces, layout=layout)


def log_axis(fig: go.Figure, values) -> None:
    """A log y axis whose ticks (log_ticks) fit these values, labelled in full."""
    set_layout(fig, {"yaxis": _log_axis_dict(values)})


def _log_axis_dict(values) -> dict:
    values = [v for v in values if v and v > 0]
    ticks = log_ticks(min(values), max(values)) if values else []
    return dict(type="log", tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def log_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """Tick values for a log axis from lo to hi, each labelled in full: 1, 2 and 5
    of every decade when that gives a few, else 1 of every decade (or of every
    other one). Plotly's own 'D2' labels 2 and 5 as small bare digits, and one
    label per decade left a curve within a decade one label or none."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1, 2, 3, 5), (1, 2, 5), (1,)):
        ticks = [m * 10.0 ** k for k in range(first, last + 1) for m in mantissas]
        inside = [float(f"{t:.3g}") for t in ticks if lo / 1.05 <= t <= hi * 1.05]
        if len(inside) <= most:
            break
    else:
        step = math.ceil((last - first + 1) / most)
        inside = [10.0 ** k for k in range(first, last + 1, step)]
    if len(inside) < 3:      # a narrow range: four steps across it, two digits each
        inside = sorted({float(f"{lo * (hi / lo) ** (i / 3):.2g}") for i in range(4)})
    return inside


def fit(x, exact, predicted: dict[str, np.ndarray], title: str, y: str = "y",
        points: tuple | None = None) -> go.Figure:
    """The exact curve, one or more predictions on the same x, optional data points.
    (Made in one go: the live view redraws it with every report.)"""
    traces = [] if points is None else [
        dict(type="scatter", x=points[0], y=points[1], mode="markers", name="data",
             marker=dict(color="#bbbbbb", size=5))]
    traces.append(dict(type="scatter", x=x, y=exact, name="exact", mode="lines",
                       line=dict(color="black", width=3)))
    traces += [dict(type="scatter", x=x, y=np.ravel(pred), name=name, mode="lines+markers",
                    marker=dict(size=5), line=dict(color=COLORS[i % len(COLORS)], width=2))
               for i, (name, pred) in enumerate(predicted.items())]
    return go.Figure(data=traces, layout=_layout_dict(title, "x", y))


def confusion(matrix: np.ndarray, title: str, labels=None) -> go.Figure:
    """Rows: true class, columns: predicted class, cells: counts."""
    labels = [str(v) for v in (labels if labels is not None else range(len(matrix)))]
    heat = dict(type="heatmap", z=matrix, x=labels, y=labels, colorscale="Blues",
                text=matrix, texttemplate="%{text}", showscale=False)
    return go.Figure(data=[heat], layout=_layout_dict(
        title, "predicted class", "true class", height=420, xaxis=dict(type="category"),
        yaxis=dict(autorange="reversed", type="category")))


def heatmap(values: np.ndarray, title: str, x: str = "", y: str = "") -> go.Figure:
    """A weight matrix as colours, centred on zero so the sign reads at a glance."""
    values = np.atleast_2d(values)
    top = float(np.abs(values).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=values, colorscale="RdBu", zmin=-top, zmax=top,
                               colorbar=dict(title="weight")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, x, y, height=max(300, min(700, 18 * values.shape[0] + 120)))


def image_grid(images: np.ndarray, captions: list[str], title: str, columns: int = 6,
               colors: list[str] | None = None) -> go.Figure:
    """Small greyscale images in a grid, each with a caption above it."""
    n = len(images)
    rows = math.ceil(n / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=captions,
                        horizontal_spacing=0.02, vertical_spacing=0.12 / max(rows, 1))
    for i, img in enumerate(images):
        fig.add_trace(go.Heatmap(z=np.squeeze(img), colorscale="gray_r", showscale=False),
                      row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    for i, ann in enumerate(fig.layout.annotations):
        ann.font = dict(size=FONT - 2, color=(colors or [None] * n)[i])
    return _layout(fig, title, height=170 * rows + 60)


def bars(values: dict[str, float], title: str, y: str = "", ref: float | None = None,
         ref_label: str = "", fmt: str = ".1%") -> go.Figure:
    """One bar per name, with an optional dotted reference line (chance level)."""
    names = list(values)
    fig = go.Figure(go.Bar(x=names, y=[values[n] for n in names],
                           marker_color=[COLORS[i % len(COLORS)] for i in range(len(names))],
                           text=[format(values[n], fmt) for n in names], textposition="outside"))
    if ref is not None:
        fig.add_hline(y=ref, line_dash="dot", annotation_text=ref_label)
    return _layout(fig, title, "", y)


def layer_profile(series: dict[str, dict[str, float]], title: str, y: str,
                  log_y: bool = True) -> go.Figure:
    """A value per layer (e.g. gradient size), one line per run, input side first.

    x is the layer's position, so nets of different depth share one axis;
    the hover text names the layer.
    """
    fig = go.Figure()
    for i, (run, per_layer) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(range(1, len(per_layer) + 1)), y=list(per_layer.values()),
                                 name=run, text=list(per_layer), mode="lines+markers",
                                 hovertemplate="%{text}: %{y:.2e}<extra></extra>",
                                 line=dict(color=COLORS[i % len(COLORS)], width=3)))
    fig = _layout(fig, title, "layer with weights, counted from the input", y, height=400)
    if log_y:
        log_axis(fig, [v for per_layer in series.values() for v in per_layer.values()])
    return fig
