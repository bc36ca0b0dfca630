"""Each lesson's own plots of a result (fits, confusion matrices, gradient sizes),
in one registry, so that a lesson page and a walkthrough step draw the same ones.

`live` draws one result; train_panel calls it while training (from the predictions
so far), for the finished result, and for A and for B in an A/B compare.
`finished` goes under a finished result's metrics; `compared` draws a comparison's
finished runs (by variant name) side by side.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import streamlit as st

from mbcore.tasks.build_your_own import TARGETS
from mbcore.ui.frame import chart, dataset, side_by_side
from mbcore.ui.results import class_plots
from mbcore.views import figures, tables


def multi_io_fits(run) -> None:
    """Prediction against the exact curve on the validation points, one plot per output."""
    data = dataset(run.settings)
    x = data.info["x_val"]
    cols = side_by_side(2)
    for col, (name, label, exact) in zip(cols, (
            ("sin_output", "sin(2πx)", np.sin(2 * np.pi * x)), ("exp_output", "exp(x)", np.exp(x)))):
        pred = run.predictions.get(name)
        if pred is not None:
            with col:
                chart(figures.fit(x, exact, {"prediction": pred}, f"{label} on validation points",
                                  label), key=f"fit_{name}")


def build_your_own_fits(run) -> None:
    """Each output's prediction against its target on the validation points."""
    data = dataset(run.settings)
    x = data.info["x_val"]
    st.caption("Each output's prediction against its exact target on the "
               "validation points, which training never sees.")
    n = run.settings.outputs        # two across at most, so each plot keeps its title
    cols = [c for _ in range(0, n, 2) for c in side_by_side(2)][:n]
    for j, col in enumerate(cols, 1):
        name, target = f"output_{j}", run.settings.target(j)
        pred, exact = run.predictions.get(name), np.ravel(data.y_val[name])
        if pred is None:
            continue
        title = f"Output {j}: {target}"
        if TARGETS[target][1]:
            right = np.mean((np.ravel(pred) > 0.5) == (exact > 0.5))
            title += f" · {right:.0%} right"
        with col:
            chart(figures.fit(x, exact, {"prediction": pred}, title, target), key=f"fit_{name}")


def two_branches_confusion(run) -> None:
    """Held-out samples, true against predicted class, beside what chance and one
    branch alone could reach."""
    pred = run.predictions.get("class_output")
    if pred is None:
        return
    data = dataset(run.settings)
    matrix = tables.confusion_matrix(data.y_val["class_output"], pred)
    a, b = side_by_side(2)
    with a:
        chart(figures.confusion(matrix, "True vs predicted (held-out)"),
              key="confusion")
    with b:
        st.markdown(f"Chance level: **{data.info['chance']:.0%}**. Best possible "
                    f"with the left input alone: **{data.info['best_left_only']:.0%}**,"
                    f" with the right input alone: **{data.info['best_right_only']:.0%}**.")


def sine_fits(runs: dict, key: str) -> None:
    """Every run's prediction on the validation points against the exact sine."""
    first = next(iter(runs.values()))
    data = dataset(first.settings)
    x = data.info["x_val"]
    exact = np.sin(first.settings.frequency * np.pi * x)
    preds = {name: r.predictions["y_output"] for name, r in runs.items()
             if r.predictions.get("y_output") is not None}
    if preds:
        chart(figures.fit(x, exact, preds, f"sin({first.settings.frequency:g}πx) on validation"
                          " points", points=(data.info["x_train"], data.y_train["y_output"][:, 0])),
              key=key)


def gradient_plot(runs: dict, key: str) -> None:
    """Per-layer gradient sizes of each run, at the start or the end of training."""
    if not any(r.insights.get("gradients") for r in runs.values()):
        return
    when = st.segmented_control("Gradients", ["before training", "after training"],
                                default="before training", key=f"{key}_when", required=True)
    field = "gradients_start" if when == "before training" else "gradients"
    grads = {name: r.insights[field] for name, r in runs.items() if r.insights.get(field)}
    chart(figures.layer_profile(grads, f"Gradients, {when}",   # short: fits at 1280
                                "mean |∂loss/∂weight|"), key=key)
    st.caption("Mean |∂loss/∂kernel| of each Dense layer, input side on the left, on 256 "
               "training points spread over [0, 1]. The textbook story of a deep plain net is "
               "a gradient that fades towards the input; compare the two nets here and see "
               "whether these runs show it.")


def fits_and_gradients(runs: dict, key: str) -> None:
    """A depth comparison: the fits beside the gradient sizes."""
    a, b = st.columns(2)
    with a:
        sine_fits(runs, f"{key}_fit")
    with b:
        gradient_plot(runs, f"{key}_grads")


@dataclass(frozen=True)
class Plots:
    live: Callable                      # (run) -> None
    finished: Callable | None = None    # (run) -> None, under the final metrics
    compared: Callable | None = None    # (runs by name, key) -> None


def _one_sine(run) -> None:
    sine_fits({"prediction": run}, "fit")


def _one_gradient(run) -> None:
    gradient_plot({"residual" if run.settings.residual else "plain": run}, "grads")


PLOTS = {
    "multi_io": Plots(multi_io_fits),
    "build_your_own": Plots(build_your_own_fits),
    "two_branches": Plots(two_branches_confusion),
    "depth_residual": Plots(_one_sine, finished=_one_gradient, compared=fits_and_gradients),
}


def plots_of(lesson_id: str) -> Plots:
    """The lesson's plots; a classifier without its own draws its confusion matrices."""
    return PLOTS.get(lesson_id, Plots(class_plots))
