"""Links: every setting in the URL, presets by name, presenter mode, hidden controls.

The settings widgets bind themselves to the query string (Streamlit's
`bind="query-params"`, key = field name), so the address bar always holds the
page's settings. This module reads a link once, when a page opens: it checks
every value with the core's lenient parser, expands `?preset=`, and rewrites
the query string to its canonical form before the widgets read it, so a
widget never drops or bends a value the core accepts, and a bad value becomes
the default with one warning that names it.

URL conventions (also in the README):
  FIELD=VALUE      any setting of the lesson, as on the command line (--set);
                   defaults are left out
  preset=NAME      start from a named preset; FIELD=VALUE pairs override it
  presenter=true   presenter mode (bigger type and charts, lesson text folded)
  hide=FIELD       hide that control (repeat, or separate names by commas);
                   its value still counts
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException

from mbcore.lessons import Lesson
from mbcore.settings import (Settings, SettingsError, field_names, from_strings_lenient,
                             option, to_strings, unknown_field_error)


@dataclass(frozen=True)
class View(Settings):
    """How a page is shown, not what it trains: travels in the URL like a setting."""
    lesson_id = "view"
    presenter: bool = option(False, "Presenter mode",
                             help="Large type and charts for a projector; the lesson text "
                                  "and the data and training controls are folded away.")


PRESET, HIDE = "preset", "hide"
# Query parameters that are not settings: they must never be a field's name.
LINK_PARAMS = (PRESET, HIDE) + field_names(View)


@dataclass(frozen=True)
class Link:
    """What a link asks for, after checking; warnings say what was dropped."""
    settings: Settings
    view: View = View()
    hide: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def read_link(lesson: Lesson, params: Mapping[str, str | list[str]]) -> Link:
    """Check a query string's parameters (repeated names allowed; the last one counts)."""
    last = {k: v[-1] if isinstance(v, list) else v for k, v in params.items() if v != []}
    warnings, pairs = [], {}
    if PRESET in last:
        try:
            pairs.update(to_strings(lesson.preset(last[PRESET])))
        except SettingsError as err:
            warnings.append(f"{err} (no preset applied)")
    pairs.update({k: v for k, v in last.items() if k not in LINK_PARAMS})
    settings, bad = from_strings_lenient(lesson.settings_cls, pairs)
    view, bad_view = from_strings_lenient(View, {k: last[k] for k in field_names(View)
                                                 if k in last})
    hide, bad_hide = _hidden(lesson.settings_cls, params.get(HIDE, []))
    return Link(settings, view, hide, tuple(warnings + bad + bad_view + bad_hide))


def _hidden(cls: type, values: str | list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Field names from `hide` values (repeated or comma-separated); unknown ones warn."""
    names = [n.strip() for v in ([values] if isinstance(values, str) else values)
             for n in v.split(",") if n.strip()]
    known = field_names(cls)
    warnings = [f"{HIDE}: {unknown_field_error(cls, n)} (not hidden)" for n in names
                if n not in known]
    return tuple(n for n in known if n in names), warnings


def to_query(link: Link) -> dict[str, list[str]]:
    """The canonical query of a link: changed settings, then the view, then `hide`."""
    query = {k: [v] for k, v in {**to_strings(link.settings), **to_strings(link.view)}.items()}
    if link.hide:
        query[HIDE] = list(link.hide)
    return query


def query_string(link: Link) -> str:
    return urlencode(to_query(link), doseq=True)


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
    from mbcore.lessons import get_lesson
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
