"""The one Streamlit module: what every lesson page shares.

Widgets are generated from the settings table (one name, one registry: the
widget key is the field name, which is also its URL and command-line name),
the model view comes from the Graph (no TensorFlow in the server), and the
training panel only talks to jobs running in worker processes.
"""
from __future__ import annotations

import math

import streamlit as st

from mbcore.diagram import to_dot
from mbcore.lessons import Lesson, get_lesson
from mbcore.settings import DATA, MODEL, TRAINING, Settings, SettingsError, Spec, specs
from mbcore.summary import summary_rows

GROUPS = {MODEL: "Model", DATA: "Data", TRAINING: "Training"}
SEED_NOTE = "Every control starts at the value of the source tutorial."


# -- page frame -----------------------------------------------------------------
def page(lesson_id: str) -> Lesson:
    """Wide layout, the lesson's title and its one-line blurb."""
    lesson = get_lesson(lesson_id)
    st.set_page_config(page_title=lesson.title, page_icon="🔀", layout="wide")
    st.title(lesson.title)
    st.caption(f"{lesson.blurb}  ·  lesson `{lesson.id}`, from source document {lesson.seed_doc}")
    return lesson


def lesson_page(lesson_id: str, text: str, rankdir: str = "TB"):
    """The frame every lesson shares: sidebar controls, text beside the model view.

    Returns (lesson, settings, graph, aside): settings or graph are None when the
    input cannot be honoured (an error is shown); `aside` is the text column, for
    what a page adds under its text (API changes, notes).
    """
    lesson = page(lesson_id)
    settings = settings_panel(lesson)
    aside, right = st.columns([2, 3], gap="large")
    with aside:
        lesson_text(text)
    with right:
        graph = model_view(settings, rankdir=rankdir)
    return lesson, settings, graph, aside


def lesson_text(markdown: str) -> None:
    """The lesson's own words: the idea, what to try, what to look for."""
    with st.container(border=True):
        st.markdown(markdown)


def api_change(what: str, old: str, new: str, note: str = "") -> None:
    """The seed's call (Keras 1/2) beside the Keras 3 call that replaces it."""
    with st.expander(f"Keras then and now: {what}", expanded=False):
        left, right = st.columns(2)
        left.caption("In the source tutorial (old Keras)")
        left.code(old, language="python", wrap_lines=True)
        right.caption("Keras 3 (used here)")
        right.code(new, language="python", wrap_lines=True)
        if note:
            st.markdown(note)


# -- settings widgets, generated from the table ----------------------------------
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


# -- the model: summary table and diagram -------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def _model_view(settings: Settings):
    graph = get_lesson(type(settings).lesson_id).architecture(settings)
    rows = [{"layer": r.name, "type": r.type, "output shape": r.output_shape,
             "params": r.params, "connected to": ", ".join(r.inbound)}
            for r in summary_rows(graph)]
    return graph, rows


def graph_or_error(settings: Settings | None):
    """The Graph for these settings, or None after showing why it cannot be built."""
    if settings is None:
        return None
    try:
        return _model_view(settings)[0]
    except SettingsError as err:
        st.error(f"This network cannot be built: {err}")
        return None


def model_view(settings: Settings | None, rankdir: str = "TB", where=st):
    """Parameter count, the summary table and the diagram side by side."""
    graph = graph_or_error(settings)
    if graph is None:
        return None
    rows = _model_view(settings)[1]
    with where.container():
        a, b, c = st.columns(3)
        a.metric("Parameters", f"{graph.params:,}")
        b.metric("Keras layers", len(graph.nodes),
                 help="Every node of the diagram: inputs and merge layers count too.")
        c.metric("Inputs → outputs", f"{len(graph.inputs)} → {len(graph.outputs)}")
        diagram, table, code = st.tabs(["Diagram", "Summary table", "Keras code"])
        with diagram:   # a deep net scrolls inside a box instead of stretching the page
            box = st.container(height=680) if len(graph.nodes) > 14 else st.container()
            box.graphviz_chart(to_dot(graph, rankdir=rankdir))
        with table:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.caption(f"Total params: {graph.params:,} · trainable: {graph.params:,} · "
                       "non-trainable: 0")
        with code:
            code_panel(settings)
    return graph


@st.cache_data(show_spinner=False, max_entries=64)
def _script(settings: Settings) -> str:
    from mbcore.export import script
    return script(settings)


def code_panel(settings: Settings) -> None:
    """Show me the code: the complete script for these settings, to run at home."""
    lesson = get_lesson(type(settings).lesson_id)
    st.caption("The whole experiment as one Keras 3 script: data, model, training and "
               "evaluation. It needs only NumPy and TensorFlow, prints the model summary "
               "(the same parameter count as above) and trains.")
    text = _script(settings)
    st.download_button("⬇ Download the script", text, file_name=f"{lesson.id}.py",
                       mime="text/x-python", key="download_script")
    st.code(text, language="python", height=420)
    if lesson.keras1 is not None:
        with st.expander("Keras 1/2 version (the source tutorial's API)"):
            st.code(lesson.keras1(settings), language="python")


def table(rows: list[dict], **kw) -> None:
    st.dataframe(rows, hide_index=True, width="stretch", **kw)


def chart(fig, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})


def apply_preset(lesson: Lesson, name: str) -> None:
    """Callback: set every widget to a named preset of the lesson."""
    _apply(lesson.settings_cls, lesson.presets[name])


@st.cache_data(show_spinner=False, max_entries=16)
def dataset(settings: Settings):
    """The lesson's data (NumPy only), for examples, ground truth and fit plots."""
    from mbcore.tasks import make_data
    return make_data(settings)


# -- training ----------------------------------------------------------------------
POLL_SECONDS = 0.4


def _watches() -> dict:
    """Job watches by slot; only this (and no Keras object) lives in the session."""
    return st.session_state.setdefault("_mb_watches", {})


def _cancel(slot: str) -> None:
    for watch in _as_dict(_watches().get(slot)).values():
        watch.cancel()


def _as_dict(entry) -> dict:
    from mbcore.runs import Watch
    return {"": entry} if isinstance(entry, Watch) else dict(entry or {})


def _stale_note(started: Settings, now: Settings | None, what: str = "The result shown") -> None:
    """Say so when the controls moved after the shown training was started."""
    from mbcore.runs import changes
    diff = changes(started, now) if now is not None else {}
    if diff:
        moved = ", ".join(f"{k}: {a} → {b}" for k, (a, b) in list(diff.items())[:4])
        st.info(f"{what} belongs to the settings it was started with; since then you changed "
                f"{moved}. Press the button again to train with the new settings.")


def _start(slot: str, what) -> None:
    """Callback of a start button: one Settings, or {name: Settings} for a comparison.

    A callback runs before the page, so the Stop button is live in the same rerun."""
    from mbcore.runs import Watch
    _cancel(slot)
    _watches()[slot] = ({k: Watch(s) for k, s in what.items()} if isinstance(what, dict)
                        else Watch(what))


def _buttons(slot: str, label: str, what) -> bool:
    """Start and Stop; returns whether a job of this slot is still running."""
    entry = _watches().get(slot)
    running = any(not w.update().finished for w in _as_dict(entry).values())
    row = st.container(horizontal=True)
    row.button(f"▶ {label}", key=f"{slot}_start", type="primary", on_click=_start,
               args=(slot, what), disabled=not what)
    row.button("■ Stop", key=f"{slot}_stop", on_click=_cancel, args=(slot,), disabled=not running)
    return running


def train_panel(settings: Settings, live=None, title: str = "Training"):
    """Train / Stop, progress and growing curves; returns the finished Run or None.

    The training runs in a worker process; the page keeps only a Watch of it,
    so reruns, control changes and page switches never interrupt it. `live`
    (run -> None) draws the lesson's own plot in the fragment, from the predictions
    so far (when the worker sends them) or the final ones.
    """
    slot = f"{type(settings).lesson_id}/train"
    st.subheader(title)
    running = _buttons(slot, "Train", settings)
    watch = _watches().get(slot)
    if watch is None:
        st.caption(f"Press Train to train for {settings.epochs} epochs with these settings.")
        return None
    _stale_note(watch.settings, settings)
    st.fragment(run_every=POLL_SECONDS if running else None)(_live_one)(slot, running, live)
    return watch.run


def _live_one(slot: str, was_running: bool, live) -> None:
    """Fragment body: poll the job, redraw progress and curves; rerun the page at the end."""
    from mbcore import figures
    from mbcore.runs import loss_and_metric_series
    watch = _watches()[slot].update()
    if was_running and watch.finished:
        st.rerun()
    _progress(watch)
    losses, metrics = loss_and_metric_series(watch.history)
    regression = get_lesson(slot.split("/")[0]).kind == "regression"
    # A fixed layout from the first poll on, so the charts are updated, not rebuilt.
    cols = st.columns(1 if regression else 2)
    with cols[0]:
        chart(figures.curves(losses, "Loss (solid: training, dashed: validation)",
                             log_y=regression), key=f"{slot}_loss")
    if not regression:
        with cols[1]:
            chart(figures.curves(metrics, "Metrics (solid: training, dashed: validation)",
                                 y="value"), key=f"{slot}_metrics")
    snapshot = watch.snapshot()
    if live is not None and snapshot.predictions:
        live(snapshot)


def _progress(watch) -> None:
    """One line a class can read from the back: where the training is, and its loss."""
    hist = watch.history
    text = {"queued": "Waiting for a free worker…", "running": "Starting: building the model "
            "(the first training after a server start also loads TensorFlow)…"}
    line = "No epoch finished" if watch.finished else text.get(watch.status, watch.status)
    if watch.status == "queued" and watch.position:
        line = (f"Waiting for a free worker: number {watch.position} in the queue "
                "(the class shares a few workers; Stop leaves the queue)…")
    if hist.get("loss"):
        line = f"Epoch {len(hist['loss'])}/{watch.epochs} · loss {hist['loss'][-1]:.4g}"
        if hist.get("val_loss"):
            line += f" · validation loss {hist['val_loss'][-1]:.4g}"
    if watch.finished:
        line += f" · {watch.status}" + (f" after {watch.wall_time:.1f} s" if watch.wall_time else "")
    st.progress(min(1.0, len(hist.get("loss", [])) / max(watch.epochs, 1)), text=line)
    if watch.status in ("failed", "diverged") or (watch.message and watch.status != "done"):
        (st.error if watch.status == "failed" else st.warning)(watch.message or watch.status)


def compare_panel(name: str, label: str, variants: dict, metric: str = "loss"):
    """Several trainings on the same data and seed, curves overlaid, one row per variant.

    Variants whose network cannot be built are listed with the reason. Returns
    the finished runs by variant name once all have finished, else {}.
    """
    lesson = get_lesson(type(next(iter(variants.values()))).lesson_id)
    slot = f"{lesson.id}/{name}"
    good = {}
    for key, s in variants.items():
        try:
            good[key] = (s, lesson.architecture(s).params)
        except SettingsError as err:
            st.warning(f"**{key}** cannot be built: {err}")
    running = _buttons(slot, label, {k: s for k, (s, _) in good.items()})
    watches = _as_dict(_watches().get(slot))
    if not watches:
        st.caption(f"Press {label} to train {len(good)} networks one after the other.")
        return {}
    started = {k: w.settings for k, w in watches.items()}
    if started != {k: s for k, (s, _) in good.items()}:
        st.info(f"The {label.lower()} below was started with other settings than the "
                "controls show now. Press the button again to run the new ones.")
    st.fragment(run_every=POLL_SECONDS if running else None)(_live_many)(
        slot, running, metric, {k: p for k, (_, p) in good.items()})
    if all(w.finished for w in watches.values()):
        return {k: w.run for k, w in watches.items() if w.run is not None}
    return {}


def _live_many(slot: str, was_running: bool, metric: str, params: dict) -> None:
    from mbcore import figures
    watches = {k: w.update() for k, w in _as_dict(_watches()[slot]).items()}
    if was_running and all(w.finished for w in watches.values()):
        st.rerun()
    done = sum(w.epoch for w in watches.values())
    total = sum(w.epochs for w in watches.values())
    st.progress(min(1.0, done / max(total, 1)), text=f"{done}/{total} epochs over "
                f"{len(watches)} runs · " + ", ".join(f"{k}: {w.status}" for k, w in watches.items()))
    series, rows = {}, []
    for key, w in watches.items():
        hist = w.history
        train = next((k for k in sorted(hist, key=len) if not k.startswith("val_")
                      and k.endswith(metric)), None)
        if train:
            series[key] = hist[train]
            series[f"val {key}"] = hist.get(f"val_{train}", [])
        val = hist.get(f"val_{train}") if train else None
        rows.append({"run": key, "status": w.status, "epochs": w.epoch,
                     f"final validation {metric}": round(val[-1], 4) if val else None,
                     "params": params.get(key),
                     "training time (s)": round(w.run.train_seconds, 1) if w.run else None})
    kind = get_lesson(slot.split("/")[0]).kind
    chart(figures.curves(series, f"{metric} (solid: training, dashed: validation)", y=metric,
                         log_y=metric.endswith("loss") and kind == "regression"),
          key=f"{slot}_overlay")
    table(rows)


def final_metrics(run, named: dict | None = None) -> None:
    """Headline numbers after training: the lesson's chosen ones (label -> history
    key), by default every validation curve that is not a repeat; then wall time."""
    from mbcore.runs import loss_and_metric_series
    if named is None:
        losses, metrics = loss_and_metric_series(run.history)
        named_losses = {k: v for k, v in losses.items() if k.startswith("val ")}
        shown = {_loss_label(k[4:]) + f" ({run.val_name})": v[-1]
                 for k, v in named_losses.items() if v}
        shown.update({k[4:].replace("_", " ") + f" ({run.val_name})": v[-1]
                      for k, v in metrics.items() if k.startswith("val ") and v})
    else:
        shown = {label: run.last(key) for label, key in named.items() if run.last(key) is not None}
    cols = st.columns(len(shown) + 1)
    for col, (label, value) in zip(cols, shown.items()):
        col.metric(label, f"{value:.1%}" if "accuracy" in label else f"{value:.4g}")
    cols[-1].metric("wall time", f"{run.seconds:.1f} s",
                    help=f"{run.epoch} of {run.epochs} epochs ({run.status}); "
                         f"{run.train_seconds:.1f} s of it in the training loop itself")


def _loss_label(name: str) -> str:
    return name if "loss" in name else ("total loss (weighted)" if name.startswith("total")
                                        else f"{name.replace('_', ' ')} loss")
