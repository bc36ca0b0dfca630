"""The presenter view of a lecture walkthrough: one step at a time, its lesson
with the step's settings applied (no other controls), Previous / Next, a link to
every step, the lecturer's notes in the sidebar, and the class room's question.

/walkthrough?name=seed_002&step=3 opens a shipped walkthrough; a lecturer's own
file is uploaded in the sidebar and kept for the session. `view=edit` is the
editor of the lecturer's own walkthrough (ui/walkthrough_editor), `view=notes`
the notes window that follows this window's step (ui/walkthrough_notes). A step
draws its lesson's own plots from ui/lesson_plots, as the lesson page does. Trainings are the
shared ones of the lesson pages: stepping back to a step whose training has
finished shows it at once (a repeat of the same settings is served from the
shared results).
"""
from __future__ import annotations

import streamlit as st

from mbcore.ui import classroom, walkthrough_editor, walkthrough_notes
from mbcore.ui.charts import new_page
from mbcore.ui.links import LECTURER_KEY
from mbcore.ui.model import experiment_or_error, model_view
from mbcore.ui.navigation import use_app_navigation
from mbcore.ui.lesson_plots import plots_of
from mbcore.ui.training import compare_panel, final_metrics, show_in, shown_in, train_panel
from mbcore.walkthroughs import Walkthrough, WalkthroughError, find, load, parse, shipped

UPLOADED = "uploaded"
UPLOAD_KEY = "_mb_walk_uploaded"
ENTERED_KEY = "_mb_walk_entered"       # the step whose action has run, so a rerun does not repeat it
KEPT_KEY = "_mb_walk_trainings"        # this session's trainings by settings, across steps


def walkthrough_page() -> None:
    use_app_navigation()
    new_page()
    st.set_page_config(page_title="Lecture walkthrough", page_icon="🔀", layout="wide")
    view = st.query_params.get("view", "")
    if view == "notes":
        walkthrough_notes.notes_page()
        return
    st.session_state[LECTURER_KEY] = True     # this session's trainings go first
    with st.sidebar:
        walk = _chosen()
    if view == "edit":
        with st.sidebar:
            st.button("Back to the walkthrough", icon=":material/slideshow:", key="_mb_walk_back",
                      on_click=_leave_editor)
        walkthrough_editor.editor(walk, _present)
        return
    if walk is None:
        return
    classroom.take_presenter_link()      # before the step: a reopened room goes on at its own
    number = _step_number(walk)
    step = walk.steps[number - 1]
    walkthrough_notes.record(walk, number)
    walkthrough_notes.arrow_keys()
    with st.sidebar:
        room = classroom.presenter_room(walk.name)
        _notes(step)
        _lecturer_tools(walk, step)
        _step_links(walk, number)
    if room is not None:
        classroom.follow_step(room, step.number, step.question and step.question.as_dict(),
                              step.explore and step.explore.as_dict(step))
    _header(walk, number)
    if room is not None and (step.question is not None or step.explore is not None):
        classroom.room_banner(room)
    _show(step, room)


def _chosen() -> Walkthrough | None:
    """The walkthrough the URL names (or the session's upload), with a picker and an upload."""
    names = shipped()
    name = st.query_params.get("name", names[0] if names else "")
    upload = st.file_uploader("Your own walkthrough (.toml)", type=["toml"],
                              key="_mb_walk_file",
                              help="Check it first with `python -m mbcore walkthrough check FILE`.")
    if upload is not None:
        try:
            walk = parse(upload.getvalue().decode("utf-8", errors="replace"), name=UPLOADED)
        except WalkthroughError as err:
            st.error(f"{upload.name}: {err}")
        else:
            if st.session_state.get(UPLOAD_KEY) != walk:
                st.session_state[UPLOAD_KEY] = walk
                st.query_params.update(name=UPLOADED, step="1")
                st.rerun()
    options = names + ([UPLOADED] if UPLOAD_KEY in st.session_state else [])
    if name in options:              # the URL leads; the picker follows it
        st.session_state["_mb_walk_pick"] = name
    st.selectbox("Walkthrough", options, index=None, key="_mb_walk_pick",
                 on_change=_pick, placeholder="Choose a walkthrough",
                 format_func=lambda n: "your upload" if n == UPLOADED else n)
    if name == UPLOADED:
        walk = st.session_state.get(UPLOAD_KEY)
        if walk is None:
            st.warning("No uploaded walkthrough in this session: upload it again.")
        return walk
    try:
        return load(find(name))
    except WalkthroughError as err:
        st.error(str(err))
        return None


def _lecturer_tools(walk: Walkthrough, step) -> None:
    """The notes in a window of their own, and the editor."""
    st.link_button("Notes in a second window", walkthrough_notes.notes_link(walk),
                   icon=":material/open_in_new:", width="stretch",
                   help="Follows this window's step; keep it on the laptop, not the projector.")
    row = st.container(horizontal=True)
    row.button("Add this step to mine", icon=":material/playlist_add:", key="_mb_walk_add_step",
               on_click=walkthrough_editor.add, args=(walk.raw["steps"][step.number - 1],)
               if walk.raw else None, disabled=not walk.raw)
    row.button("Edit mine", icon=":material/edit:", key="_mb_walk_edit", on_click=_open_editor)


def _open_editor() -> None:
    st.query_params["view"] = "edit"


def _leave_editor() -> None:
    st.query_params.pop("view", None)


def _present(walk: Walkthrough) -> None:
    """The editor's Present: show the checked draft as the session's upload."""
    st.session_state[UPLOAD_KEY] = walk
    st.query_params.pop("view", None)
    st.query_params.update(name=UPLOADED, step="1")
    st.rerun()


def _pick() -> None:
    picked = st.session_state.get("_mb_walk_pick")
    if picked:
        st.query_params.update(name=picked, step="1")


def _step_number(walk: Walkthrough) -> int:
    raw = st.query_params.get("step", "1")
    try:
        number = int(raw)
    except ValueError:
        number = 1
    clamped = min(max(number, 1), len(walk.steps))
    if str(clamped) != raw:
        st.query_params["step"] = str(clamped)
    return clamped


def _go(number: int) -> None:
    st.query_params["step"] = str(number)


def _header(walk: Walkthrough, number: int) -> None:
    step = walk.steps[number - 1]
    st.caption(f"{walk.title}  ·  step {number} of {len(walk.steps)}")
    st.title(step.title)
    row = st.container(horizontal=True)
    row.button("Previous", icon=":material/arrow_back:", key="_mb_walk_prev",
               disabled=number <= 1, on_click=_go, args=(number - 1,))
    row.button("Next", icon=":material/arrow_forward:", key="_mb_walk_next", type="primary",
               disabled=number >= len(walk.steps), on_click=_go, args=(number + 1,))
    st.progress(number / len(walk.steps), text=f"Step {number} of {len(walk.steps)}")


def _notes(step) -> None:
    with st.expander("Lecturer's notes", expanded=True, icon=":material/speaker_notes:"):
        st.markdown(step.notes or "_No notes for this step._")
        preset = f"preset *{step.preset}*" if step.preset else "the lesson's defaults"
        changed = ", ".join(f"{k}={v}" for k, v in step.settings.changed().items())
        st.caption(f"Lesson `{step.lesson.id}`, {preset}" + (f"; {changed}" if changed else ""))


def _step_links(walk: Walkthrough, number: int) -> None:
    st.markdown("**Steps**")
    for step in walk.steps:
        st.button(f"{step.number}. {step.title}", key=f"_mb_walk_to_{step.number}",
                  on_click=_go, args=(step.number,), type="tertiary",
                  icon=":material/chevron_right:" if step.number == number else None,
                  disabled=step.number == number)


def _show(step, room) -> None:
    exp = experiment_or_error(step.settings)
    if exp is None:
        return
    measured: dict = {}                  # run name -> value (a curve for a sketch)
    if "diagram" in step.show or "summary" in step.show:
        model_view(exp)
    plots = plots_of(exp.id)             # the lesson's own fits, matrices, gradients
    if "training" in step.show:
        _act(step, exp)
        run = train_panel(exp, live=plots.live, title="Train this step's network")
        if run is not None:
            final_metrics(run)
            if plots.finished is not None:
                plots.finished(run)
            _measure(step, {"this network": run}, measured)
    if "compare" in step.show:
        st.subheader("Side by side, same data and seed")
        runs = compare_panel(f"walk_step{step.number}", "Compare", step.compare)
        if runs and plots.compared is not None:
            plots.compared(runs, f"walk_step{step.number}")
        _measure(step, runs, measured)
    if step.question is not None:
        classroom.question_box(room, step.question.as_dict(), measured)
    if step.explore is not None:
        classroom.results_box(room, step.explore.as_dict(step))


def _act(step, exp) -> None:
    """Before the training panel: put back this session's training of the step's
    settings if another step of the same lesson replaced it (so stepping back shows
    a finished training at once); a step whose action is `train` starts its
    training once when it is entered, unless there is one of these settings."""
    slot = f"{exp.id}/train"             # train_panel's slot for this lesson
    kept = st.session_state.setdefault(KEPT_KEY, {})
    current = shown_in(slot)
    if current is not None:
        kept[current.settings] = current
    if (current is None or current.settings != exp.settings) and exp.settings in kept:
        current = kept[exp.settings]
        show_in(slot, current)
    entered = (step.number, exp.settings)
    if step.action != "train" or st.session_state.get(ENTERED_KEY) == entered:
        return
    st.session_state[ENTERED_KEY] = entered
    if current is None or current.settings != exp.settings:
        show_in(slot, exp)


def _measure(step, runs: dict, into: dict) -> None:
    """The validation value the step's question asks about, from each finished run."""
    question = step.question
    if question is None or not question.measured:
        return
    for name, run in runs.items():
        key = run.find(question.measured, val=True)
        if question.kind == "sketch" and run.history.get(key):
            into[name] = list(run.history[key])         # the whole curve, under the sketches
        elif run.last(key) is not None:
            into[name] = run.last(key)
