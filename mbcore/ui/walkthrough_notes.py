"""What travels with the presenter's step: the arrow keys that press Previous /
Next, and the notes window (/walkthrough?name=seed_002&view=notes) that follows
the step the presenter's window shows.

Where the presenter is, is shared state: each presenter view records
(walkthrough, step) in a small server-wide table under its own presenter id and
under the walkthrough's name; a notes window follows the id in its URL
(`follow=`), or else the latest presenter of that walkthrough. It runs in the
same server as the presenter's window (one process: st.cache_resource), and it
keeps the walkthrough itself, so an uploaded one has notes too.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import streamlit as st

from mbcore.walkthroughs import Walkthrough

POLL_SECONDS = 1.0
KEEP_SECONDS = 12 * 3600                   # a presenter silent this long is forgotten
PRESENTER_KEY = "_mb_walk_presenter"       # this session's presenter id

# Arrow keys (and a clicker's Page Up / Page Down) press the page's own Previous
# and Next buttons; typing in a field is left alone. The handler is replaced, not
# added again, when the page redraws.
ARROW_KEYS = """<script>
(() => {
  const doc = window.parent.document === document ? document : window.parent.document;
  if (window.__mbArrows) { doc.removeEventListener("keydown", window.__mbArrows); }
  window.__mbArrows = (event) => {
    const t = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || (t && (t.isContentEditable ||
        ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)))) { return; }
    const which = {ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev"};
    const key = which[event.key];
    if (!key) { return; }
    const button = doc.querySelector(`.st-key-_mb_walk_${key} button`);
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  };
  doc.addEventListener("keydown", window.__mbArrows);
})();
</script>"""


def arrow_keys() -> None:
    st.html(ARROW_KEYS, unsafe_allow_javascript=True)


@dataclass(frozen=True)
class Position:
    walk: Walkthrough
    step: int
    at: float


class Positions:
    """Presenter id (and walkthrough name) -> where that presenter is."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_key: dict[str, Position] = {}

    def record(self, presenter: str, walk: Walkthrough, step: int) -> None:
        where = Position(walk, step, time.time())
        with self._lock:
            for key in [k for k, p in self._by_key.items() if p.at < where.at - KEEP_SECONDS]:
                del self._by_key[key]             # presenters long gone
            self._by_key[f"id:{presenter}"] = where
            self._by_key[f"walk:{walk.name}"] = where

    def of(self, presenter: str = "", name: str = "") -> Position | None:
        with self._lock:
            return self._by_key.get(f"id:{presenter}") if presenter else \
                self._by_key.get(f"walk:{name}")


@st.cache_resource(show_spinner=False)
def positions() -> Positions:
    return Positions()


def presenter_id() -> str:
    return st.session_state.setdefault(PRESENTER_KEY, secrets.token_urlsafe(6))


def record(walk: Walkthrough, step: int) -> None:
    positions().record(presenter_id(), walk, step)


def notes_link(walk: Walkthrough) -> str:
    return f"walkthrough?name={walk.name}&view=notes&follow={presenter_id()}"


def notes_page() -> None:
    """The lecturer's second window: the current step's notes and question, and
    what comes next, following the presenter's window."""
    follow = st.query_params.get("follow", "")
    name = st.query_params.get("name", "")
    st.fragment(run_every=POLL_SECONDS)(_follow)(follow, name)


def _follow(follow: str, name: str) -> None:
    where = positions().of(follow, name)
    if where is None:
        st.info("No presenter window shows this walkthrough yet. Open it "
                f"(/walkthrough?name={name or 'seed_002'}) and this window follows its steps.")
        return
    walk, number = where.walk, where.step
    step = walk.steps[number - 1]
    st.caption(f"{walk.title}  ·  step {number} of {len(walk.steps)}  ·  notes")
    st.header(step.title)
    st.markdown(step.notes or "_No notes for this step._")
    if step.question is not None:
        st.markdown(f"**Question for the class:** {step.question.text}")
        if step.question.options:
            st.markdown("\n".join(f"- {o}" for o in step.question.options))
    if step.action:
        st.caption(f"On entering this step the {step.action} starts by itself.")
    if number < len(walk.steps):
        st.markdown(f"**Next:** {walk.steps[number].title}")
    else:
        st.markdown("**This is the last step.**")
