"""Training on a page: Train/Stop, live curves, comparisons and final metrics.

The page only talks to jobs running in worker processes, through a Watch kept
in the session; no Keras object ever lives in the server.
"""
from __future__ import annotations

import time
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

from mbcore.engine.protocol import VAL_PREFIX, Status, is_val
from mbcore.engine.watch import Watch, warm_up
from mbcore.lessons import Experiment, get_lesson
from mbcore.settings import Settings, SettingsError
from mbcore.ui import ab_compare
from mbcore.ui.charts import chart_scope, collect_from_here
from mbcore.ui.downloads import downloads_panel
from mbcore.ui.frame import (COMPACT_HEIGHT, STACKED_HEIGHT, chart, chart_panel, compact_charts,
                             side_by_side, table, training_area)
from mbcore.ui.links import lecturing
from mbcore.ui.model import experiment
from mbcore.ui.redraws import RedrawBudget, per_second_default
from mbcore.views import figures
from mbcore.views.curves import SHOWN_VAL, changes, loss_and_metric_series, loss_label, \
    shown_base, shown_val

# The live view is driven by news, not by a clock: Streamlit asks for a fragment
# run every POLL_SECONDS (requests coalesce while one runs); each run draws what
# the job has now, then sleeps until the job's next epoch (the trainer reports
# ~5x/s; engine/news.py wakes it), at most NEWS_SECONDS (QUEUED_SECONDS while it
# waits for a worker: a queued view also wakes when the queue moves), so the next
# run, asked for meanwhile, starts at once and carries new points. The wait comes
# AFTER the drawing: a fragment run that starts clears the session's outgoing
# queue, and what a run drew just before the next one began was dropped unsent
# (most chart updates were lost that way, while the progress line got through).
# The server's redraw budget (ui/redraws.py) spaces the redraws of a crowd of
# watching sessions; the lecturer's are exempt. The wait lets go as soon as the
# user asks for a page run (Stop, a slider), which queues behind it.
POLL_SECONDS = 0.1
NEWS_SECONDS = 1.0
QUEUED_SECONDS = 5.0
STOP_SECONDS = 0.6      # Stop waits this long for the job's end, to show it in the same run
ASK_SECONDS = 0.05      # how often a waiting live view looks whether a click asked for the page
REDRAWS = RedrawBudget(per_second_default())
# A comparison not yet run holds a short empty chart: at full height it was a large
# blank box in the middle of the lesson, and it grows when the runs start.
EMPTY_COMPARISON_HEIGHT = 220


def _watches() -> dict:
    """Job watches by slot; only this (and no Keras object) lives in the session."""
    return st.session_state.setdefault("_mb_watches", {})


def _cancel(slot: str) -> None:
    for watch in _as_dict(_watches().get(slot)).values():
        watch.cancel()


def _live_key(slot: str) -> str:
    """The key of a slot's live view (its fragment), for reruns of it alone."""
    return f"live:{slot}"


def _stop(slot: str) -> None:
    """Callback of Stop: cancel, and wait a moment for the end (a stop lands within
    a batch); then rerun the live view only. It says "stopped" at once, and then
    asks for the page run that shows the rest (_ended): a page run first had the
    class wait for the whole page (the 42-layer diagram, the lesson's plots)
    before the progress line moved."""
    _cancel(slot)
    for watch in _as_dict(_watches().get(slot)).values():
        watch.wait_for_end(STOP_SECONDS)
    st.rerun(_live_key(slot))


def _ended() -> None:
    """In a live view that saw its training end (and drew it): run the page, for
    the final charts, the Downloads and what the lesson shows of a result.

    At once: the new run may drop the line just drawn unsent, and the page run
    draws it again. A pause to let it go out first (0.1 s) left a session on
    "done", with no page run after it and no timer left, in 3 of 16 load-test
    runs (50 sessions, 4 workers); without it, in none of 15."""
    st.rerun()


def _page_run_asked() -> bool:
    """Whether a click or a widget has asked for a run of the whole page.

    A fragment run is not interrupted by one (Streamlit has it wait for the
    next element), so a live view waiting for news checks this to let go at
    once. Streamlit has no public call for it; without these attributes the
    wait simply runs its course."""
    requests = getattr(get_script_run_ctx(), "script_requests", None)
    data = getattr(requests, "_rerun_data", None)
    return (getattr(requests, "_state", None) == ScriptRequestType.RERUN
            and data is not None and not data.fragment_id_queue)


def _news(watch: Watch, slot: str) -> Watch:
    """In the fragment's own runs, wait for news (within the server's redraw
    budget); in a page run, only read it."""
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        return watch.update()
    if watch.status == Status.QUEUED:
        return watch.wait_for_news(QUEUED_SECONDS, interrupted=_page_run_asked,
                                   step=ASK_SECONDS)
    earliest = REDRAWS.next_redraw(f"{ctx.session_id}/{slot}",
                                   exempt=watch.presenter or lecturing())
    return watch.wait_for_news(max(NEWS_SECONDS, earliest - time.monotonic()),
                               interrupted=_page_run_asked, earliest=earliest,
                               step=ASK_SECONDS)


def _as_dict(entry) -> dict:
    return {"": entry} if isinstance(entry, Watch) else dict(entry or {})


def _stale_note(started: Settings, now: Settings | None, what: str = "The result shown") -> None:
    """Say so when the controls moved after the shown training was started."""
    diff = changes(started, now) if now is not None else {}
    if diff:
        moved = ", ".join(f"{k}: {a} → {b}" for k, (a, b) in list(diff.items())[:4])
        st.info(f"{what} belongs to the settings it was started with; since then you changed "
                f"{moved}. Press the button again to train with the new settings.")


def _start(slot: str, what) -> None:
    """Callback of a start button: one Experiment, or {name: Experiment} for a comparison.

    A callback runs before the page, so the Stop button is live in the same rerun."""
    _cancel(slot)
    first = lecturing()        # the lecturer's trainings go before the class's
    _watches()[slot] = ({k: Watch(s, presenter=first) for k, s in what.items()}
                        if isinstance(what, dict) else Watch(what, presenter=first))


def shown_in(slot: str) -> Watch | None:
    """The training a slot shows now (None if none), for a page that files
    trainings across settings itself (the walkthrough steps within one lesson)."""
    entry = _watches().get(slot)
    return entry if isinstance(entry, Watch) else None


def show_in(slot: str, what) -> None:
    """Show a kept Watch in a slot again, or start an Experiment there."""
    if isinstance(what, Watch):
        _watches()[slot] = what
    else:
        _start(slot, what)


def _continue(slot: str) -> None:
    """Callback of Continue: train on from where the stopped training ended."""
    stopped = _watches().get(slot)
    more = stopped.continued()
    if more is None:
        stopped.message = ("The server no longer keeps where this training stopped; "
                           "press Train to start again.")
    else:
        _watches()[slot] = more


def _buttons(slot: str, label: str, what) -> tuple[bool, object]:
    """Start and Stop (and Continue after a Stop); returns whether a job of this
    slot is still running, and the row of buttons (for more buttons beside them)."""
    entry = _watches().get(slot)
    running = any(not w.update().finished for w in _as_dict(entry).values())
    row = st.container(horizontal=True)
    row.button(label, icon=":material/play_arrow:", key=f"{slot}_start", type="primary",
               on_click=_start, args=(slot, what), disabled=not what)
    row.button("Stop", icon=":material/stop:", key=f"{slot}_stop", on_click=_stop,
               args=(slot,), disabled=not running)
    if isinstance(entry, Watch) and entry.resumable:
        row.button(f"Continue to epoch {entry.epochs}", icon=":material/resume:",
                   key=f"{slot}_continue",
                   on_click=_continue, args=(slot,),
                   help="Train on from where it stopped, with the settings it started with.")
    return running, row


def train_panel(exp: Experiment, live=None, title: str = "Training"):
    """Train / Stop, progress and growing curves; returns the finished Run or None.

    The training runs in a worker process; the page keeps only a Watch of it,
    so reruns, control changes and page switches never interrupt it. `live`
    (run -> None) draws the lesson's own plot in the fragment, from the predictions
    so far (when the worker sends them) or the final ones. A finished result can
    be pinned as A for an A/B compare, and has a Downloads box.
    """
    with training_area():
        return _train_panel(exp, live, title)


def _train_panel(exp: Experiment, live, title: str):
    settings, lesson_id = exp.settings, exp.id
    slot = f"{lesson_id}/train"
    st.subheader(title)
    running, row = _buttons(slot, "Train", exp)
    watch = _watches().get(slot)
    if watch is None or watch.settings != settings:
        warm_up(exp)      # Train would start this network: idle workers trace it meanwhile
    ab_compare.pin_buttons(row, lesson_id, watch, running)
    # One place for the notes, whatever they hold, so that the charts' frame
    # below stays where it was from before Train to the end (and is kept).
    with st.container():
        if watch is None:
            st.caption(f"Press Train to train for {settings.epochs} epochs with these settings.")
        else:
            _stale_note(watch.settings, settings)
            ab_compare.header(lesson_id, watch)
    a = ab_compare.pinned(lesson_id) if ab_compare.b_watch(lesson_id, watch) else None
    collected = []          # this result's charts, for the Downloads box (the fragment fills it)
    st.fragment(run_every=POLL_SECONDS if running else None, key=_live_key(slot))(_live_one)(
        slot, running, live, a, collected, exp.lesson.kind, len(exp.graph.outputs))
    if watch is not None and watch.run is not None and watch.finished:
        downloads_panel(watch.run, collected, slot)
        collect_from_here(collected)       # the page's plots of this result, drawn after it
    return watch.run if watch is not None else None


def _live_one(slot: str, was_running: bool, live, a=None, collected: list | None = None,
              kind: str = "", outputs: int = 1) -> None:
    """Fragment body: poll the job, redraw progress and curves; rerun the page at the end.

    Before Train it draws the empty loss chart, in the same frame the training's
    charts will be drawn in, so a fresh tab has loaded Plotly before Train.
    With a pinned run `a`, its curves are overlaid and both fits drawn. The charts
    of a run are collected in `collected`, for the Downloads box: emptied first, as
    the fragment's own reruns are handed the same list (and a run that ended
    between the page's look at it and the fragment's must still fill it)."""
    lesson_id = slot.split("/")[0]
    status = st.container()                      # the progress line, always first
    watch = _watches().get(slot)
    if watch is None:
        with chart_scope(name=lesson_id, collect=[]), \
                compact_charts(_chart_height(kind, outputs)), chart_panel(slot, live=True):
            _curves(slot, {}, kind, empty=figures.BEFORE_TRAIN, outputs=outputs)
        return
    watch = watch.update()
    with status:
        _progress(watch)
    if was_running and watch.finished:
        _ended()
    snapshot = watch.snapshot()
    if collected is None:
        collected = []
    collected.clear()
    with chart_scope(name=lesson_id, collect=collected), \
            compact_charts(_chart_height(kind, outputs, a)), \
            chart_panel(slot, live=not watch.finished, revision=str(watch.watcher)):
        _curves(slot, watch.history, kind, a, empty=_no_curve(watch), outputs=outputs)
        if a is not None:
            ab_compare.numbers(a, snapshot)
            if live is not None and snapshot.predictions and a.predictions:
                ab_compare.fits(a, snapshot, live)
        elif live is not None and snapshot.predictions:
            live(snapshot)
    if was_running:
        _news(watch, slot)


def _stacked(kind: str, outputs: int, a=None) -> bool:
    """Whether the loss and metric charts stand one above the other (see _curves)."""
    return kind != "regression" and (outputs > 1 or a is not None)


def _chart_height(kind: str, outputs: int, a=None) -> int:
    """How high the panel's charts are: lower when loss and metrics are stacked."""
    return STACKED_HEIGHT if _stacked(kind, outputs, a) else COMPACT_HEIGHT


def _no_curve(watch) -> str:
    """What an empty loss chart says: waiting, or why no epoch came."""
    if not watch.finished:
        return figures.WAITING
    why = {Status.DIVERGED: "the training diverged in its first epoch",
           Status.FAILED: "the training failed"}.get(watch.status, f"{watch.status}")
    return f"No epoch finished: {why}."


def _curves(slot: str, history: dict, kind: str, a=None, empty: str = figures.WAITING,
            outputs: int = 1) -> None:
    """Loss (and, when classifying, metric) curves; run A's faded under them if pinned.
    `kind` is the lesson's ("regression" or "classification").

    Side by side only when each chart holds one train/validation pair: with a
    pair per output (`outputs` > 1) or A's curves over B's, the legend stands
    beside the plot, and in half the panel it left the plot a sliver."""
    regression = kind == "regression"
    series = loss_and_metric_series(history)
    pinned = loss_and_metric_series(a.history) if a is not None else None
    titles = ("Loss", "Metrics")      # the legend says which curve is which
    # A fixed layout from the first poll on, so the charts are updated, not rebuilt.
    charts = 1 if regression else 2
    stacked = _stacked(kind, outputs, a)
    cols = ([side_by_side(1)[0] for _ in range(charts)]           # one under the other
            if stacked else side_by_side(charts))
    for i, (col, name, y) in enumerate(zip(cols, ("loss", "metrics"), ("loss", "value"))):
        log_y = regression and i == 0
        with col:
            # stacked charts are short: the key to solid and dashed goes in the title,
            # and the legend beside the plot has room for every entry
            fig = (figures.overlay(pinned[i], series[i], titles[i], y=y, log_y=log_y,
                                   empty=empty, key_in_title=stacked)
                   if pinned else figures.curves(series[i], titles[i], y=y, log_y=log_y,
                                                 empty=empty, key_in_title=stacked))
            chart(fig, key=f"{slot}_{name}")


def _progress(watch) -> None:
    """One line a class can read from the back: where the training is, and its loss."""
    hist = watch.history
    text = {Status.QUEUED: "Waiting for a free worker…", Status.RUNNING: "Starting: building "
            "the model (the first training after a server start also loads TensorFlow)…"}
    line = "No epoch finished" if watch.finished else text.get(watch.status, watch.status)
    if watch.status == Status.QUEUED and watch.position:
        line = (f"Waiting for a free worker: number {watch.position} in the queue "
                "(the class shares a few workers; Stop leaves the queue)…")
        if watch.exp.lesson.runs_alone:
            line += " This model needs the memory of two trainings: it starts when no other runs."
    if hist.get("loss"):
        line = f"Epoch {len(hist['loss'])}/{watch.epochs} · loss {hist['loss'][-1]:.4g}"
        if hist.get("val_loss"):
            line += f" · validation loss {hist['val_loss'][-1]:.4g}"
    if watch.finished:
        line += f" · {watch.status}" + (f" after {watch.wall_time:.1f} s" if watch.wall_time else "")
    st.progress(min(1.0, len(hist.get("loss", [])) / max(watch.epochs, 1)), text=line)
    if watch.status in (Status.FAILED, Status.DIVERGED) or (watch.message
                                                            and watch.status != Status.DONE):
        (st.error if watch.status == Status.FAILED else st.warning)(watch.message or watch.status)


def compare_panel(name: str, label: str, variants: dict, metric: str = "loss"):
    """Several trainings on the same data and seed, curves overlaid, one row per variant.

    `variants` maps names to Settings. Variants whose network cannot be built
    are listed with the reason. Returns the finished runs by variant name once
    all have finished, else {}.
    """
    slot = f"{type(next(iter(variants.values()))).lesson_id}/{name}"
    good = {}
    for key, s in variants.items():
        try:
            good[key] = experiment(s)
        except SettingsError as err:
            st.warning(f"**{key}** cannot be built: {err}")
    running, _ = _buttons(slot, label, good)
    watches = _as_dict(_watches().get(slot))
    with st.container():       # one place, so the chart frame below keeps its own
        if not watches:
            st.caption(f"Press {label} to train {len(good)} networks one after the other.")
        elif {k: w.settings for k, w in watches.items()} != {k: e.settings
                                                             for k, e in good.items()}:
            st.info(f"The {label.lower()} below was started with other settings than the "
                    "controls show now. Press the button again to run the new ones.")
    kind = get_lesson(slot.split("/")[0]).kind
    st.fragment(run_every=POLL_SECONDS if running else None, key=_live_key(slot))(_live_many)(
        slot, running, metric, {k: e.graph.params for k, e in good.items()}, kind, label)
    if watches and all(w.finished for w in watches.values()):
        return {k: w.run for k, w in watches.items() if w.run is not None}
    return {}


def _live_many(slot: str, was_running: bool, metric: str, params: dict, kind: str,
               label: str) -> None:
    """Fragment body of a comparison: progress over the runs, their curves
    overlaid in one chart frame (drawn empty before the button is pressed), and a
    table of the runs."""
    status = st.container()
    watches = _as_dict(_watches().get(slot))
    watches = {k: w.update() for k, w in watches.items()}
    done = sum(w.epoch for w in watches.values())
    total = sum(w.epochs for w in watches.values())
    if watches:
        status.progress(min(1.0, done / max(total, 1)), text=f"{done}/{total} epochs over "
                        f"{len(watches)} runs · " + ", ".join(f"{k}: {w.status}"
                                                            for k, w in watches.items()))
    if was_running and all(w.finished for w in watches.values()):
        _ended()
    series, rows = {}, []
    for key, w in watches.items():
        hist = w.history
        train = next((k for k in sorted(hist, key=len) if not is_val(k)
                      and k.endswith(metric)), None)
        val = hist.get(VAL_PREFIX + train) if train else None
        if train:
            series[key] = hist[train]
            series[SHOWN_VAL + key] = val or []
        rows.append({"run": key, "status": w.status, "epochs": w.epoch,
                     f"final validation {metric}": round(val[-1], 4) if val else None,
                     "params": params.get(key),
                     "training time (s)": round(w.run.train_seconds, 1) if w.run else None})
    first = next(iter(watches.values()), None)
    with chart_panel(slot, live=any(not w.finished for w in watches.values()),
                     revision=str(first.watcher) if first else ""):
        empty = f"Press {label}: the curves are drawn here as they learn"
        chart(figures.curves(series, metric, y=metric,
                             empty=empty if not watches else figures.WAITING,
                             log_y=metric.endswith("loss") and kind == "regression",
                             height=400 if watches else EMPTY_COMPARISON_HEIGHT),
              key=f"{slot}_overlay")
    if rows:
        table(rows)
    running = [w for w in watches.values() if not w.finished]
    if was_running and running:       # the one that runs now brings the news
        _news(running[0], slot)


def final_metrics(run, named: dict | None = None) -> None:
    """Headline numbers after training: the lesson's chosen ones (label -> history
    key), by default every validation curve that is not a repeat; then wall time."""
    if named is None:
        losses, metrics = loss_and_metric_series(run.history)
        shown = {loss_label(shown_base(k)) + f" ({run.val_name})": v[-1]
                 for k, v in losses.items() if shown_val(k) and v}
        shown.update({shown_base(k).replace("_", " ") + f" ({run.val_name})": v[-1]
                      for k, v in metrics.items() if shown_val(k) and v})
    else:
        shown = {label: run.last(key) for label, key in named.items() if run.last(key) is not None}
    cols = st.columns(len(shown) + 1)
    for col, (label, value) in zip(cols, shown.items()):
        col.metric(label, f"{value:.1%}" if "accuracy" in label else f"{value:.4g}")
    cols[-1].metric("wall time", f"{run.seconds:.1f} s",
                    help=f"{run.epoch} of {run.epochs} epochs ({run.status}); "
                         f"{run.train_seconds:.1f} s of it in the training loop itself")

