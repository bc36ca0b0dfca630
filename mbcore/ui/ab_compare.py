"""A/B compare on every lesson: pin a finished result as A, train B, compare.

A is plain data (an Outcome: curves, predictions, settings) kept in the session per
lesson, so it survives reruns, control changes and page switches; B is simply
the page's current training once it is not A's own. Nothing here holds Keras.
"""
from __future__ import annotations

import streamlit as st

from mbcore.ui.charts import chart_scope
from mbcore.ui.frame import heading, table
from mbcore.views.curves import final_numbers, settings_diff


def _pins() -> dict:
    """lesson id -> {"run": Outcome A, "watcher": the Watch that trained it}."""
    return st.session_state.setdefault("_mb_pinned", {})


def pinned(lesson_id: str):
    """Outcome A of this lesson, or None."""
    entry = _pins().get(lesson_id)
    return entry["run"] if entry else None


def b_watch(lesson_id: str, watch):
    """The current training when it is B (trained after A was pinned), else None."""
    entry = _pins().get(lesson_id)
    if entry is None or watch is None or watch.watcher == entry["watcher"]:
        return None
    return watch


def _pin(lesson_id: str, watch) -> None:
    _pins()[lesson_id] = {"run": watch.run, "watcher": watch.watcher}


def _unpin(lesson_id: str) -> None:
    _pins().pop(lesson_id, None)


def pin_buttons(row, lesson_id: str, watch, running: bool) -> None:
    """'Pin as A' once a training has finished with at least one epoch; 'Unpin A'."""
    entry = _pins().get(lesson_id)
    can_pin = (watch is not None and not running and watch.run is not None
               and watch.run.epoch > 0 and (entry is None or entry["watcher"] != watch.watcher))
    row.button("Pin as A", icon=":material/push_pin:", key=f"{lesson_id}/pin", on_click=_pin, args=(lesson_id, watch),
               disabled=not can_pin, help="Keep this result as A: change settings, train B, "
               "and see both curves on one chart, both fits and what you changed.")
    row.button("Unpin A", icon=":material/close:", key=f"{lesson_id}/unpin", on_click=_unpin, args=(lesson_id,),
               disabled=entry is None)


def header(lesson_id: str, watch) -> None:
    """What A is, and what B changes from it (only the fields that differ)."""
    a = pinned(lesson_id)
    if a is None:
        return
    b = b_watch(lesson_id, watch)
    if b is None:
        st.info(f"**A is pinned** ({a.epoch} epochs, {a.status}). Change a setting and press "
                "Train: B's curves are drawn over A's, with both fits and the difference.")
        return
    rows = settings_diff(a.settings, b.settings)
    st.markdown("**A/B compare.** A: the pinned result (faded lines) · B: the training "
                "below (bold lines).")
    if rows:
        st.caption("What B changes from A")
        table(rows, key=f"{lesson_id}/ab_diff")
    else:
        st.caption("B has exactly A's settings (and seed), so it gives the same curves.")


def fits(a, b, live) -> None:
    """The lesson's own fit plot for A, then for B under it (A's keys prefixed).
    One above the other, as a lesson's fit may itself be two plots across: side by
    side that made four narrow plots with cut titles at 1280 px."""
    heading("A (pinned)")
    with chart_scope("A/", label="A (pinned)"):
        live(a)
    heading("B")
    with chart_scope(label="B"):
        live(b)


def numbers(a, b) -> None:
    """What A and B ended with, row by row."""
    table([{**r, "A": _fmt(r["A"], r["measure"]), "B": _fmt(r["B"], r["measure"])}
           for r in final_numbers(a, b)])


def _fmt(value, measure: str) -> str:
    if value is None:
        return "–"
    if not isinstance(value, float):
        return str(value)
    return f"{value:.1%}" if "accuracy" in measure else f"{value:.4g}"
