"""The class room on screen: the lecturer's room box beside a walkthrough step
(code, join link, answers counted, Reveal) and the student's join page.

The room itself lives in mbcore.classroom's store. The presenter token is kept
in the lecturer's session; the sidebar also offers a private presenter link
(…&room=CODE&key=TOKEN) that reopens the room as its presenter from another
browser or after a server restart. Opening it takes the key into the session
and out of the address bar, so the projector never shows it.
"""
from __future__ import annotations

import functools
import io
import os

import segno
import streamlit as st

from mbcore.classroom import NotPresenter, RoomError, RoomStore, normalise_code, store_for_engine
from mbcore.classroom.store import DB_ENV, StoreUnavailable
from mbcore.lessons import get_lesson
from mbcore.settings import SettingsError, from_strings, spec_of
from mbcore.ui import class_sketch
from mbcore.ui.frame import chart
from mbcore.ui.model import experiment
from mbcore.ui.navigation import use_app_navigation
from mbcore.ui.training import train_panel
from mbcore.views.class_answers import answers_figure, results_figure

POLL_SECONDS = 2.0
ROOM_KEY = "_mb_room"             # (code, presenter token) of the lecturer's room


@st.cache_resource(show_spinner=False)
def _store(path: str) -> RoomStore:
    return store_for_engine(path or None)     # in the cluster's Redis when it runs one


def store() -> RoomStore:
    return _store(os.environ.get(DB_ENV, ""))


def room_guarded(section):
    """Run a section of the room's screen; if the store fails (a bad code, or Redis gone
    mid-lecture) show why in its place and let the rest of the page carry on."""
    @functools.wraps(section)
    def run(*args, **kwargs):
        try:
            return section(*args, **kwargs)
        except RoomError as err:
            st.warning(f"Class room: {err}", icon=":material/cloud_off:")
            return None
    return run


def join_url(code: str) -> str:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    return f"{base}/join?room={code}"


# -- the lecturer's side ---------------------------------------------------------------

def presenter_link(walkthrough: str, code: str, token: str) -> str:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    return f"{base}/walkthrough?name={walkthrough}&room={code}&key={token}"


@room_guarded
def take_presenter_link() -> None:
    """A presenter link in the URL: check its key against the room and keep it; the
    walkthrough goes on at the room's step unless the URL names one."""
    code, token = normalise_code(st.query_params.get("room", "")), st.query_params.get("key", "")
    if not code or not token:
        return
    for name in ("room", "key"):
        st.query_params.pop(name, None)
    try:
        store().check_presenter(code, token)
    except (RoomError, NotPresenter) as err:
        st.error(f"This presenter link does not open room {code}: {err}")
        return
    st.session_state[ROOM_KEY] = (code, token)
    if "step" not in st.query_params:
        st.query_params["step"] = str(store().room(code).step)


@room_guarded
def presenter_room(walkthrough: str) -> tuple[str, str] | None:
    """Sidebar box: open a room, show its code, close it. Returns (code, token) or None."""
    mine = st.session_state.get(ROOM_KEY)
    if mine:
        try:
            store().room(mine[0])
        except StoreUnavailable:
            raise                   # keep the room: it is still there when the store answers
        except RoomError:
            st.session_state.pop(ROOM_KEY, None)
            mine = None
            st.warning("The class room has ended (rooms expire after a few hours).")
    if not mine:
        if st.button("Open a class room", icon=":material/groups:", key="_mb_room_open",
                     help="Students join with a short code and answer the step's question."):
            st.session_state[ROOM_KEY] = store().open(walkthrough)
            st.rerun()
        return None
    code, token = mine
    st.markdown(f"Class room **`{code}`**  \nJoin at {join_url(code)}")
    with st.popover("Presenter link (private)", icon=":material/key:", width="stretch"):
        st.caption("Reopens this room as its presenter, in another browser or after a "
                   "restart. Keep it off the projector: whoever has it can drive the room.")
        st.code(presenter_link(walkthrough, code, token), language=None, wrap_lines=True)
    if st.button("Close the room", icon=":material/close:", key="_mb_room_close"):
        store().close(code, token)
        st.session_state.pop(ROOM_KEY, None)
        st.rerun()
    return mine


def room_banner(room: tuple[str, str]) -> None:
    """On the projector: the room's code, the join address and a QR code of it."""
    url = join_url(room[0])
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=5, border=2)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.image(qr.getvalue(), width=120)
        st.markdown(f"### Join the class: room **{room[0]}**\n{url}")


@room_guarded
def follow_step(room: tuple[str, str], step: int, question: dict | None,
                explore: dict | None = None) -> None:
    """Move the room to the presenter's step, so students see its question and task."""
    code, token = room
    state = store().room(code)
    if (state.step, state.question, state.explore) != (step, question, explore):
        store().set_step(code, token, step, question, explore)


def question_box(room: tuple[str, str] | None, question: dict,
                 measured: dict[str, float]) -> None:
    """The step's question on the projector: how many answered, then on Reveal the
    distribution of answers beside the measured result."""
    with st.container(border=True):
        st.markdown(f"**Question for the class:** {question['text']}")
        if question["kind"] == "choice":
            st.markdown("  ·  ".join(f"**{o}**" for o in question["options"]))
        if room is None:
            st.caption("Open a class room (sidebar) to collect the class's answers.")
            return
        st.fragment(run_every=POLL_SECONDS)(_answers_live)(room, question, measured)


@room_guarded
def _answers_live(room, question: dict, measured: dict[str, float]) -> None:
    code, token = room
    try:
        state = store().room(code)
        answers = store().answers(code, question["id"])
    except RoomError as err:
        st.warning(str(err))
        return
    st.metric("Answered", len(answers))
    row = st.container(horizontal=True)
    row.button("Reveal" if not state.revealed else "Hide the answers",
               icon=":material/visibility:", key=f"_mb_reveal_{question['id']}",
               type="primary" if not state.revealed else "secondary",
               on_click=_reveal, args=(code, token, not state.revealed))
    refused = st.session_state.pop("_mb_room_refused", "")
    if refused:
        st.error(refused)
    if state.revealed:
        left, right = st.columns([3, 2])
        with left:
            chart(answers_figure(question, list(answers.values()), measured),
                  key=f"_mb_answers_{question['id']}")
        with right:
            if measured:
                for name, value in measured.items():
                    last = value[-1] if isinstance(value, list) else value
                    st.metric(f"Measured: {name}", f"{last:.4g}",
                              help="At the end of the training." if isinstance(value, list)
                              else None)
            else:
                st.caption("No measured result yet: train this step to compare.")


def results_box(room: tuple[str, str] | None, explore: dict) -> None:
    """On the projector: every student's own variant as a dot, as they submit them."""
    with st.container(border=True):
        fields = ", ".join(explore["fields"])
        st.markdown(f"**Your turn:** on your device, change {fields}, train, and send "
                    f"your validation {explore['measured']}.")
        if room is None:
            st.caption("Open a class room (sidebar) to collect the class's results.")
            return
        st.fragment(run_every=POLL_SECONDS)(_results_live)(room[0], explore)


@room_guarded
def _results_live(code: str, explore: dict) -> None:
    try:
        results = store().results(code, explore["id"])
    except RoomError as err:
        st.warning(str(err))
        return
    st.metric("Variants sent", len(results))
    if results:
        chart(results_figure(results, explore["fields"][0], explore["measured"]),
              key=f"_mb_results_{explore['id']}")


def _reveal(code: str, token: str, revealed: bool) -> None:
    try:
        store().reveal(code, token, revealed)
    except (NotPresenter, RoomError) as err:
        st.session_state["_mb_room_refused"] = str(err)


# -- the student's side ----------------------------------------------------------------

@room_guarded
def join_page() -> None:
    use_app_navigation()
    st.set_page_config(page_title="Join the class", page_icon="🔀", layout="centered")
    st.title("Join the class")
    code = normalise_code(st.query_params.get("room", ""))
    if not code:
        typed = st.text_input("Room code (on the projector)", max_chars=8, key="_mb_join_code")
        if st.button("Join", type="primary", disabled=not typed):
            st.query_params["room"] = normalise_code(typed)
            st.rerun()
        return
    try:
        store().room(code)
    except StoreUnavailable as err:
        st.warning(f"Class room: {err}", icon=":material/cloud_off:")
        st.button("Try again", icon=":material/refresh:", key="_mb_join_retry")
        return
    except RoomError as err:
        st.error(str(err))
        if st.button("Type another code", icon=":material/arrow_back:"):
            del st.query_params["room"]
            st.rerun()
        return
    st.caption(f"Room **{code}**. Nothing is kept about you except the nickname you choose.")
    nickname = st.text_input("Your nickname", max_chars=24, key="_mb_nickname")
    if not nickname.strip():
        st.info("Choose a nickname to answer.")
        return
    task = store().room(code).explore
    st.fragment(run_every=POLL_SECONDS)(_student_question)(code, nickname, task)
    if task:
        own_variant(code, nickname, task)


@room_guarded
def _student_question(code: str, nickname: str, task: dict | None) -> None:
    try:
        room = store().room(code)
    except RoomError as err:
        st.error(str(err))
        return
    if room.explore != task:             # the lecturer moved to a step with another task
        st.rerun()
    question = room.question
    if not question:
        st.info("No question at the moment: watch the projector.")
        return
    st.markdown(f"**{question['text']}**")
    qid = question["id"]
    mine = store().answers(code, qid).get(" ".join(nickname.split()))
    if question["kind"] == "sketch":
        _sketch(code, nickname, question, mine)
        return
    with st.form(f"_mb_answer_{qid}", border=False):
        if question["kind"] == "choice":
            value = st.radio("Your answer", question["options"], index=None, key=f"_mb_a_{qid}")
        else:
            value = st.number_input(f"Your answer ({question.get('unit') or 'a number'})",
                                    value=None, format="%g", key=f"_mb_a_{qid}")
        sent = st.form_submit_button("Send my answer" if mine is None else "Change my answer",
                                     type="primary")
    if sent:
        if value is None:
            st.warning("Choose an answer first.")
        else:
            mine = _send(code, qid, nickname, value) or mine
    if mine is not None:
        st.success(f"Your answer: **{mine}**")
    if room.revealed:
        _class_answers(code, question)


def _send(code: str, qid: str, nickname: str, value) -> str | None:
    """Store a student's answer; returns it as stored, or None (with the reason shown)."""
    try:
        store().answer(code, qid, nickname, value)
        return store().answers(code, qid).get(" ".join(nickname.split()))
    except RoomError as err:
        st.error(str(err))
        return None


def _class_answers(code: str, question: dict) -> None:
    """After Reveal, on the student's device too: the class's answers."""
    chart(answers_figure(question, list(store().answers(code, question["id"]).values())),
          key=f"_mb_student_answers_{question['id']}")


@room_guarded
def _sketch(code: str, nickname: str, question: dict, mine: str | None) -> None:
    """A sketch of the expected curve: drawn on a small canvas or set with sliders
    (ui/class_sketch), then Send."""
    qid = question["id"]
    mine = class_sketch.sketch_input(question, mine,
                                     lambda points: _send(code, qid, nickname, points))
    if mine is not None:
        st.success("Your sketch is in: look at the projector.")
    if store().room(code).revealed:
        _class_answers(code, question)


@room_guarded
def own_variant(code: str, nickname: str, task: dict) -> None:
    """The step's network with the student's own values of the task's fields: train
    it (in the shared workers, like any page) and send the measured value."""
    lesson = get_lesson(task["lesson"])
    st.subheader("Your own variant")
    chosen = {}
    for name in task["fields"]:
        spec = spec_of(lesson.settings_cls, name)
        chosen[name] = spec.to_text(_field_widget(spec, spec.parse(task["settings"][name]),
                                                  key=f"_mb_x_{task['id']}_{name}"))
    try:
        exp = experiment(from_strings(lesson.settings_cls, {**task["settings"], **chosen}))
    except SettingsError as err:
        st.error(f"This network cannot be built: {err}")
        return
    st.caption(f"{exp.graph.params:,} parameters")
    run = train_panel(exp, title="Train your variant")
    if run is None or run.settings != exp.settings:
        return
    value = run.last(run.find(task["measured"], val=True))
    if value is None:
        st.warning(f"This training has no validation {task['measured']} to send.")
        return
    st.metric(f"Your validation {task['measured']}", f"{value:.4g}")
    if st.button("Send my result", type="primary", key=f"_mb_send_{task['id']}"):
        try:
            store().submit_result(code, task["id"], nickname, chosen, value)
            st.success("Sent: look at the projector.")
        except RoomError as err:
            st.error(str(err))


def _field_widget(spec, value, key: str):
    """One control for a field, starting at the step's value (not bound to the URL)."""
    if spec.choices is not None:
        return st.selectbox(spec.label, spec.choices, index=spec.choices.index(value), key=key)
    if spec.type is bool:
        return st.toggle(spec.label, value=value, key=key)
    if spec.type is int:
        return st.slider(spec.label, int(spec.lo), int(spec.hi), value, key=key)
    return st.number_input(spec.label, float(spec.lo), float(spec.hi), float(value),
                           format="%g", key=key)
