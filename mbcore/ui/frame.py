"""The page frame: layout, lesson text, the Keras then-and-now box, charts, tables.

`lesson_page` is what every lesson page calls first: sidebar controls, the
lesson's text beside the model view. In presenter mode the sidebar and the
text are folded away, the diagram stands beside the training panel, the
then-and-now boxes are left out and charts are drawn larger.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

import plotly.graph_objects as go
import streamlit as st

from mbcore.engine import engine as engines
from mbcore.engine.engine import shared_engine
from mbcore.lessons import Experiment, Lesson, get_lesson
from mbcore.settings import Settings
from mbcore.ui.charts import new_page, placed
from mbcore.views.figures import FONT, merged
from mbcore.ui.controls import classroom_size, settings_panel
from mbcore.ui.links import presenting
from mbcore.ui.chart_panel import Panel
from mbcore.ui.model import (PRESENTER_DIAGRAM_BOX, experiment, experiment_or_error,
                             model_view)
from mbcore.ui.navigation import use_app_navigation


def page(lesson_id: str) -> Lesson:
    """Wide layout, the lesson's title and its one-line blurb."""
    use_app_navigation()
    shared_engine()     # local workers start (and load TensorFlow) while the page is read
    new_page()
    _training_area.set(None)
    lesson = get_lesson(lesson_id)
    st.set_page_config(page_title=lesson.title, page_icon=":material/call_split:", layout="wide")
    st.title(lesson.title)
    source = f", from source tutorial {lesson.source}" if lesson.source else ""
    st.caption(f"{lesson.blurb}  ·  lesson `{lesson.id}`{source}")
    return lesson


def lesson_page(lesson_id: str, text: str, rankdir: str = "TB") -> tuple[Experiment, object]:
    """The frame every lesson shares: sidebar controls, text beside the model view.

    Returns (experiment, aside): the lesson resolved for the controls' settings,
    and the text column, for what a page adds under its text (API changes,
    notes). When the settings cannot be honoured the page shows why and stops
    here (st.stop), so a page's own code always has an Experiment.
    """
    lesson = page(lesson_id)
    exp = experiment_or_error(settings_panel(lesson))
    if presenting():
        return _presenter_frame(exp, text, rankdir)
    aside, right = st.columns([2, 3], gap="large")
    with aside:
        lesson_text(text)
    if exp is None:
        st.stop()
    with right:
        model_view(exp, rankdir=rankdir)
        full_size_note(exp)
        # The lesson's training goes directly under the diagram, so that the Train
        # row, the live curves and the fit share one screen whatever the text's length.
        _training_area.set(st.container())
    return exp, aside


def full_size_note(exp: Experiment) -> None:
    """At the source tutorial's full size (in a lesson that declares how long that
    takes), the expected training time, said before Train, and the way back."""
    expected = exp.lesson.full_size_seconds
    seconds = expected(exp.settings) if expected is not None else None
    if seconds is None:
        return
    st.info(f"Full size: expect about {seconds:.0f} s of training on a quiet 2-core "
            "server (several times that while others train). The **classroom size** "
            "trains in under 10 s.", icon=":material/timer:")
    st.button("Switch to classroom size", key="classroom_size", on_click=classroom_size,
              args=(exp.lesson,), icon=":material/speed:")


def _presenter_frame(exp: Experiment | None, text: str, rankdir: str):
    """Presenter mode: the sidebar folded, the text in an expander across the top,
    then the diagram beside the training panel, so the room sees the network and
    its curves at once and no column stands empty."""
    st.set_page_config(initial_sidebar_state="collapsed")
    with st.expander("Lesson text", icon=":material/menu_book:"):
        st.markdown(text)
    if exp is None:
        st.stop()
    left, right = st.columns([2, 3], gap="medium")
    with left:
        model_view(exp, rankdir=rankdir, box=PRESENTER_DIAGRAM_BOX)
    with right:
        full_size_note(exp)
    _training_area.set(right.container())
    return exp, st.container()      # what a page adds to its text goes below


# Where this page run's training panel goes (a container under the diagram), if the
# page has one: per script thread, like the chart scopes.
_training_area: ContextVar = ContextVar("mbcore_training_area", default=None)
_compact: ContextVar[int] = ContextVar("mbcore_compact_charts", default=0)   # px, 0: none
_panel: ContextVar[Panel | None] = ContextVar("mbcore_chart_panel", default=None)
_row: ContextVar[dict | None] = ContextVar("mbcore_chart_panel_row", default=None)
COMPACT_HEIGHT = 280     # px: Train row, a two-line progress, loss curve and fit in 800 px
# px: the same in 800 px when loss and metrics stand one above the other (a curve
# pair per output, or A over B), the fits under them
STACKED_HEIGHT = 200


@contextlib.contextmanager
def training_area():
    """Draw inside the training place the frame made (once per page run), with
    compact charts; elsewhere, draw where the page is."""
    area = _training_area.get()
    _training_area.set(None)
    with compact_charts(), area if area is not None else contextlib.nullcontext():
        if engines.notice:         # the cluster is configured but does not answer
            st.warning(engines.notice, icon=":material/cloud_off:")
        yield


@contextlib.contextmanager
def compact_charts(height: int = COMPACT_HEIGHT):
    """Charts drawn inside are at most `height` px high (also in a fragment's
    own reruns, which run only the fragment: it says so itself)."""
    token = _compact.set(height)
    try:
        yield
    finally:
        _compact.reset(token)


def lesson_text(markdown: str) -> None:
    """The lesson's own words: the idea, what to try, what to look for."""
    with st.container(border=True):
        st.markdown(markdown)


def api_change(what: str, old: str, new: str, note: str = "") -> None:
    """The tutorial's call (Keras 1/2) beside the Keras 3 call that replaces it."""
    if presenting():
        return
    with st.expander(f"Keras then and now: {what}", expanded=False):
        left, right = st.columns(2)
        left.caption("In the source tutorial (old Keras)")
        left.code(old, language="python", wrap_lines=True)
        right.caption("Keras 3 (used here)")
        right.code(new, language="python", wrap_lines=True)
        if note:
            st.markdown(note)


def table(rows: list[dict], **kw) -> None:
    st.dataframe(rows, hide_index=True, width="stretch", **kw)


@contextlib.contextmanager
def chart_panel(key: str, live: bool, revision: str = ""):
    """Charts drawn inside go into one frame (ui/chart_panel) at this place, sent
    when the block ends: a training panel's charts, updated in place from before
    Train to the end. Other elements drawn inside come after it. `live`: a
    running training's (no toolbar yet); a new `revision` resets a user's zoom."""
    place = st.container()
    panel = Panel(live=live)
    token, row = _panel.set(panel), _row.set(None)
    try:
        yield panel
    finally:
        _panel.reset(token)
        _row.reset(row)
    with place:
        panel.draw(key, revision)


class _Cell:
    """One of `side_by_side`'s places inside a chart panel: charts drawn in it
    go into its row."""

    def __init__(self, row: dict):
        self._row, self._token = row, None

    def __enter__(self):
        self._token = _row.set(self._row)
        return self

    def __exit__(self, *exc):
        _row.reset(self._token)


def side_by_side(n: int) -> list:
    """`n` places across (st.columns); inside a chart panel, the cells of one row
    of its frame. Text drawn in a cell of a panel goes under the panel."""
    panel = _panel.get()
    if panel is None:
        return st.columns(n) if n > 1 else [st.container()]
    row = panel.row(n)
    return [_Cell(row) for _ in range(n)]


def heading(text: str) -> None:
    """A short bold line over the charts that follow (inside a panel, in its frame)."""
    panel = _panel.get()
    if panel is None:
        st.markdown(f"**{text}**")
    else:
        panel.row(0, heading=text)


def chart(fig, key: str | None = None) -> None:
    key, config = placed(fig, key)     # A/B key prefix, PNG file name, kept for downloads
    panel = _panel.get()
    limit = _compact.get()
    lower = bool(limit) and (fig.layout.height or 0) > limit
    if panel is None and not lower and not presenting():
        st.plotly_chart(fig, width="stretch", key=key, config=config)
        return
    # Restyled as the figure's dict (a live view does so several times a second;
    # a Plotly figure built again from it took as long as the figure itself).
    spec = fig.to_dict()
    if lower:
        spec["layout"] = compact_layout(spec.get("layout", {}), limit)
    if presenting():
        spec["layout"] = projector_layout(spec.get("layout", {}))
    if panel is not None:
        panel.add(spec, key, config, _row.get())
    else:
        st.plotly_chart(go.Figure(spec, _validate=False), width="stretch", key=key,
                        config=config)


def compact_layout(layout: dict, height: int = COMPACT_HEIGHT) -> dict:
    """A copy of a figure's layout (a dict), lower (the live training view)."""
    # two plots side by side in the model column are ~220 px wide at 1280: a
    # smaller title keeps "sin(2πx) on validation points" whole
    return merged(layout, dict(height=height, title=dict(font=dict(size=FONT)),
                               legend=dict(font=dict(size=FONT - 3))))


def projector_layout(layout: dict, scale: float = 1.4) -> dict:
    """A copy of a figure's layout (a dict) with a taller plot and larger type,
    for the back row."""
    title = layout.get("title", {}).get("font", {}).get("size")
    legend = layout.get("legend", {}).get("font", {}).get("size")
    changes = dict(height=round((layout.get("height") or 400) * scale),
                   font=dict(size=round((layout.get("font", {}).get("size") or 14) * scale)))
    if title:
        changes["title"] = dict(font=dict(size=round(title * scale)))
    if legend:
        changes["legend"] = dict(font=dict(size=round(legend * scale)))
    return merged(layout, changes)


def dataset(settings: Settings):
    """The lesson's data (NumPy only), for examples, ground truth and fit plots:
    made once per settings and kept with their shared Experiment."""
    return experiment(settings).data


