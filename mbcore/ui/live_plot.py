"""A Plotly chart that a running training updates in place.

`st.plotly_chart` gives a chart a new identity whenever its figure changes
(Streamlit hashes the figure into the element id, key or not), so the browser
mounts every redraw of a growing curve anew: the chart goes blank while Plotly
draws it again, several times a second, and the room sees it flicker. This
small custom component keeps one Plotly chart for as long as it stays at its
key and hands each new figure to `Plotly.react`, which changes only what moved.

Only live views use it (frame.live_charts); a finished training's charts are
ordinary `st.plotly_chart`s again, with their toolbar and PNG export. The
component's page (live_plot/index.html) loads the plotly.js that the installed
Plotly package ships, so no file is fetched from elsewhere.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import plotly
import plotly.io
import plotly.utils
import streamlit.components.v1 as components

_PAGE = Path(__file__).with_name("live_plot") / "index.html"
# Streamlit's own chart look, so the chart does not change colour when the
# training ends and the ordinary chart takes its place
_COLORS = ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1",
           "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5"]
_FONT = '"Source Sans Pro", "Source Sans 3", sans-serif'


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
    folder = cache / f"live-plot-{tag}"
    if (folder / "plotly.min.js").exists():
        return str(folder)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="live-plot-staging-", dir=cache))
    except OSError:                  # no writable cache: a folder of this server's own
        staging = folder = Path(tempfile.mkdtemp(prefix="mbcore-live-plot-"))
        atexit.register(shutil.rmtree, folder, True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                    staging / "plotly.min.js")
    (staging / "index.html").write_bytes(page)
    if staging != folder:
        try:
            staging.rename(folder)
        except OSError:              # another server made it first
            shutil.rmtree(staging, ignore_errors=True)
    return str(folder)


_component = None
_declaring = threading.Lock()     # sessions drawing their first chart at once declare it once


def live_plotly_chart(spec: dict, key: str | None, config: dict) -> None:
    """Draw the figure `spec` (a figure's dict, which this changes) at `key`,
    updating the chart already there instead of replacing it."""
    global _component
    with _declaring:
        if _component is None:
            _component = components.declare_component("live_plot", path=_served_folder())
    layout = spec.setdefault("layout", {})
    layout.pop("template", None)            # Plotly's default one: the page sets its own
    layout.setdefault("colorway", _COLORS)
    layout.setdefault("font", {}).setdefault("family", _FONT)
    layout.setdefault("paper_bgcolor", "rgba(0,0,0,0)")
    # no toolbar while the curve grows: zoom and PNG come with the finished chart
    config = {**config, "displayModeBar": False}
    # the template, the same for every chart, goes apart, as text serialised once
    _component(figure=plotly.io.to_json(spec, validate=False), template=_template(),
               config=json.dumps(config),
               height=int(layout.get("height") or 450), key=f"live_plot:{key}", default=None)


@functools.cache
def _template() -> str:
    """Streamlit's chart look (plotly_white), as JSON."""
    return json.dumps(plotly.io.templates["plotly_white"].to_plotly_json(),
                      cls=plotly.utils.PlotlyJSONEncoder)
