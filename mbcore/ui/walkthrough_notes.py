"""What travels with the presenter's step: the arrow keys that press Previous /
Next, and the notes window (/walkthrough?name=seed_002&view=notes) that follows
the step the presenter's window shows.

Where the presenter is, is shared state: each presenter view records
(walkthrough, step) in the room store (SQLite, or the cluster's Redis) under its
own presenter id and under the walkthrough's name; a notes window follows the id
in its URL (`follow=`), or else the latest presenter of that walkthrough. So the
notes window may be served by another replica than the presenter's window. An
uploaded walkthrough is recorded with its text, so it has notes too.
"""
from __future__ import annotations

import secrets
import time

import streamlit as st

from mbcore.classroom import RoomError
from mbcore.ui import classroom
from mbcore.walkthroughs import Walkthrough, WalkthroughError, find, load, parse, shipped
from mbcore.walkthroughs.writer import dumps

POLL_SECONDS = 1.0
REFRESH_SECONDS = 3600                     # an unchanged step is recorded again this often
PRESENTER_KEY = "_mb_walk_presenter"       # this session's presenter id
RECORDED_KEY = "_mb_walk_recorded"         # what this session last recorded, and when

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


def presenter_id() -> str:
    return st.session_state.setdefault(PRESENTER_KEY, secrets.token_urlsafe(6))


def record(walk: Walkthrough, step: int) -> None:
    """Keep this window's step in the room store, when it changed (or to keep it
    from being forgotten); an uploaded walkthrough goes with its text."""
    source = "" if walk.name in shipped() else dumps(walk.raw)
    mark = (presenter_id(), walk.name, step, hash(source))
    last = st.session_state.get(RECORDED_KEY)
    if last and last[0] == mark and time.time() - last[1] < REFRESH_SECONDS:
        return
    try:
        classroom.store().set_position(presenter_id(), walk.name, step, source)
    except RoomError as err:
        st.warning(f"The notes window cannot follow this walkthrough: {err}.")
        return
    st.session_state[RECORDED_KEY] = (mark, time.time())


def notes_link(walk: Walkthrough) -> str:
    return f"walkthrough?name={walk.name}&view=notes&follow={presenter_id()}"


def notes_page() -> None:
    """The lecturer's second window: the current step's notes and question, and
    what comes next, following the presenter's window."""
    follow = st.query_params.get("follow", "")
    name = st.query_params.get("name", "")
    st.fragment(run_every=POLL_SECONDS)(_follow)(follow, name)


@st.cache_resource(show_spinner=False, max_entries=32)
def _walkthrough(name: str, source: str) -> Walkthrough:
    """A shipped walkthrough by name, or an uploaded one from its text (read once)."""
    return parse(source, name=name) if source else load(find(name))


@classroom.room_guarded
def _follow(follow: str, name: str) -> None:
    where = classroom.store().position(follow, name)
    if where is None:
        st.info("No presenter window shows this walkthrough yet. Open it "
                f"(/walkthrough?name={name or 'seed_002'}) and this window follows its steps.")
        return
    try:
        walk = _walkthrough(where.walkthrough, where.source)
    except WalkthroughError as err:
        st.error(f"The presenter's walkthrough cannot be read here: {err}")
        return
    number = min(where.step, len(walk.steps))
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
