"""Lesson depth_residual: depth and skip connections (tutorial 002, second half)."""
import numpy as np
import streamlit as st

from mbcore import ui
from mbcore.views import figures

TEXT = """
**The idea.** sin(12πx) wiggles six times on [0, 1]. The source tutorial fitted
it earlier with a shallow net and found that stacking more plain layers made it
worse. Its **plain** net here is eleven `Dense(10, relu)` layers and a linear
`Dense(1)` (12 layers, **1,131** parameters): at the defaults it follows the first
wiggle or two and then stays nearly flat. Its **residual** net has 42 layers in
20 blocks; each block's output is merged with the block's input, a *skip
connection* (**23,631** parameters), and it fits the curve. The claims below the
text give both nets' validation MSE, measured over five seeds.

**Why, in theory.** The gradient that reaches the first layers is a product of
one factor per layer above them; in a deep plain stack it can shrink, and a ReLU
that is switched off passes nothing back. A skip connection gives the gradient a
road around every block. The gradient chart shows what these runs actually do.

**What to try.** Press **Plain vs residual** to train both on the same data and
overlay them, then read the gradient chart. Switch the skip merge from
*concatenate* (the tutorial's; every block widens the next by ten) to *add* (the
width stays the same, far fewer parameters). In the tutorial's block both Dense
layers end in ReLU, so with *add* each block only adds a non-negative term; the
*classic* block form (as in ResNet) makes the last Dense linear and puts the
ReLU after the merge. With *add*, the tutorial's block does not fit the curve in
200 epochs and the classic one does (claims below). The preset *exercise: four blocks* is the tutorial's
exercise of repeating the block four times; at 200 epochs it usually fails (see
its claim below).
"""

exp, aside = ui.lesson_page("depth_residual", TEXT)
settings = exp.settings
ui.api_change("input_dim and the merge import", (
    "from keras.layers.merge import concatenate\n"
    "x = Dense(10, input_dim=1, activation='relu')(x0)\n"
    "...\n"
    "x = concatenate([x_temp, x])"), (
    "from keras import layers          # keras.layers.merge is gone\n"
    "x = layers.Dense(10, activation='relu')(x0)   # the Input gives the shape\n"
    "...\n"
    "x = layers.Concatenate()([skip, x])   # or layers.Add() to keep the width"),
    note="Keras 3 has no `keras.layers.merge` module, and warns about `input_dim` on a "
         "layer (*Do not pass an input_shape/input_dim argument to a layer*): the shape "
         "comes from `keras.Input(shape=(1,))`.")
with aside:
    st.metric("Depth, as the tutorial counts", f"{settings.depth()} layers",
              help="Input and output layers included; merges not counted.")


def fit_plot(runs: dict, key: str) -> None:
    """Every run's prediction on the validation points against the exact curve."""
    first = next(iter(runs.values()))
    data = ui.dataset(first.settings)
    x = data.info["x_val"]
    exact = np.sin(first.settings.frequency * np.pi * x)
    preds = {name: r.predictions["y_output"] for name, r in runs.items()
             if r.predictions.get("y_output") is not None}
    if preds:
        ui.chart(figures.fit(x, exact, preds, f"sin({first.settings.frequency:g}πx) on validation"
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
    ui.chart(figures.layer_profile(grads, f"Gradients, {when}",   # short: fits at 1280
                                   "mean |∂loss/∂weight|"), key=key)
    st.caption("Mean |∂loss/∂kernel| of each Dense layer, input side on the left, on 256 "
               "training points spread over [0, 1]. The textbook story of a deep plain net is "
               "a gradient that fades towards the input; compare the two nets here and see "
               "whether these runs show it.")


st.subheader("Plain vs residual, same data, same seed")
variants = {"plain": settings.replace(residual=False), "residual": settings.replace(residual=True)}
duel = ui.compare_panel("duel", "Plain vs residual", variants, metric="loss")
if duel:
    a, b = st.columns(2)
    with a:
        fit_plot(duel, "duel_fit")
    with b:
        gradient_plot(duel, "duel_grads")

run = ui.train_panel(exp, live=lambda r: fit_plot({"prediction": r}, "fit"),
                     title="Train this network")
if run is not None:
    ui.final_metrics(run)
    gradient_plot({"residual" if run.settings.residual else "plain": run}, "grads")
ui.claims_box(exp, aside, run)
