"""A student's sketch of the expected curve, on their phone or laptop: drawn
freehand on a small canvas over the question's axes, or set with one slider per
point. Both give the same answer, a value at each of the question's points
(mbcore.classroom.drawing reads a drawing at those points).

The canvas is the streamlit-drawable-canvas component. The sliders stay: for a
student who prefers them (a keyboard, a screen reader, a shaky touch screen),
and as the only way when the component cannot load here.
"""
from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st
from streamlit.errors import StreamlitAPIException

from mbcore.classroom import RoomError
from mbcore.classroom.drawing import Frame, sketch_points
from mbcore.ui.frame import chart
from mbcore.views.class_answers import sketch_background, sketch_figure
from mbcore.views.figures import COLORS

DRAW, SLIDERS = "Draw", "Sliders"
FRAME = Frame()


@st.cache_resource(show_spinner=False)
def drawing_canvas():
    """The canvas component, or None when it cannot load (not installed, or a
    Streamlit that cannot serve it): then the sliders are the only way."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except (ImportError, StreamlitAPIException):
        return None
    return st_canvas


def sketch_input(question: dict, mine: str | None, send: Callable[[list[float]], str | None]) -> str | None:
    """The sketch controls and their Send button. `mine` is the student's stored
    sketch (JSON) or None; `send` stores points and returns them as stored (or
    None, having said why not). Returns the stored sketch after this run."""
    qid = question["id"]
    canvas = drawing_canvas()
    way = SLIDERS
    if canvas is not None:
        way = st.segmented_control("How to sketch", [DRAW, SLIDERS], default=DRAW,
                                   key=f"_mb_sk_way_{qid}", label_visibility="collapsed") or DRAW
    label = "Send my sketch" if mine is None else "Change my sketch"
    if way == SLIDERS:
        points = _sliders(question, json.loads(mine) if mine else None)
        if st.button(label, type="primary", key=f"_mb_send_sketch_{qid}"):
            mine = send(points) or mine
        return mine
    st.caption("Draw the curve with your finger or the mouse, from the start of the training "
               "(left) to its end (right). Draw over a part to change it; the bin above the "
               "canvas clears it.")
    drawn = canvas(stroke_width=3, stroke_color=COLORS[0], background_image=sketch_background(
        question, FRAME), height=FRAME.height, width=FRAME.width, drawing_mode="freedraw",
        key=f"_mb_canvas_{qid}")
    if st.button(label, type="primary", key=f"_mb_send_sketch_{qid}"):
        try:
            mine = send(sketch_points(drawn.json_data, question, FRAME)) or mine
        except RoomError as err:
            st.warning(f"Not sent: {err}.")
    if mine is not None:
        chart(sketch_figure(question, json.loads(mine), "Your sketch as sent"),
              key=f"_mb_sketch_sent_{qid}")
    return mine


def _sliders(question: dict, sent: list[float] | None) -> list[float]:
    """One slider per point, the curve drawn as they move (a phone has room for little more)."""
    qid = question["id"]
    low, high = question["range"]
    start = sent or [(low + high) / 2] * len(question["at"])
    points = [st.slider(f"at {100 * at:.0f} % of the training", float(low), float(high),
                        float(value), key=f"_mb_sk_{qid}_{i}")
              for i, (at, value) in enumerate(zip(question["at"], start))]
    chart(sketch_figure(question, points), key=f"_mb_sketch_{qid}")
    return points
