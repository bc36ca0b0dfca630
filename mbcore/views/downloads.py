"""What a result can be taken home as: history CSV, diagram SVG, plots as HTML.

Plain functions from a run's data to file contents, with no Streamlit in them
(the model file itself is made by the worker: the server has no TensorFlow).
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

DOT_TIMEOUT_SECONDS = 20


def file_stem(*parts: str) -> str:
    """A safe, readable file name from its parts: 'multi_io-A-fit_sin_output'."""
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")[:80] or "plot"


def history_csv(history: dict) -> str:
    """One row per epoch, one column per curve (as Keras names them), 'epoch' first."""
    names = list(history)
    epochs = max((len(v) for v in history.values()), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *names])
    for i in range(epochs):
        writer.writerow([i + 1, *(repr(float(history[n][i])) if i < len(history[n]) else ""
                                  for n in names)])
    return out.getvalue()


def svg_available() -> bool:
    """Whether Graphviz's `dot` program is installed (packages.txt asks Streamlit
    Community Cloud for it; the diagram on the page is laid out in the browser)."""
    return shutil.which("dot") is not None


def diagram_svg(dot: str) -> bytes | None:
    """The diagram as SVG, laid out by Graphviz's `dot`; None when it is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        return None
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and b"<svg" in done.stdout else None


def figures_html(figures: list[tuple[str, object]], title: str) -> str:
    """Every plot of a result in one interactive HTML page that works offline.

    `figures` are (label, figure) pairs; a label ('A (pinned)') heads its
    figure's title. Plotly's JavaScript is written into the file once (about
    4.7 MB): a student who opens it at home without a network, or years later,
    still sees the plots.
    """
    parts = [_standalone(fig, label).to_html(full_html=False, include_plotlyjs=(i == 0))
             for i, (label, fig) in enumerate(figures)]
    head = f"<title>{_escape(title)}</title><meta charset='utf-8'>"
    body = f"<h1 style='font-family:sans-serif'>{_escape(title)}</h1>" + "\n".join(parts)
    return f"<!DOCTYPE html>\n<html><head>{head}</head><body>{body}</body></html>\n"


def _standalone(fig, label: str):
    """A copy with room for the axis labels (the page's tight margins suit Streamlit,
    not a bare page) and the run's label in the title."""
    import plotly.graph_objects as go
    page = go.Figure(fig)
    page.update_layout(margin=dict(l=80, r=40, t=120, b=70))
    page.update_xaxes(automargin=True)
    page.update_yaxes(automargin=True)
    if label:
        page.update_layout(title_text=f"{label}: {page.layout.title.text or ''}")
    return page


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
