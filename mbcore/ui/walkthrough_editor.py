"""The lecturer's own walkthrough, built in the app: a lesson page's "Add to my
walkthrough" takes the page's lesson and current settings as a step; the editor
(/walkthrough?view=edit) reorders, edits the notes and question, deletes,
downloads the TOML and uploads one.

The draft lives in the session as the file's own data (what tomllib reads), and
is checked with the same schema as a file (`parse`), so what the editor lets
you download is what `python -m mbcore walkthrough check` accepts. A malformed
upload is refused with the step and field named, and the draft stays as it was.
"""
from __future__ import annotations

import copy
import itertools
from pathlib import Path

import streamlit as st

from mbcore.lessons import Lesson
from mbcore.settings import Settings, spec_of
from mbcore.walkthroughs import PANELS, QUESTION_KINDS, Walkthrough, WalkthroughError, parse
from mbcore.walkthroughs.writer import dumps

DRAFT_KEY = "_mb_walk_draft"          # {"title": ..., "steps": [raw step, ...]}
IDS_KEY = "_mb_walk_draft_ids"        # a widget id per step, so reordering keeps each one's state
GENERATION_KEY = "_mb_walk_draft_gen"  # counts replaced drafts (the title widget's key)
NO_QUESTION = "no question"
_ids = itertools.count(1)
WALKTHROUGH_PAGE = Path(__file__).resolve().parents[2] / "pages" / "walkthrough.py"


def draft() -> dict:
    return st.session_state.setdefault(DRAFT_KEY, {"title": "My lecture", "steps": []})


def _ids_of(data: dict) -> list:
    ids = st.session_state.setdefault(IDS_KEY, [])
    while len(ids) < len(data["steps"]):
        ids.append(next(_ids))
    del ids[len(data["steps"]):]
    return ids


def step_of(lesson: Lesson, settings: Settings) -> dict:
    """A page's state as a step: its lesson and every setting that differs from the
    lesson's defaults (numbers and switches as themselves, the rest as text)."""
    changed = {k: v if isinstance(v, (bool, int, float)) else
               spec_of(lesson.settings_cls, k).to_text(v) for k, v in settings.changed().items()}
    return {"title": lesson.title, "lesson": lesson.id, "set": changed,
            "show": ["diagram", "training"], "notes": ""}


def add(step: dict) -> None:
    """Callback: append a step to the draft."""
    draft()["steps"].append(copy.deepcopy(step))
    _ids_of(draft())
    st.toast(f"Added as step {len(draft()['steps'])} of your walkthrough.",
             icon=":material/playlist_add_check:")


def add_button(lesson: Lesson, settings: Settings | None) -> None:
    """A lesson page's sidebar: this page, as it is set now, becomes a step."""
    if settings is None:
        return
    st.button("Add to my walkthrough", icon=":material/playlist_add:", key="_mb_walk_add_page",
              on_click=add, args=(step_of(lesson, settings),), width="stretch",
              help="Your lecture as steps: this lesson with the settings it has now. "
                   "Edit, download and present it on the Lecture walkthrough page.")
    count = len(draft()["steps"])
    # a button, not a link: the draft lives in this browser tab's session
    if count and st.button(f"Edit your walkthrough ({count} step{'s' * (count != 1)})",
                           icon=":material/edit:", key="_mb_walk_edit_draft", width="stretch"):
        st.switch_page(WALKTHROUGH_PAGE, query_params={"view": "edit"})


def check(data: dict) -> tuple[Walkthrough | None, str]:
    """The draft read as a file would be: (walkthrough, "") or (None, the error)."""
    try:
        return parse(dumps(data), name="uploaded"), ""
    except (WalkthroughError, TypeError) as err:
        return None, str(err)


# -- the editor --------------------------------------------------------------------------

def editor(current: Walkthrough | None, on_present) -> None:
    """Main area of /walkthrough?view=edit. `on_present(walk)` shows a checked draft."""
    data = draft()
    st.title("Edit your walkthrough")
    top = st.container(horizontal=True)
    if current is not None:
        top.button(f"Start from “{current.title}”", icon=":material/content_copy:",
                   key="_mb_ed_from", on_click=_replace, args=(current.raw,),
                   help="Replace your draft with a copy of this walkthrough's steps.")
    _upload()
    title_key = f"_mb_ed_title_{st.session_state.get(GENERATION_KEY, 0)}"
    st.text_input("Title", value=data.get("title", ""), key=title_key,
                  on_change=_set_from, args=(data, "title", title_key))
    if not data["steps"]:
        st.info("No steps yet. On a lesson page, set it up as you want to show it and press "
                "**Add to my walkthrough** in the sidebar; or start from a shipped walkthrough.")
    for index, (raw, sid) in enumerate(zip(data["steps"], _ids_of(data))):
        _step_editor(data, index, raw, sid)
    walk, error = check(data) if data["steps"] else (None, "")
    if error:
        st.error(f"Not yet a valid walkthrough: {error}")
    row = st.container(horizontal=True)
    row.download_button("Download the TOML", data=dumps(data) if walk else "",
                        file_name=_file_name(data), mime="application/toml",
                        icon=":material/download:", disabled=walk is None, key="_mb_ed_download")
    if row.button("Present it", icon=":material/slideshow:", type="primary",
                  disabled=walk is None, key="_mb_ed_present"):
        on_present(walk)


def _file_name(data: dict) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in data.get("title", "")).strip("_").lower()
    return f"{stem or 'walkthrough'}.toml"


def _replace(raw: dict) -> None:
    st.session_state[DRAFT_KEY] = copy.deepcopy(raw)
    st.session_state[IDS_KEY] = []
    # new widgets for the new draft: a browser sends its widgets' old values back
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def _upload() -> None:
    upload = st.file_uploader("Upload a walkthrough (.toml) to edit", type=["toml"],
                              key="_mb_ed_upload")
    if upload is None or st.session_state.get("_mb_ed_uploaded") == upload.file_id:
        return
    try:
        walk = parse(upload.getvalue().decode("utf-8", errors="replace"), name="uploaded")
    except WalkthroughError as err:
        st.error(f"{upload.name} was not loaded ({err}); your draft is unchanged.")
        return
    st.session_state["_mb_ed_uploaded"] = upload.file_id
    _replace(walk.raw)
    st.rerun()


def _set_from(target: dict, field: str, key: str) -> None:
    target[field] = st.session_state[key]


def _move(data: dict, index: int, by: int) -> None:
    steps, ids = data["steps"], _ids_of(data)
    other = index + by
    steps[index], steps[other] = steps[other], steps[index]
    ids[index], ids[other] = ids[other], ids[index]


def _delete(data: dict, index: int) -> None:
    ids = _ids_of(data)
    del data["steps"][index]
    del ids[index]


def _step_editor(data: dict, index: int, raw: dict, sid: int) -> None:
    key = f"_mb_ed_{sid}"
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**{index + 1}. {raw.get('title') or raw.get('lesson')}** · "
                      f"lesson `{raw.get('lesson')}`" + _overrides(raw))
        head.button("", icon=":material/arrow_upward:", key=f"{key}_up", help="Move up",
                    disabled=index == 0, on_click=_move, args=(data, index, -1))
        head.button("", icon=":material/arrow_downward:", key=f"{key}_down", help="Move down",
                    disabled=index == len(data["steps"]) - 1, on_click=_move,
                    args=(data, index, 1))
        head.button("", icon=":material/delete:", key=f"{key}_delete", help="Delete this step",
                    on_click=_delete, args=(data, index))
        left, right = st.columns(2)
        left.text_input("Title", value=raw.get("title", ""), key=f"{key}_title",
                        on_change=_set_from, args=(raw, "title", f"{key}_title"))
        shown = [p for p in raw.get("show", ["diagram"]) if p in PANELS]
        right.multiselect("Show", list(PANELS), default=shown, key=f"{key}_show",
                          on_change=_set_from, args=(raw, "show", f"{key}_show"))
        st.text_area("Lecturer's notes (markdown)", value=raw.get("notes", ""), height=80,
                     key=f"{key}_notes", on_change=_set_from, args=(raw, "notes", f"{key}_notes"))
        _question_editor(raw, key)


def _overrides(raw: dict) -> str:
    changed = raw.get("set") or {}
    preset = f" · preset *{raw['preset']}*" if raw.get("preset") else ""
    return preset + (" · " + ", ".join(f"{k} = {v}" for k, v in changed.items())
                     if changed else "")


def _question_editor(raw: dict, key: str) -> None:
    question = raw.get("question") or {}
    kinds = [NO_QUESTION, *QUESTION_KINDS]
    left, right = st.columns([1, 3])
    kind = left.selectbox("Question", kinds, index=kinds.index(question.get("kind", NO_QUESTION)),
                          key=f"{key}_qkind", on_change=_set_kind, args=(raw, f"{key}_qkind"))
    if kind == NO_QUESTION:
        return
    right.text_input("Question text", value=question.get("text", ""), key=f"{key}_qtext",
                     on_change=_set_from, args=(question, "text", f"{key}_qtext"))
    if kind == "choice":
        st.text_area("Options, one per line", value="\n".join(question.get("options", [])),
                     height=80, key=f"{key}_qoptions", on_change=_set_options,
                     args=(question, f"{key}_qoptions"))
    if kind == "sketch":
        low, high, measured = st.columns(3)
        span = question.setdefault("range", [0.0, 1.0])
        for col, i, label in ((low, 0, "y axis from"), (high, 1, "y axis to")):
            col.number_input(label, value=float(span[i]), key=f"{key}_qrange{i}", format="%g",
                             on_change=_set_range, args=(span, i, f"{key}_qrange{i}"))
        measured.text_input("Measured curve (validation)", value=question.get("measured", ""),
                            key=f"{key}_qmeasured", placeholder="loss or accuracy",
                            on_change=_set_from, args=(question, "measured", f"{key}_qmeasured"))


def _set_kind(raw: dict, key: str) -> None:
    kind = st.session_state[key]
    if kind == NO_QUESTION:
        raw.pop("question", None)
        return
    question = raw.setdefault("question", {"text": ""})
    question["kind"] = kind
    if kind != "choice":
        question.pop("options", None)
    if kind != "sketch":
        question.pop("range", None)


def _set_range(span: list, index: int, key: str) -> None:
    span[index] = float(st.session_state[key])


def _set_options(question: dict, key: str) -> None:
    question["options"] = [line.strip() for line in st.session_state[key].splitlines()
                           if line.strip()]
