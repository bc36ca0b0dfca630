"""Settings widgets, generated from the settings table.

One name, one registry: the widget key is the field name, which is also its
URL and command-line name. Every settings widget is bound to the query string,
so the address bar always holds the page's settings (see mbcore/ui/links.py).
"""
from __future__ import annotations

import math

import streamlit as st

from mbcore.lessons import Lesson
from mbcore.lessons.lesson import FULL_SIZE
from mbcore.settings import (DATA, MODEL, TRAINING, Settings, SettingsError, Spec, field_names,
                             spec_of, specs)
from mbcore.ui.links import (HIDDEN_BOX, open_link, remember_link, share_box, show_warnings,
                             style)
from mbcore.ui.walkthrough_editor import add_button
from mbcore.views.links import HIDE, Link, View

GROUPS = {MODEL: "Model", DATA: "Data", TRAINING: "Training"}
# Where a control goes besides its group: folded away, or hidden by the link.
SECONDARY, UNUSED, HIDDEN = "secondary", "unused", "hidden"
FOLDED = {SECONDARY: "Data and training", UNUSED: "Not used with these settings"}
DEFAULTS_NOTE = ("Every control back to the lesson's starting value: the source tutorial's "
                 "where it gives one (the lesson text says where it differs and why).")
BIND = "query-params"


def _known(spec: Spec) -> list:
    """The values this field already has (session, then URL) that the core accepts."""
    found = []
    if spec.name in st.session_state:
        found.append(st.session_state[spec.name])
    if spec.name in st.query_params:
        try:
            found.append(spec.parse(st.query_params[spec.name]))
        except SettingsError:
            pass
    ok = []
    for value in found:
        try:
            spec.check(value)
            ok.append(value)
        except SettingsError:
            pass
    return ok


def _log_grid(spec: Spec) -> list[float]:
    """1-2-5 steps per decade between lo and hi, plus the default and the field's
    current value, so that a value off the grid (from a link or a preset) is kept."""
    grid = {spec.default, *(float(v) for v in _known(spec))}
    for e in range(math.floor(math.log10(spec.lo)), math.ceil(math.log10(spec.hi)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{e}")
            if spec.lo <= v <= spec.hi:
                grid.add(v)
    return sorted(grid)


def _on_grid(spec: Spec, step: float) -> bool:
    steps = (spec.default - spec.lo) / step
    return abs(steps - round(steps)) < 1e-9


def widget(spec: Spec, where=st):
    """The one control for a field, chosen from its type and range; key = field name."""
    common = dict(label=spec.label, key=spec.name, help=spec.help or None, bind=BIND)
    if spec.choices is not None:
        if len(spec.choices) <= 4:
            return where.segmented_control(options=spec.choices, default=spec.default,
                                           required=True, **common)
        return where.selectbox(options=spec.choices, index=spec.choices.index(spec.default),
                               **common)
    if spec.type is bool:
        return where.toggle(value=spec.default, **common)
    if spec.log:
        return where.select_slider(options=_log_grid(spec), value=spec.default,
                                   format_func=spec.to_text, **common)
    if spec.type is int:
        step = int(spec.step or 1)
        if (spec.hi - spec.lo) / step <= 600 and _on_grid(spec, step):
            return where.slider(min_value=int(spec.lo), max_value=int(spec.hi),
                                value=spec.default, step=step, **common)
        return where.number_input(min_value=int(spec.lo), max_value=int(spec.hi),
                                  value=spec.default, step=step, **common)
    if spec.step:
        return where.slider(min_value=float(spec.lo), max_value=float(spec.hi),
                            value=float(spec.default), step=float(spec.step), **common)
    return where.number_input(min_value=float(spec.lo), max_value=float(spec.hi),
                              value=float(spec.default), format="%g",
                              step=float(spec.default or (spec.hi - spec.lo) / 100), **common)


def _apply(cls, values: dict) -> None:
    """Callback for presets and reset: write every field's widget state."""
    base = cls(**values)
    for spec in specs(cls):
        st.session_state[spec.name] = getattr(base, spec.name)


def settings_panel(lesson: Lesson, where=None) -> Settings | None:
    """Presets, the reset to the lesson's defaults, the share link and one widget per field.

    Returns the settings, or None (with an error shown) when the fields are
    valid one by one but not together; the widgets keep what the user chose.
    """
    where = where or st.sidebar
    cls = lesson.settings_cls
    warnings = open_link(lesson)
    with where:
        st.button("Lesson defaults", icon=":material/restart_alt:", key="reset_defaults",
                  on_click=_apply, args=(cls, {}), help=DEFAULTS_NOTE, width="stretch")
        with st.expander("Presets", expanded=False):
            for name, changes in lesson.presets.items():
                st.button(name, key=f"preset_{name}", on_click=_apply, args=(cls, changes),
                          width="stretch")
        share = st.popover("Share a link", icon=":material/link:", width="stretch",
                           help="The full address of this page with these settings.")
        fields = st.container()
        view, hide = _view_controls(cls)          # drawn below the fields
        with fields:
            values = _fields(lesson, view.presenter, hide)
    show_warnings(warnings)
    style(view.presenter, bool(hide))
    try:
        settings = cls(**values)
    except SettingsError as err:
        st.error(f"These settings do not fit together: {err}")
        settings = None
    with share:
        share_box(None if settings is None else Link(settings, view, hide))
    if settings is not None:
        remember_link(lesson, Link(settings, view, hide))
    if settings is not None and settings.changed():
        fields.caption("Changed from the lesson's defaults: " + ", ".join(
            f"{k} = {v}" for k, v in settings.changed().items()))
    with where:
        add_button(lesson, settings)
    return settings


def _view_controls(cls: type) -> tuple[View, tuple[str, ...]]:
    """Presenter mode and the controls a focused link hides (both live in the URL)."""
    st.subheader("Presenting")
    spec = spec_of(View, "presenter")
    view = View(presenter=_value(spec, widget(spec)))
    with st.expander("Hide controls (for a focused link)"):
        chosen = st.multiselect("Hidden controls", options=field_names(cls), key=HIDE, bind=BIND,
                                help="Hidden controls keep their values; the link carries "
                                     "them as hide=FIELD.")
    return view, tuple(n for n in field_names(cls) if n in chosen)


def _place(spec: Spec, active: set, presenter: bool, hide: tuple) -> str:
    if spec.name in hide:
        return HIDDEN
    if spec.name not in active:
        return UNUSED
    return SECONDARY if presenter and spec.group != MODEL else spec.group


def _section(name: str):
    if name in GROUPS:
        box = st.container()
        box.subheader(GROUPS[name])
        return box
    return st.container(key=HIDDEN_BOX) if name == HIDDEN else st.expander(FOLDED[name])


def _fields(lesson: Lesson, presenter: bool, hide: tuple) -> dict:
    """One widget per field, in its group, folded away or hidden; every one is drawn,
    since Streamlit forgets a widget (and its URL parameter) that a run leaves out."""
    cls = lesson.settings_cls
    _forget_other_lessons_values(cls)
    active = lesson.active_fields({s.name: (_known(s) or [s.default])[0] for s in specs(cls)})
    place = {s.name: _place(s, active, presenter, hide) for s in specs(cls)}
    boxes = {name: _section(name) for name in (*GROUPS, SECONDARY, UNUSED, HIDDEN)
             if name in place.values()}
    values = {s.name: _value(s, widget(s, boxes[place[s.name]])) for s in specs(cls)}
    now = lesson.active_fields(values)
    if now != active and st.session_state.get("_mb_active") != now:
        st.session_state["_mb_active"] = now
        st.rerun()                    # a control changed section: draw it where it belongs
    return values


def _forget_other_lessons_values(cls: type) -> None:
    """Widget keys are field names, shared by every page of a session: a value left by
    another lesson (epochs=150 where this one allows 100) gives way to the default."""
    for spec in specs(cls):
        if spec.name in st.session_state:
            try:
                spec.check(_value(spec, st.session_state[spec.name]))
            except (SettingsError, TypeError, ValueError):
                del st.session_state[spec.name]


def _value(spec: Spec, raw):
    """Widgets return floats for int fields in some cases; keep the field's type."""
    if raw is None:
        return spec.default
    return spec.type(raw) if spec.type in (int, float) else raw


def classroom_size(lesson: Lesson) -> None:
    """Callback: from the tutorial's full size back to the classroom size. Only the
    fields the full-size preset sets return to their defaults; the rest stay."""
    defaults = lesson.settings_cls()
    for name in lesson.presets[FULL_SIZE]:
        st.session_state[name] = getattr(defaults, name)
