"""A training panel's charts in one browser frame, updated in place.

`st.plotly_chart` gives a chart a new identity whenever its figure changes
(Streamlit hashes the figure into the element id, key or not), so a growing
curve drawn with it is mounted anew on every redraw and blinks. A custom
component per chart fixed that but cost a frame each: every frame loaded and
compiled plotly.js (4.8 MB) for itself, so a lesson's fit plots, which appear
with the first predictions, stayed grey for seconds, and the ordinary charts
that took over at the end were mounted anew once more.

So a training panel draws all its charts (loss, metrics, the lesson's own fit
plots, A beside B) in ONE component frame that stays at its place from before
Train to the finished result: plotly.js is loaded while the student reads the
page, a chart that appears later is only a new div, and `Plotly.react` changes
only what moved. A finished chart gets its toolbar (zoom, PNG download).

The frame's page (chart_panel/index.html) loads the plotly.js that the
installed Plotly package ships, so no file is fetched from elsewhere.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import plotly
import plotly.io
import plotly.utils
import streamlit.components.v1 as components

_PAGE = Path(__file__).with_name("chart_panel") / "index.html"
# Streamlit's own chart look, so the panel's charts look like the page's other
# charts (st.plotly_chart)
_COLORS = ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1",
           "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5"]
_FONT = '"Source Sans Pro", "Source Sans 3", sans-serif'
# Streamlit's chart look (plotly_white) as a file beside the page, which fetches it
# once: 7 kB that went with every redraw, five times a second, when it was an argument
TEMPLATE = "template.json"


def _served_folder() -> str:
    """The page and plotly.js side by side in one folder (Streamlit serves a
    component's files from one folder).

    One folder per user, page and Plotly version, in the user's cache, made once
    and shared by every server: a copy per server start, removed at exit, was
    left behind by every server that was killed (245 copies, 1.2 GB, in /tmp
    after a day of tests). Made under a staging name and renamed, so servers
    starting together never serve a half-written file."""
    page = _PAGE.read_bytes()
    tag = hashlib.sha256(page + plotly.__version__.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mbcore"
    folder = cache / f"chart-panel-{tag}"
    if (folder / "plotly.min.js").exists():
        return str(folder)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="chart-panel-staging-", dir=cache))
    except OSError:                  # no writable cache: a folder of this server's own
        staging = folder = Path(tempfile.mkdtemp(prefix="mbcore-chart-panel-"))
        atexit.register(shutil.rmtree, folder, True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                    staging / "plotly.min.js")
    (staging / TEMPLATE).write_text(_template())
    (staging / "index.html").write_bytes(page)
    if staging != folder:
        try:
            staging.rename(folder)
        except OSError:              # another server made it first
            shutil.rmtree(staging, ignore_errors=True)
    return str(folder)


_component = None
_declaring = threading.Lock()     # sessions drawing their first panel at once declare it once


@dataclass
class Panel:
    """The charts of one panel run, row by row, gathered by frame.chart and sent
    to the browser in one message by `draw`."""
    live: bool = True                 # a running training's: no toolbar while it grows
    rows: list = field(default_factory=list)

    def row(self, columns: int = 1, heading: str | None = None) -> dict:
        """A new row of `columns` equal cells (charts are added in drawing order)."""
        row = {"heading": heading, "columns": max(1, columns), "charts": []}
        self.rows.append(row)
        return row

    def add(self, spec: dict, key: str | None, config: dict, row: dict | None = None) -> None:
        """Add a figure (its dict, which this changes) to `row`, or in a row of its own.
        A chart without a key is told apart by its place in the panel."""
        key = key or f"chart{sum(len(r['charts']) for r in self.rows)}"
        layout = spec.setdefault("layout", {})
        layout.pop("template", None)            # Plotly's default one: the page sets its own
        layout.setdefault("colorway", _COLORS)
        layout.setdefault("font", {}).setdefault("family", _FONT)
        layout.setdefault("paper_bgcolor", "rgba(0,0,0,0)")
        height = int(layout.get("height") or 450)
        if self.live:        # zoom and PNG come with the finished chart
            config = {**config, "displayModeBar": False}
        (row if row is not None else self.row())["charts"].append(
            {"key": key, "figure": spec, "config": config, "height": height})

    def height(self) -> int:
        """The frame's height before the browser has measured it."""
        return sum(max((c["height"] for c in r["charts"]), default=0)
                   + (26 if r["heading"] else 0) for r in self.rows)

    def draw(self, key: str, revision: str = "") -> None:
        """Send the panel to its frame at `key` (the same key keeps the same frame).
        `revision`: a new one resets what a user zoomed (a new training)."""
        global _component
        with _declaring:
            if _component is None:
                _component = components.declare_component("chart_panel",
                                                          path=_served_folder())
        rows = [r for r in self.rows if r["charts"] or r["heading"]]
        _component(rows=plotly.io.json.to_json_plotly(rows), revision=revision,
                   height=self.height(), key=f"chart_panel:{key}", default=None)


def _template() -> str:
    """Streamlit's chart look (plotly_white), as JSON."""
    return json.dumps(plotly.io.templates["plotly_white"].to_plotly_json(),
                      cls=plotly.utils.PlotlyJSONEncoder)
