"""Settings widgets, generated from the settings table.

One name, one registry: the widget key is the field name, which is also its
URL and command-line name.
"""
from __future__ import annotations

import math

import streamlit as st

from mbcore.lessons import Lesson
from mbcore.settings import DATA, MODEL, TRAINING, Settings, SettingsError, Spec, specs

GROUPS = {MODEL: "Model", DATA: "Data", TRAINING: "Training"}
SEED_NOTE = "Every control starts at the value of the source tutorial."


def _log_grid(spec: Spec) -> list[float]:
    """1-2-5 steps per decade between lo and hi, plus the default."""
    grid = {spec.default}
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
    common = dict(label=spec.label, key=spec.name, help=spec.help or None)
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
                                   format_func=lambda v: f"{v:g}", **common)
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
    """Presets, the seed-defaults reset and one widget per field, grouped.

    Returns the settings, or None (with an error shown) when the fields are
    valid one by one but not together; the widgets keep what the user chose.
    """
    where = where or st.sidebar
    cls = lesson.settings_cls
    with where:
        st.button("↺ Seed defaults", key="reset_seed_defaults", type="primary",
                  on_click=_apply, args=(cls, {}), help=SEED_NOTE, width="stretch")
        with st.expander("Presets", expanded=False):
            for name, changes in lesson.presets.items():
                st.button(name, key=f"preset_{name}", on_click=_apply, args=(cls, changes),
                          width="stretch")
        values = {}
        for group, title in GROUPS.items():
            fields = [s for s in specs(cls) if s.group == group]
            if fields:
                st.subheader(title)
                for spec in fields:
                    values[spec.name] = _value(spec, widget(spec))
    try:
        settings = cls(**values)
    except SettingsError as err:
        st.error(f"These settings do not fit together: {err}")
        return None
    changed = settings.changed()
    if changed:
        where.caption("Changed from the seed: " + ", ".join(f"{k} = {v}" for k, v in changed.items()))
    return settings


def _value(spec: Spec, raw):
    """Widgets return floats for int fields in some cases; keep the field's type."""
    if raw is None:
        return spec.default
    return spec.type(raw) if spec.type in (int, float) else raw


def apply_preset(lesson: Lesson, name: str) -> None:
    """Callback: set every widget to a named preset of the lesson."""
    _apply(lesson.settings_cls, lesson.presets[name])


