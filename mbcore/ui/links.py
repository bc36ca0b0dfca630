"""Links on the page: read the address once when a page opens, keep each lesson's
own settings across page switches, share box, presenter styling.

The settings widgets bind themselves to the query string (Streamlit's
`bind="query-params"`, key = field name), so the address bar always holds the
page's settings. The URL codec itself is mbcore/views/links.py.
"""
from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from mbcore.lessons import Lesson, get_lesson
from mbcore.settings import field_names
from mbcore.views.links import HIDE, Link, View, query_string, read_link, to_query


# -- on the page ------------------------------------------------------------------

def open_link(lesson: Lesson) -> tuple[str, ...]:
    """On a page's first run in a session: canonicalise the link, rerun once if it changed.

    Returns the link's warnings (kept for the session, shown on every run)."""
    if _arrived_from_another_lesson(lesson):
        return st.session_state.get(f"_mb_link_{lesson.id}", ())
    seen = f"_mb_link_{lesson.id}"
    if seen not in st.session_state:
        current = {k: st.query_params.get_all(k) for k in st.query_params}
        link = read_link(lesson, current)
        st.session_state[seen] = link.warnings
        canonical = to_query(link)
        if canonical != current:
            try:
                st.query_params.from_dict(canonical)
            except StreamlitAPIException:  # a bound widget owns a name: keep it
                return link.warnings
            st.rerun()     # the widgets read the link when they first appear
    return st.session_state[seen]


def _arrived_from_another_lesson(lesson: Lesson) -> bool:
    """Widget keys are field names, shared by every page of a session, so a page
    switch would carry the last page's values (and its URL) into this one. On a
    switch, forget the other page's widget states and put back this lesson's own
    settings and query, as the session last showed them (defaults on a first visit)."""
    last = st.session_state.get("_mb_lesson")
    st.session_state["_mb_lesson"] = lesson.id
    if last is None or last == lesson.id:
        return False
    for name in (*field_names(get_lesson(last).settings_cls), HIDE):
        st.session_state.pop(name, None)
    mine = st.session_state.get(f"_mb_shown_{lesson.id}", Link(lesson.settings_cls()))
    for name in field_names(lesson.settings_cls):
        st.session_state[name] = getattr(mine.settings, name)
    if mine.hide:
        st.session_state[HIDE] = list(mine.hide)
    try:
        st.query_params.from_dict(to_query(mine))
    except StreamlitAPIException:       # a bound widget owns a name: it writes it itself
        pass
    return True


def remember_link(lesson: Lesson, link: Link) -> None:
    """What this lesson's page shows, to put back when the session returns to it."""
    st.session_state[f"_mb_shown_{lesson.id}"] = link


def show_warnings(warnings: tuple[str, ...]) -> None:
    if warnings:
        st.warning("Part of this link could not be used; the rest of it is applied:\n\n"
                   + "\n".join(f"- {w}" for w in warnings))


def presenting() -> bool:
    return bool(st.session_state.get("presenter", False))


LECTURER_KEY = "_mb_lecturer"     # set by the walkthrough's presenter view


def lecturing() -> bool:
    """The lecturer's session (presenter mode, or a walkthrough's presenter view):
    its trainings are served before the class's, so the projector never waits."""
    return presenting() or bool(st.session_state.get(LECTURER_KEY, False))


def share_box(link: Link | None) -> None:
    """The full link for the current settings, with Streamlit's copy button."""
    if link is None:
        st.caption("The link needs settings that fit together: fix the error first.")
        return
    query = query_string(link)
    base = st.context.url or ""
    st.code(f"{base}?{query}" if query else base or "(the page's address: all defaults)",
            language=None, wrap_lines=True)
    if link.view != View() or link.hide:
        plain = query_string(Link(link.settings))
        st.caption("The same settings without presenter mode or hidden controls:")
        st.code(f"{base}?{plain}" if plain else base or "(the page's address)",
                language=None, wrap_lines=True)
    st.caption("Anyone who opens it gets these settings and seed, so the same curves.")


# Presenter mode: the root font size scales every rem-based size of the page.
PRESENTER_CSS = """<style>
html { font-size: 22px !important; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-top: 2rem; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
</style>"""
HIDDEN_BOX = "mb_hidden_controls"     # a container the page shows nowhere


def style(presenter: bool, any_hidden: bool) -> None:
    css = PRESENTER_CSS if presenter else ""
    if any_hidden:
        css += f"<style>.st-key-{HIDDEN_BOX} {{ display: none !important; }}</style>"
    if css:
        st.html(css)
